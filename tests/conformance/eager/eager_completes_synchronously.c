/* from: test_eager_task_factory.py::test_eager_task_factory_completes_synchronously (never suspends: done on return)
   requires: 3.12 */
#include "conf.h"

static int quick(void *arg, void **result) { *result = "quick"; return 0; }
static int bad(void *arg, void **result) { return EMYERR; }

static int in_all(cio_loop_t *loop, cio_task_t *t)
{
    cio_task_t *all[16];
    int n = cio_all_tasks(loop, all, 16);
    for (int i = 0; i < n && i < 16; i++)
        if (all[i] == t)
            return 1;
    return 0;
}

static int amain(void *arg, void **result)
{
    cio_loop_t *loop;
    cio_get_running_loop(&loop);
    cio_task_opts_t o = {.eager = 1};
    cio_task_t *t, *t2;
    cio_loop_create_task(loop, quick, NULL, &o, &t);
    void *v;
    cio_future_result(t, &v);
    P("done at once %s result %s", B(cio_future_done(t)), (char *)v);
    cio_loop_create_task(loop, bad, NULL, &o, &t2);
    P("failed at once %s %s", B(cio_future_done(t2)), EXC(cio_future_exception(t2)));
    P("all_tasks has them? %s %s", B(in_all(loop, t)), B(in_all(loop, t2)));
    cio_unref(t);
    cio_unref(t2);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
