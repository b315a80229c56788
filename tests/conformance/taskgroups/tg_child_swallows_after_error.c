/* from: test_taskgroups.py::test_taskgroup_06 (the group waits for children that clean up after the cancel) */
#include "conf.h"

static int cleaner(void *arg, void **result)
{
    int rc = cio_sleep(10);
    if (rc == -ECANCELED) {
        P("cleaner: cleaning up");
        cio_sleep(0.01);
        P("cleaner: done cleaning");
    }
    return rc;
}

static int bad(void *arg, void **result) { cio_sleep(0); return EMYERR; }

static int amain(void *arg, void **result)
{
    cio_taskgroup_t *tg = cio_taskgroup_new();
    cio_taskgroup_create_task(tg, cleaner, NULL);
    cio_taskgroup_create_task(tg, bad, NULL);
    if (cio_taskgroup_exit(tg, 0) == CIO_ETASKGROUP)
        P("group exited after the cleanup");
    cio_taskgroup_free(tg);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
