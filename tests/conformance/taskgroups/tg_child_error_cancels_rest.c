/* from: test_taskgroups.py::test_taskgroup_03 / test_taskgroup_07 (one failure cancels the siblings; ExceptionGroup)
   requires: 3.13 (3.11 and 3.12 leave the parent's cancelling() at 1 after the group's own cancel; fixed in 3.13) */
#include "conf.h"

static int bad(void *arg, void **result) { cio_sleep(0.01); return cio_fail(EMYERR, "child failed"); }

static int slow(void *arg, void **result)
{
    int rc = cio_sleep(10);
    if (rc == -ECANCELED)
        P("info: slow %d cancelled (the order of the siblings' cancels is a set's)", VI(arg));
    return rc;
}

static int amain(void *arg, void **result)
{
    cio_taskgroup_t *tg = cio_taskgroup_new();
    cio_task_t *s[2];
    for (int i = 0; i < 2; i++)
        s[i] = cio_taskgroup_create_task(tg, slow, IV(i));
    cio_taskgroup_create_task(tg, bad, NULL);
    int rc = cio_taskgroup_exit(tg, 0);
    if (rc == CIO_ETASKGROUP) {
        int code;
        const char *msg;
        cio_taskgroup_error(tg, 0, &code, NULL, &msg);
        P("ExceptionGroup with ['%s'] ['%s']", EXC(code), msg);
    }
    P("siblings cancelled [%s, %s]", B(cio_future_cancelled(s[0])), B(cio_future_cancelled(s[1])));
    P("main cancelling %d", cio_task_cancelling(cio_current_task()));
    cio_taskgroup_free(tg);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
