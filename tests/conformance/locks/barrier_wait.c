/* from: test_locks.py::BarrierTests::test_barrier / test_wait_index (every party gets a distinct index; the barrier cycles) */
#include "conf.h"

static cio_barrier_t b;
static int got[3], ngot;

static int party(void *arg, void **result)
{
    int idx = cio_barrier_wait(&b);
    got[ngot++] = idx;
    P("party %d passed", VI(arg));
    return idx < 0 ? idx : 0;
}

static int cmp(const void *x, const void *y) { return *(const int *)x - *(const int *)y; }

static int amain(void *arg, void **result)
{
    cio_barrier_init(&b, 3);
    P("parties %d n_waiting %d broken %s", cio_barrier_parties(&b), cio_barrier_n_waiting(&b), B(cio_barrier_broken(&b)));
    cio_task_t *ts[3];
    for (int i = 0; i < 2; i++)
        ts[i] = cio_create_task(party, IV(i));
    cio_sleep(0);
    P("n_waiting %d", cio_barrier_n_waiting(&b));
    ts[2] = cio_create_task(party, IV(2));
    cio_gather(ts, 3, NULL, NULL, 0);
    qsort(got, 3, sizeof got[0], cmp);
    P("indices [%d, %d, %d] n_waiting %d", got[0], got[1], got[2], cio_barrier_n_waiting(&b));
    for (int i = 0; i < 3; i++)
        cio_unref(ts[i]);
    ngot = 0;
    cio_call_t calls[3] = {{party, IV(3)}, {party, IV(4)}, {party, IV(5)}};
    cio_gather_calls(calls, 3, NULL, NULL, 0);
    qsort(got, 3, sizeof got[0], cmp);
    P("second cycle indices [%d, %d, %d]", got[0], got[1], got[2]);
    cio_barrier_t bad;
    P("Barrier(0): %s", EXC(cio_barrier_init(&bad, 0)));
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
