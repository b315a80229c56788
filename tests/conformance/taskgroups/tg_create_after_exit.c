/* from: test_taskgroups.py::test_taskgroup_finished (a finished group refuses new tasks) */
#include "conf.h"

static int noop(void *arg, void **result) { return 0; }

static int amain(void *arg, void **result)
{
    cio_taskgroup_t *tg = cio_taskgroup_new();
    cio_taskgroup_create_task(tg, noop, NULL);
    cio_taskgroup_exit(tg, 0);
    int rc = cio_taskgroup_create_task_ex(tg, noop, NULL, NULL, NULL);
    P("create_task on finished group: %s", RTE(rc));
    cio_taskgroup_free(tg);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
