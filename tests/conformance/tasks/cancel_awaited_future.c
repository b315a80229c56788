/* from: test_tasks.py::test_cancel_inner_future (cancelling a task cancels the future it awaits) */
#include "conf.h"

static int waiter(void *arg, void **result)
{
    int rc = cio_await(arg, NULL);
    if (rc == -ECANCELED)
        P("waiter: CancelledError");
    return rc;
}

static int amain(void *arg, void **result)
{
    cio_future_t *fut = cio_create_future();
    cio_task_t *t = cio_create_task(waiter, fut);
    cio_sleep(0);
    cio_task_cancel(t, NULL);
    P("fut cancelled right after cancel: %s", B(cio_future_cancelled(fut)));
    int rc = cio_await(t, NULL);
    P("main: %s", EXC(rc));
    P("task cancelled %s", B(cio_future_cancelled(t)));
    cio_unref(t);
    cio_unref(fut);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
