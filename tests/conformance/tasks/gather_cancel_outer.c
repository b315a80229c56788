/* from: test_tasks.py GatherTestsBase::test_cancel (cancelling the gather cancels its children) */
#include "conf.h"

static int child(void *arg, void **result)
{
    int rc = cio_sleep(10);
    if (rc == -ECANCELED)
        P("child %d CancelledError", VI(arg));
    return rc;
}

static int amain(void *arg, void **result)
{
    cio_task_t *ts[2];
    for (int i = 0; i < 2; i++)
        ts[i] = cio_create_task(child, IV(i));
    cio_future_t *g;
    cio_gather_start(ts, 2, 0, &g);
    cio_sleep(0);
    P("cancel %s", B(cio_future_cancel(g, NULL)));
    int rc = cio_await(g, NULL);
    P("gather: %s", EXC(rc));
    P("children cancelled [%s, %s]", B(cio_future_cancelled(ts[0])), B(cio_future_cancelled(ts[1])));
    cio_unref(g);
    cio_unref(ts[0]);
    cio_unref(ts[1]);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
