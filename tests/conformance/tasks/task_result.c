/* from: test_tasks.py::test_task_basics (await a task, its result and state) */
#include "conf.h"

static int child(void *arg, void **result)
{
    P("child runs");
    *result = IV(42);
    return 0;
}

static int amain(void *arg, void **result)
{
    cio_task_t *t = cio_create_task(child, NULL);
    P("created, done %s", cio_future_done(t) ? "True" : "False");
    void *v;
    int rc = cio_await(t, &v);
    P("result %d done %s cancelled %s", VI(v), cio_future_done(t) ? "True" : "False",
      cio_future_cancelled(t) ? "True" : "False");
    rc = cio_future_result(t, &v);
    P("result again %d", VI(v));
    cio_unref(t);
    return rc;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
