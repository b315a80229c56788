/* from: as_completed with a negative timeout is already expired
   xfail: cio_as_completed_new treats a negative timeout as no limit (issue 19, fixed by 19a) */
#include "conf.h"

static int sl(void *arg, void **result) { *result = "v"; return cio_sleep(0.05); }

static int amain(void *arg, void **result)
{
    cio_task_t *t = cio_create_task(sl, NULL);
    cio_as_completed_t *it;
    cio_as_completed_new(&t, 1, -1, &it);
    cio_future_t *f;
    int rc;
    while ((rc = cio_as_completed_next(it, &f)) == 1) {
        void *v;
        cio_future_result(f, &v);
        P("got %s", (char *)v);
    }
    if (rc == -ETIMEDOUT)
        P("TimeoutError");
    cio_as_completed_free(it);
    cio_await(t, NULL);
    cio_unref(t);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
