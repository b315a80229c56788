/* from: test_futures.py::test_cancel_message / a waiter sees the future's cancel */
#include "conf.h"

static cio_future_t *fut;

static int waiter(void *arg, void **result)
{
    int rc = cio_await(fut, NULL);
    if (rc == -ECANCELED)
        P("waiter: CancelledError ('%s',)", cio_future_message(fut));
    return 0;
}

static int amain(void *arg, void **result)
{
    fut = cio_create_future();
    cio_task_t *t = cio_create_task(waiter, NULL);
    cio_sleep(0);
    P("cancel %s", B(cio_future_cancel(fut, "why")));
    P("cancel again %s", B(cio_future_cancel(fut, NULL)));
    cio_await(t, NULL);
    P("task itself cancelled? %s", B(cio_future_cancelled(t)));
    cio_unref(t);
    cio_unref(fut);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
