/* from: test_tasks.py::test_cancelling / test_uncancel_structured_blocks (cancel counts, uncancel, done task refuses) */
#include "conf.h"

static int child(void *arg, void **result)
{
    cio_task_t *me = cio_current_task();
    if (cio_sleep(10) == -ECANCELED) {
        P("caught, cancelling %d", cio_task_cancelling(me));
        P("uncancel -> %d", cio_task_uncancel(me));
        P("uncancel -> %d", cio_task_uncancel(me));
    }
    int rc = cio_sleep(0);
    if (rc < 0)
        return rc;
    P("slept again");
    *result = "fine";
    return 0;
}

static int amain(void *arg, void **result)
{
    cio_task_t *t = cio_create_task(child, NULL);
    cio_sleep(0);
    int a = cio_task_cancel(t, NULL), b = cio_task_cancel(t, NULL);
    P("cancel %s %s cancelling %d", B(a), B(b), cio_task_cancelling(t));
    void *v;
    int rc = cio_await(t, &v);
    P("result %s", rc == 0 ? (char *)v : EXC(rc));
    a = cio_task_cancel(t, NULL);
    P("cancel done task %s cancelling %d", B(a), cio_task_cancelling(t));
    cio_unref(t);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
