/* from: test_tasks.py Task.set_result: RuntimeError */
#include "conf.h"

static int child(void *arg, void **result) { cio_sleep(0); *result = IV(1); return 0; }

static int amain(void *arg, void **result)
{
    cio_task_t *t = cio_create_task(child, NULL);
    int rc = cio_future_set_result(t, IV(5));
    P("set_result: %s", rc == -EINVAL ? "RuntimeError" : EXC(rc));
    rc = cio_future_set_exception(t, -EINVAL, NULL);
    P("set_exception: %s", rc == -EINVAL ? "RuntimeError" : EXC(rc));
    void *v;
    cio_await(t, &v);
    P("result %d", VI(v));
    cio_unref(t);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
