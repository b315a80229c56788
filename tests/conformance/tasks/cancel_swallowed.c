/* from: test_tasks.py::test_cancel_yield / test_cancelling (a task that swallows its cancel ends normally; the count stays) */
#include "conf.h"

static int child(void *arg, void **result)
{
    int rc = cio_sleep(10);
    if (rc == -ECANCELED)
        P("child caught CancelledError, cancelling %d", cio_task_cancelling(cio_current_task()));
    *result = IV(42);
    return 0;
}

static int amain(void *arg, void **result)
{
    cio_task_t *t = cio_create_task(child, NULL);
    cio_sleep(0);
    P("cancel %s", B(cio_task_cancel(t, NULL)));
    void *v = NULL;
    int rc = cio_await(t, &v);
    P("result %d cancelled %s cancelling %d", rc == 0 ? VI(v) : rc, B(cio_future_cancelled(t)), cio_task_cancelling(t));
    cio_unref(t);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
