/* from: test_tasks.py::test_get_coro (the task's coroutine, before and after its run) */
#include "conf.h"

static int child(void *arg, void **result) { *result = arg; return 0; }

static int amain(void *arg, void **result)
{
    cio_task_t *t = cio_create_task(child, IV(7));
    cio_coro_fn *fn;
    void *a;
    cio_task_get_coro(t, &fn, &a);
    P("get_coro is the coroutine: %s", B(fn == child && a == IV(7)));
    cio_await(t, NULL);
    cio_task_get_coro(t, &fn, &a);
    P("after: still the coroutine: %s", B(fn == child && a == IV(7)));
    cio_unref(t);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
