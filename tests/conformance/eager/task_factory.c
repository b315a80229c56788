/* from: test_base_events.py::test_set_task_factory (a loop-wide hook on task creation)
   xfail: cio has no loop-wide task factory (set_task_factory/get_task_factory; issue 19, built by 19a); the twin shows what a per-call wrapper gives */
#include "conf.h"

static int created;
static int child(void *arg, void **result) { *result = IV(1); return 0; }

static int amain(void *arg, void **result)
{
    P("default factory: None");
    P("factory set: False");
    cio_task_t *t = cio_create_task(child, NULL);
    created++; /* only the calls we wrap ourselves */
    cio_await(t, NULL);
    cio_unref(t);
    cio_call_t calls[2] = {{child, NULL}, {child, NULL}};
    cio_gather_calls(calls, 2, NULL, NULL, 0);
    P("tasks made through the factory: %d", created);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
