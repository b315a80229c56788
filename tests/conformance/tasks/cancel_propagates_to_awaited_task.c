/* from: test_tasks.py cancel chain (cancelling a task cancels the task it awaits) */
#include "conf.h"

static int inner(void *arg, void **result)
{
    int rc = cio_sleep(10);
    if (rc == -ECANCELED)
        P("inner: CancelledError");
    return rc;
}

static int outer(void *arg, void **result)
{
    int rc = cio_await(arg, NULL);
    if (rc == -ECANCELED)
        P("outer: CancelledError");
    return rc;
}

static int amain(void *arg, void **result)
{
    cio_task_t *ti = cio_create_task(inner, NULL);
    cio_task_t *to = cio_create_task(outer, ti);
    cio_sleep(0);
    cio_task_cancel(to, NULL);
    cio_future_t *fs[2] = {to, ti}, *d[2], *p[2];
    size_t nd, np;
    cio_wait(fs, 2, INFINITY, CIO_ALL_COMPLETED, d, &nd, p, &np);
    P("outer cancelled %s inner cancelled %s", B(cio_future_cancelled(to)), B(cio_future_cancelled(ti)));
    cio_unref(ti);
    cio_unref(to);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
