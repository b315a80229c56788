/* from: test_tasks.py::test_wait_first_exception */
#include "conf.h"

static int bad(void *arg, void **result) { cio_sleep(0.01); return EMYERR; }
static int slow(void *arg, void **result) { return cio_sleep(10); }
static int val(void *arg, void **result) { *result = IV(1); return cio_sleep(0.05); }

static int amain(void *arg, void **result)
{
    cio_task_t *s = cio_create_task(slow, NULL), *f = cio_create_task(bad, NULL);
    cio_future_t *fs[2] = {s, f}, *d[2], *p[2];
    size_t nd, np;
    cio_wait(fs, 2, INFINITY, CIO_FIRST_EXCEPTION, d, &nd, p, &np);
    P("done %zu pending %zu failed one done %s", nd, np, B(nd == 1 && d[0] == f));
    P("wait does not raise; exception() %s", EXC(cio_future_exception(f)));
    cio_task_cancel(s, NULL);
    cio_task_t *c = cio_create_task(slow, NULL), *s2 = cio_create_task(val, NULL);
    cio_sleep(0);
    cio_task_cancel(c, NULL);
    fs[0] = c;
    fs[1] = s2;
    cio_wait(fs, 2, INFINITY, CIO_FIRST_EXCEPTION, d, &nd, p, &np);
    P("after cancel: done %zu pending %zu", nd, np);
    cio_unref(s); cio_unref(f); cio_unref(c); cio_unref(s2);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
