/* from: test_tasks.py::GatherTestsBase::test_result_order (results in argument order, not completion order) */
#include "conf.h"

struct v { double d; int v; };

static int val(void *arg, void **result)
{
    struct v *v = arg;
    cio_sleep(v->d);
    P("done %d", v->v);
    *result = IV(v->v);
    return 0;
}

static int amain(void *arg, void **result)
{
    struct v a = {0.04, 1}, b = {0.0, 2}, c = {0.02, 3};
    cio_call_t calls[3] = {{val, &a}, {val, &b}, {val, &c}};
    void *r[3];
    cio_gather_calls(calls, 3, r, NULL, 0);
    P("results [%d, %d, %d]", VI(r[0]), VI(r[1]), VI(r[2]));
    int rc = cio_gather(NULL, 0, NULL, NULL, 0);
    P("empty %s", rc == 0 ? "[]" : EXC(rc));
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
