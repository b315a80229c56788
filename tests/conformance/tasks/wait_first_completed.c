/* from: test_tasks.py::test_wait_first_completed */
#include "conf.h"

struct v { double d; const char *v; };
static int val(void *arg, void **result)
{
    struct v *v = arg;
    int rc = cio_sleep(v->d);
    *result = (void *)v->v;
    return rc;
}

static int amain(void *arg, void **result)
{
    struct v va = {0.01, "a"}, vb = {10, "b"};
    cio_task_t *a = cio_create_task(val, &va), *b = cio_create_task(val, &vb);
    cio_future_t *fs[2] = {b, a}, *d[2], *p[2];
    size_t nd, np;
    cio_wait(fs, 2, INFINITY, CIO_FIRST_COMPLETED, d, &nd, p, &np);
    void *r;
    cio_future_result(d[0], &r);
    P("done ['%s'] pending %zu", (char *)r, np);
    P("b cancelled by wait? %s", B(cio_future_cancelled(b)));
    cio_task_cancel(b, NULL);
    fs[0] = a;
    fs[1] = b;
    cio_wait(fs, 2, INFINITY, CIO_ALL_COMPLETED, d, &nd, p, &np);
    P("all done %zu %zu", nd, np);
    cio_unref(a);
    cio_unref(b);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
