/* from: test_base_events.py::test_set_task_factory (a loop-wide hook on task creation) */
#include "conf.h"

static int created;
static int child(void *arg, void **result) { *result = IV(1); return 0; }

static int factory(cio_loop_t *loop, cio_coro_fn *fn, void *arg, const cio_task_opts_t *opts, cio_task_t **out,
                   void *ud)
{
    created++;
    return cio_task_new(loop, fn, arg, opts, out);
}

static int amain(void *arg, void **result)
{
    cio_loop_t *loop;
    cio_get_running_loop(&loop);
    P("default factory: %s", cio_loop_get_task_factory(loop, NULL) ? "set" : "None");
    cio_loop_set_task_factory(loop, factory, NULL);
    P("factory set: %s", cio_loop_get_task_factory(loop, NULL) == factory ? "True" : "False");
    cio_task_t *t = cio_create_task(child, NULL);
    cio_await(t, NULL);
    cio_unref(t);
    cio_call_t calls[2] = {{child, NULL}, {child, NULL}};
    cio_gather_calls(calls, 2, NULL, NULL, 0);
    P("tasks made through the factory: %d", created);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
