/* from: test_tasks.py::test_as_completed_with_timeout (TimeoutError for the rest; nothing cancelled) */
#include "conf.h"

struct v { double d; const char *v; };
static int val(void *arg, void **result)
{
    struct v *v = arg;
    *result = (void *)v->v;
    return cio_sleep(v->d);
}

static int amain(void *arg, void **result)
{
    struct v va = {0.01, "a"}, vb = {10, "b"};
    cio_task_t *ts[2] = {cio_create_task(val, &va), cio_create_task(val, &vb)};
    cio_as_completed_t *it;
    cio_as_completed_new(ts, 2, 1.0, &it);
    cio_future_t *f;
    int n = 0, rc;
    while ((rc = cio_as_completed_next(it, &f)) == 1) {
        void *r;
        cio_future_result(f, &r);
        P("got %s", (char *)r);
        n++;
    }
    if (rc == -ETIMEDOUT)
        P("TimeoutError after %d", n);
    P("b cancelled %s", B(cio_future_cancelled(ts[1])));
    cio_task_cancel(ts[1], NULL);
    cio_as_completed_free(it);
    cio_unref(ts[0]);
    cio_unref(ts[1]);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
