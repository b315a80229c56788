/* from: test_taskgroups.py::test_cancellation_in_body (an outside cancel: CancelledError, children cancelled) */
#include "conf.h"

static int ncancelled;

static int slow(void *arg, void **result)
{
    int rc = cio_sleep(10);
    if (rc == -ECANCELED)
        {
        P("info: child %d cancelled (the order is a set's)", VI(arg));
        ncancelled++;
    }
    return rc;
}

static int runner(void *arg, void **result)
{
    cio_taskgroup_t *tg = cio_taskgroup_new();
    for (int i = 0; i < 2; i++)
        cio_taskgroup_create_task(tg, slow, IV(i));
    int rc = cio_taskgroup_exit(tg, 0);
    cio_taskgroup_free(tg);
    if (rc < 0)
        return rc;
    P("not reached");
    return 0;
}

static int amain(void *arg, void **result)
{
    cio_task_t *t = cio_create_task(runner, NULL);
    cio_sleep(0.01);
    cio_task_cancel(t, NULL);
    int rc = cio_await(t, NULL);
    P("runner: %s; children cancelled: %s", EXC(rc), ncancelled == 2 ? "[0, 1]" : "?");
    cio_unref(t);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
