/* from: the TaskGroup "terminating a task group" recipe (docs): a private exception stops the group */
#include "conf.h"

#define ETERMINATE (-ENOTRECOVERABLE)

static int force_terminate(void *arg, void **result) { return ETERMINATE; }

struct j { int i; double d; };
static int job(void *arg, void **result)
{
    struct j *j = arg;
    int rc = cio_sleep(j->d);
    if (rc == -ECANCELED)
        P("job %d cancelled", j->i);
    else
        P("job %d finished", j->i);
    return rc;
}

static int amain(void *arg, void **result)
{
    struct j j1 = {1, 0.01}, j2 = {2, 10};
    cio_taskgroup_t *tg = cio_taskgroup_new();
    cio_taskgroup_create_task(tg, job, &j1);
    cio_taskgroup_create_task(tg, job, &j2);
    cio_sleep(0.05);
    cio_taskgroup_create_task(tg, force_terminate, NULL);
    int rc = cio_taskgroup_exit(tg, 0);
    int code;
    if (rc == CIO_ETASKGROUP && cio_taskgroup_error(tg, 0, &code, NULL, NULL) == 0 && code == ETERMINATE)
        P("terminated");
    cio_taskgroup_free(tg);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
