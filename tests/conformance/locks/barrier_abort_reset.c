/* from: test_locks.py::BarrierTests::test_abort / test_reset (waiters get BrokenBarrierError) */
#include "conf.h"

static cio_barrier_t b;

static int party(void *arg, void **result)
{
    int rc = cio_barrier_wait(&b);
    if (rc >= 0)
        P("party %d passed", VI(arg));
    else
        P("party %d %s", VI(arg), EXC(rc));
    return 0;
}

static int amain(void *arg, void **result)
{
    cio_barrier_init(&b, 3);
    cio_task_t *ts[2];
    for (int i = 0; i < 2; i++)
        ts[i] = cio_create_task(party, IV(i));
    cio_sleep(0);
    cio_barrier_abort(&b);
    cio_gather(ts, 2, NULL, NULL, 0);
    P("broken %s", B(cio_barrier_broken(&b)));
    party(IV(9), NULL);
    cio_barrier_reset(&b);
    P("after reset broken %s", B(cio_barrier_broken(&b)));
    for (int i = 0; i < 2; i++) {
        cio_unref(ts[i]);
        ts[i] = cio_create_task(party, IV(i));
    }
    cio_sleep(0);
    cio_barrier_reset(&b);
    cio_gather(ts, 2, NULL, NULL, 0);
    P("broken %s n_waiting %d", B(cio_barrier_broken(&b)), cio_barrier_n_waiting(&b));
    for (int i = 0; i < 2; i++)
        cio_unref(ts[i]);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
