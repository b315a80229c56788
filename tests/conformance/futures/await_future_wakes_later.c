/* from: test_futures.py / a waiter resumes through the ready queue, not inside set_result */
#include "conf.h"

static cio_future_t *fut;

static int waiter(void *arg, void **result)
{
    void *v;
    cio_await(fut, &v);
    P("%s woke with %d", (char *)arg, VI(v));
    return 0;
}

static int amain(void *arg, void **result)
{
    fut = cio_create_future();
    cio_task_t *ts[2] = {cio_create_task(waiter, "w1"), cio_create_task(waiter, "w2")};
    cio_sleep(0);
    cio_future_set_result(fut, IV(5));
    P("set_result returned");
    cio_gather(ts, 2, NULL, NULL, 0);
    void *v;
    cio_await(fut, &v);
    P("await done future again: %d", VI(v));
    cio_unref(ts[0]);
    cio_unref(ts[1]);
    cio_unref(fut);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
