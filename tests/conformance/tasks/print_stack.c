/* from: test_tasks.py::test_task_print_stack / test_get_stack (a suspended task's stack names it; a done task has none)
   cio prints every pending task of the loop (cio_loop_print_tasks); a per-task get_stack is not there yet. */
#include "conf.h"

static cio_event_t ev = CIO_EVENT_INIT;
static int worker(void *arg, void **result) { return cio_event_wait(&ev); }

static int mentions(cio_loop_t *loop, const char *name)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return -1;
    cio_loop_print_tasks(loop, f);
    fclose(f);
    int found = text && strstr(text, name) != NULL;
    free(text);
    return found;
}

static int amain(void *arg, void **result)
{
    cio_loop_t *loop;
    cio_get_running_loop(&loop);
    cio_task_t *t = cio_create_task_named(worker, NULL, "worker-7");
    cio_sleep(0);
    P("a suspended task's stack names it: %s", B(mentions(loop, "worker-7") == 1));
    cio_event_set(&ev);
    cio_await(t, NULL);
    P("a done task has no frames: %s", B(mentions(loop, "worker-7") == 0));
    cio_unref(t);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
