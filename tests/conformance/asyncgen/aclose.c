/* from: test_asyncgen.py::AsyncGenAsyncioTest::test_async_gen_asyncio_aclose_06 / _aclose_10 (cleanup runs; ignoring GeneratorExit: RuntimeError) */
#include "conf.h"

static int polite(void *arg, void **result)
{
    int rc = cio_gen_yield(IV(1), NULL);
    if (rc == 0)
        rc = cio_gen_yield(IV(2), NULL);
    cio_sleep(0);
    P("polite cleanup ran");
    return rc;
}

static int stubborn(void *arg, void **result)
{
    int rc = cio_gen_yield(IV(1), NULL);
    if (rc == CIO_EGENEXIT)
        rc = cio_gen_yield(IV(2), NULL);
    return rc;
}

static int amain(void *arg, void **result)
{
    cio_gen_t *g, *fresh, *s;
    void *v;
    cio_gen_new(polite, NULL, &g);
    cio_gen_next(g, &v);
    cio_gen_close(g);
    int rc = cio_gen_next(g, &v);
    P("closed; next: %s", rc == CIO_ESTOPITERATION ? "StopAsyncIteration" : EXC(rc));
    cio_gen_new(polite, NULL, &fresh);
    cio_gen_close(fresh);
    P("closing an unstarted generator runs nothing");
    cio_gen_new(stubborn, NULL, &s);
    cio_gen_next(s, &v);
    rc = cio_gen_close(s);
    P("ignored GeneratorExit: %s", RTE(rc));
    cio_gen_free(g);
    cio_gen_free(fresh);
    cio_gen_free(s);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
