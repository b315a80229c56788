/* from: test_taskgroups.py::test_taskgroup_01 (the block waits for every child) */
#include "conf.h"

struct v { double d; int v; };
static int child(void *arg, void **result)
{
    struct v *v = arg;
    int rc = cio_sleep(v->d);
    if (rc < 0)
        return rc;
    P("child %d done", v->v);
    *result = IV(v->v);
    return 0;
}

static int amain(void *arg, void **result)
{
    struct v a = {0.02, 1}, b = {0.01, 2};
    cio_taskgroup_t *tg = cio_taskgroup_new();
    cio_task_t *t1 = cio_taskgroup_create_task(tg, child, &a);
    cio_task_t *t2 = cio_taskgroup_create_task(tg, child, &b);
    P("body ends");
    int rc = cio_taskgroup_exit(tg, 0);
    void *r1, *r2;
    cio_future_result(t1, &r1);
    cio_future_result(t2, &r2);
    P("after group: %d %d", VI(r1), VI(r2));
    cio_taskgroup_free(tg);
    return rc;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
