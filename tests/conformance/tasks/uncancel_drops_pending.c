/* from: test_tasks.py::test_uncancel_resets_must_cancel (3.13: uncancel down to 0 drops a cancel not yet delivered)
   requires: 3.13 */
#include "conf.h"

static int child(void *arg, void **result)
{
    int rc = cio_sleep(0);
    if (rc < 0)
        return rc;
    P("child ran to the end");
    *result = "ok";
    return 0;
}

static int amain(void *arg, void **result)
{
    cio_task_t *t = cio_create_task(child, NULL);
    cio_task_cancel(t, NULL);
    P("uncancel -> %d", cio_task_uncancel(t));
    void *v;
    int rc = cio_await(t, &v);
    P("result %s cancelled %s", rc == 0 ? (char *)v : EXC(rc), B(cio_future_cancelled(t)));
    cio_unref(t);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
