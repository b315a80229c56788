/* from: test_eager_task_factory.py::EagerTaskFactoryLoopTests::test_eager_task_factory_set (the first step runs inside create_task)
   requires: 3.12 */
#include "conf.h"

static int child(void *arg, void **result)
{
    P("child first step (inside create_task)");
    cio_sleep(0);
    P("child second step");
    *result = IV(1);
    return 0;
}

static int amain(void *arg, void **result)
{
    cio_loop_t *loop;
    cio_get_running_loop(&loop);
    cio_task_opts_t o = {.eager = 1};
    P("before create_task");
    cio_task_t *t;
    cio_loop_create_task(loop, child, NULL, &o, &t);
    P("after create_task, done %s", B(cio_future_done(t)));
    void *v;
    cio_await(t, &v);
    P("result %d", VI(v));
    cio_unref(t);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
