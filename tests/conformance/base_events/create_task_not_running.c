/* from: test_base_events.py::BaseEventLoopTests::test_create_task (a loop that is not running accepts tasks; they start with it) */
#include "conf.h"

static int child(void *arg, void **result) { P("child runs once the loop runs"); *result = IV(3); return 0; }

int main(void)
{
    cio_loop_t *loop;
    cio_loop_new(&loop);
    cio_task_t *t;
    cio_loop_create_task(loop, child, NULL, NULL, &t);
    P("created, not running: %s done %s", B(!cio_loop_is_running(loop)), B(cio_future_done(t)));
    void *v;
    cio_loop_run_until_complete(loop, t, &v);
    P("result %d", VI(v));
    cio_unref(t);
    cio_loop_free(loop);
    return 0;
}
