/* from: test_taskgroups.py nested groups (an inner failure propagates through the outer)
   Python nests ExceptionGroups; cio reports the inner group as CIO_ETASKGROUP. */
#include "conf.h"

static int bad(void *arg, void **result) { cio_sleep(0.01); return EMYERR; }

static int slow(void *arg, void **result)
{
    int rc = cio_sleep(10);
    if (rc == -ECANCELED)
        P("%s cancelled", (char *)arg);
    return rc;
}

static int inner_code;

static int inner_group(void *arg, void **result)
{
    cio_taskgroup_t *tg = cio_taskgroup_new();
    cio_taskgroup_create_task(tg, slow, "inner sibling");
    cio_taskgroup_create_task(tg, bad, NULL);
    int rc = cio_taskgroup_exit(tg, 0);
    if (rc == CIO_ETASKGROUP)
        cio_taskgroup_error(tg, 0, &inner_code, NULL, NULL);
    cio_taskgroup_free(tg);
    return rc;
}

static int amain(void *arg, void **result)
{
    cio_taskgroup_t *tg = cio_taskgroup_new();
    cio_taskgroup_create_task(tg, slow, "outer sibling");
    cio_taskgroup_create_task(tg, inner_group, NULL);
    int rc = cio_taskgroup_exit(tg, 0);
    if (rc == CIO_ETASKGROUP) {
        int code;
        cio_taskgroup_error(tg, 0, &code, NULL, NULL);
        P("outer: group of ['%s']", EXC(code));
        P("inner: group of ['%s']", EXC(inner_code));
    }
    cio_taskgroup_free(tg);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
