/* from: test_tasks.py::test_task_exception (a failing task: await raises, exception() returns it) */
#include "conf.h"

static int child(void *arg, void **result)
{
    cio_sleep(0);
    return cio_fail(EMYERR, "boom");
}

static int amain(void *arg, void **result)
{
    cio_task_t *t = cio_create_task(child, NULL);
    int rc = cio_await(t, NULL);
    P("await: %s %s", EXC(rc), cio_future_message(t));
    P("exception(): %s cancelled %s", EXC(cio_future_exception(t)), B(cio_future_cancelled(t)));
    rc = cio_future_result(t, NULL);
    P("result(): %s", EXC(rc));
    cio_unref(t);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
