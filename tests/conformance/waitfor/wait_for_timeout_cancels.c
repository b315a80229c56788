/* from: test_waitfor.py::test_wait_for (TimeoutError, the inner task cancelled and finished) */
#include "conf.h"

static int inner(void *arg, void **result)
{
    int rc = cio_sleep(10);
    if (rc == -ECANCELED)
        P("inner cancelled");
    return rc;
}

static int amain(void *arg, void **result)
{
    cio_task_t *t = cio_create_task(inner, NULL);
    int rc = cio_wait_for(t, 0.01, NULL);
    if (rc == -ETIMEDOUT)
        P("TimeoutError; inner done %s cancelled %s", B(cio_future_done(t)), B(cio_future_cancelled(t)));
    cio_task_t *t2 = cio_create_task(inner, NULL);
    rc = cio_wait_for(t2, 0, NULL);
    if (rc == -ETIMEDOUT)
        P("timeout 0 on pending: TimeoutError; cancelled %s", B(cio_future_cancelled(t2)));
    cio_unref(t);
    cio_unref(t2);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
