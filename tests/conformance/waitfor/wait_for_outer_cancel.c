/* from: test_waitfor.py::test_cancel_wait_for (cancelling the waiter cancels the inner) */
#include "conf.h"

static int inner(void *arg, void **result)
{
    int rc = cio_sleep(10);
    if (rc == -ECANCELED)
        P("inner cancelled");
    return rc;
}
static int waiter(void *arg, void **result) { return cio_wait_for(arg, 10, result); }

static int amain(void *arg, void **result)
{
    cio_task_t *t = cio_create_task(inner, NULL);
    cio_task_t *w = cio_create_task(waiter, t);
    cio_sleep(0);
    cio_sleep(0);
    cio_task_cancel(w, NULL);
    int rc = cio_await(w, NULL);
    P("waiter: %s; inner cancelled %s", EXC(rc), B(cio_future_cancelled(t)));
    cio_unref(t);
    cio_unref(w);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
