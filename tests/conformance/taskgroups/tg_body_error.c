/* from: test_taskgroups.py::test_taskgroup_11 (an error in the body cancels the children; it is in the group) */
#include "conf.h"

static int slow(void *arg, void **result)
{
    int rc = cio_sleep(10);
    if (rc == -ECANCELED)
        P("child cancelled");
    return rc;
}

static int amain(void *arg, void **result)
{
    cio_taskgroup_t *tg = cio_taskgroup_new();
    cio_task_t *t = cio_taskgroup_create_task(tg, slow, NULL);
    cio_sleep(0);
    int rc = cio_taskgroup_exit(tg, cio_fail(EMYERR, "body"));
    if (rc == CIO_ETASKGROUP) {
        const char *msg = NULL;
        int code;
        cio_taskgroup_error(tg, 0, &code, NULL, &msg);
        P("ExceptionGroup: ['%s']", msg ? msg : "(no message)");
        P("info: code %s count %d", EXC(code), cio_taskgroup_error_count(tg));
    }
    P("child cancelled %s", B(cio_future_cancelled(t)));
    cio_taskgroup_free(tg);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
