/* from: test_events.py::test_run_until_complete / test_run_until_complete_stopped */
#include "conf.h"

static int val(void *arg, void **result) { cio_sleep(0.01); *result = "value"; return 0; }
static int forever(void *arg, void **result) { return cio_sleep(10); }
static int stop(void *arg) { return cio_loop_stop(arg); }

int main(void)
{
    cio_loop_t *loop;
    cio_loop_new(&loop);
    P("running before: %s", B(cio_loop_is_running(loop)));
    cio_task_t *t;
    cio_loop_create_task(loop, val, NULL, NULL, &t);
    void *v;
    cio_loop_run_until_complete(loop, t, &v);
    P("result: %s", (char *)v);
    cio_unref(t);
    cio_loop_create_task(loop, forever, NULL, NULL, &t);
    cio_call_soon(loop, stop, loop, NULL);
    int rc = cio_loop_run_until_complete(loop, t, &v);
    P("stopped first: %s", rc == CIO_ESTOPPED ? "RuntimeError" : EXC(rc));
    cio_task_cancel(t, NULL);
    rc = cio_loop_run_until_complete(loop, t, &v);
    P("cancelled task: %s", EXC(rc));
    cio_unref(t);
    cio_loop_close(loop);
    P("closed: %s", B(cio_loop_is_closed(loop)));
    rc = cio_loop_create_task(loop, val, NULL, NULL, &t);
    P("closed loop: %s", EXC(rc));
    cio_loop_free(loop);
    return 0;
}
