/* from: test_tasks.py::test_shield_effect (cancelling the caller does not reach the shielded task) */
#include "conf.h"

static int inner(void *arg, void **result)
{
    cio_sleep(0.3);
    P("inner finished");
    *result = IV(7);
    return 0;
}

static int outer(void *arg, void **result)
{
    int rc = cio_shield(arg, NULL);
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
    cio_future_t *d[1], *p[1];
    size_t nd, np;
    cio_wait(&to, 1, INFINITY, CIO_ALL_COMPLETED, d, &nd, p, &np);
    P("outer cancelled %s inner done %s", B(cio_future_cancelled(to)), B(cio_future_done(ti)));
    void *v;
    cio_await(ti, &v);
    P("inner result %d", VI(v));
    cio_unref(ti);
    cio_unref(to);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
