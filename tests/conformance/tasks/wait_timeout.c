/* from: test_tasks.py::test_wait_with_timeout (nothing is cancelled, pending ones come back) */
#include "conf.h"

static int sl(void *arg, void **result) { return cio_sleep(*(double *)arg); }

static int amain(void *arg, void **result)
{
    double da = 0.01, db = 10;
    cio_task_t *a = cio_create_task(sl, &da), *b = cio_create_task(sl, &db);
    cio_future_t *fs[2] = {a, b}, *d[2], *p[2];
    size_t nd, np;
    cio_wait(fs, 2, 1.0, CIO_ALL_COMPLETED, d, &nd, p, &np);
    P("done %zu pending %zu b cancelled %s", nd, np, B(cio_future_cancelled(b)));
    cio_task_cancel(b, NULL);
    int rc = cio_wait(fs, 0, INFINITY, CIO_ALL_COMPLETED, d, &nd, p, &np);
    P("empty: %s", EXC(rc));
    cio_unref(a);
    cio_unref(b);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
