/* from: test_tasks.py::test_as_completed (3.13's async for hands back the original tasks, in completion order)
   requires: 3.13 */
#include "conf.h"

struct v { double d; const char *v; };
static int val(void *arg, void **result)
{
    struct v *v = arg;
    cio_sleep(v->d);
    *result = (void *)v->v;
    return 0;
}

static int amain(void *arg, void **result)
{
    struct v vs[3] = {{0.06, "c"}, {0.02, "a"}, {0.04, "b"}};
    cio_task_t *ts[3];
    for (int i = 0; i < 3; i++)
        ts[i] = cio_create_task(val, &vs[i]);
    cio_as_completed_t *it;
    cio_as_completed_new(ts, 3, INFINITY, &it);
    cio_future_t *f;
    while (cio_as_completed_next(it, &f) == 1) {
        void *r;
        cio_future_result(f, &r);
        P("%s original: %s", (char *)r, B(f == ts[0] || f == ts[1] || f == ts[2]));
    }
    cio_as_completed_free(it);
    for (int i = 0; i < 3; i++)
        cio_unref(ts[i]);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
