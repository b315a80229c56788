/* from: test_waitfor.py::test_wait_for_with_global_loop / test_wait_for_timeout_none */
#include "conf.h"

struct v { double d; const char *v; };
static int val(void *arg, void **result)
{
    struct v *v = arg;
    int rc = cio_sleep(v->d);
    *result = (void *)v->v;
    return rc;
}

static int amain(void *arg, void **result)
{
    struct v a = {0.01, "a"}, b = {0.01, "b"}, c = {0, "c"};
    void *r;
    cio_wait_for_call(val, &a, 10, &r);
    P("within timeout: %s", (char *)r);
    cio_wait_for_call(val, &b, INFINITY, &r);
    P("timeout None: %s", (char *)r);
    cio_task_t *t = cio_create_task(val, &c);
    cio_await(t, NULL);
    cio_wait_for(t, 0, &r);
    P("done task, timeout 0: %s", (char *)r);
    cio_unref(t);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
