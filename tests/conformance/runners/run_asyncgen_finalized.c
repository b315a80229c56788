/* from: test_runners.py (a suspended async generator is finalized; run returns main's result)
   xfail: cio_run with an async generator still suspended returns -EBUSY instead of main's result (issue 19, fixed by 19a) */
#include "conf.h"

static int gen(void *arg, void **result)
{
    int rc = cio_gen_yield(IV(1), NULL);
    if (rc == 0)
        rc = cio_gen_yield(IV(2), NULL);
    P("generator finalized");
    return rc;
}

static cio_gen_t *g;

static int amain(void *arg, void **result)
{
    cio_gen_new(gen, NULL, &g);
    void *v;
    cio_gen_next(g, &v);
    P("first %d", VI(v));
    *result = "main result";
    return 0;
}

int main(void)
{
    void *v;
    int rc = cio_run(amain, NULL, &v);
    P("run returned %s", rc == 0 ? (char *)v : cio_err_name(rc));
    return 0;
}
