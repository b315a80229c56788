/* from: test_timeouts.py::test_reschedule (any task may move the deadline)
   xfail: cio_timeout_reschedule from a task other than the one that entered the scope is refused (issue 19, fixed by 19a) */
#include "conf.h"

static int mover(void *arg, void **result)
{
    cio_loop_t *loop;
    cio_get_running_loop(&loop);
    int rc = cio_timeout_reschedule(arg, cio_loop_time(loop) + 0.01);
    if (rc == 0)
        P("moved by another task");
    else
        P("reschedule refused: %s", RTE(rc));
    return 0;
}

static int amain(void *arg, void **result)
{
    cio_timeout_t to;
    cio_timeout_enter(&to, 10);
    cio_task_t *t = cio_create_task(mover, &to);
    int rc = cio_await(t, NULL);
    cio_unref(t);
    if (rc == 0)
        rc = cio_sleep(0.2);
    rc = cio_timeout_exit(&to, rc);
    P("%s", rc == -ETIMEDOUT ? "TimeoutError" : EXC(rc));
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
