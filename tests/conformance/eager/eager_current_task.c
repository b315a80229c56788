/* from: test_eager_task_factory.py::test_current_task (inside an eager first step, current_task is the new task)
   requires: 3.12 */
#include "conf.h"

static cio_task_t *seen;
static int child(void *arg, void **result) { seen = cio_current_task(); return 0; }

static int amain(void *arg, void **result)
{
    cio_loop_t *loop;
    cio_get_running_loop(&loop);
    cio_task_t *me = cio_current_task(), *t;
    cio_task_opts_t o = {.eager = 1};
    cio_loop_create_task(loop, child, NULL, &o, &t);
    P("current_task in eager step is the new task: %s", B(seen == t));
    P("back in main, current is main: %s", B(cio_current_task() == me));
    cio_unref(t);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
