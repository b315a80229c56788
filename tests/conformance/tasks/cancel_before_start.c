/* from: test_tasks.py::test_cancel (a task cancelled before its first step never runs) */
#include "conf.h"

static int child(void *arg, void **result)
{
    P("never printed");
    return 0;
}

static int amain(void *arg, void **result)
{
    cio_task_t *t = cio_create_task(child, NULL);
    P("cancel %s", B(cio_task_cancel(t, NULL)));
    int rc = cio_await(t, NULL);
    P("await: %s", EXC(rc));
    P("cancelled %s done %s", B(cio_future_cancelled(t)), B(cio_future_done(t)));
    cio_unref(t);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
