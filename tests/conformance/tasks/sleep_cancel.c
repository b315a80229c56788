/* from: test_tasks.py::test_sleep_cancel (a cancelled sleep ends at once, its timer dropped) */
#include "conf.h"

static int sleeper(void *arg, void **result) { return cio_sleep(10); }

static int amain(void *arg, void **result)
{
    cio_loop_t *loop;
    cio_get_running_loop(&loop);
    cio_task_t *t = cio_create_task(sleeper, NULL);
    cio_sleep(0);
    double t0 = cio_loop_time(loop);
    cio_task_cancel(t, NULL);
    P("%s", EXC(cio_await(t, NULL)));
    P("ended quickly: %s", B(cio_loop_time(loop) - t0 < 5));
    cio_unref(t);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
