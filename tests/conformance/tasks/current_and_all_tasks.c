/* from: test_tasks.py::test_current_task / test_all_tasks */
#include "conf.h"

static int child(void *arg, void **result) { return cio_event_wait(arg); }

static int amain(void *arg, void **result)
{
    cio_task_t *me = cio_current_task();
    P("current is a task: %s", B(me != NULL));
    cio_event_t ev = CIO_EVENT_INIT;
    cio_task_t *ts[3];
    for (int i = 0; i < 3; i++)
        ts[i] = cio_create_task(child, &ev);
    cio_loop_t *loop;
    cio_get_running_loop(&loop);
    P("all_tasks: %d", cio_all_tasks(loop, NULL, 0));
    cio_event_set(&ev);
    cio_gather(ts, 3, NULL, NULL, 0);
    for (int i = 0; i < 3; i++)
        cio_unref(ts[i]);
    cio_task_t *all[8];
    int n = cio_all_tasks(loop, all, 8);
    P("all_tasks after: %d", n);
    int found = 0;
    for (int i = 0; i < n && i < 8; i++)
        found |= all[i] == me;
    P("main in all_tasks: %s", B(found));
    return 0;
}

int main(void)
{
    /* asyncio raises RuntimeError (no running loop); cio returns NULL. */
    P("current_task outside: %s", cio_current_task() == NULL ? "RuntimeError" : "a task");
    return cio_run(amain, NULL, NULL) < 0;
}
