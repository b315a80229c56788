/* from: test_asyncgen.py::AsyncGenAsyncioTest::test_async_gen_asyncio_01 (async for over a generator that awaits) */
#include "conf.h"

static int count(void *arg, void **result)
{
    for (int i = 0; i < VI(arg); i++) {
        int rc = cio_sleep(0);
        if (rc == 0)
            rc = cio_gen_yield(IV(i), NULL);
        if (rc < 0)
            return rc;
    }
    P("generator body ends");
    return 0;
}

static int amain(void *arg, void **result)
{
    cio_gen_t *g;
    void *v;
    int rc;
    cio_gen_new(count, IV(3), &g);
    while ((rc = cio_gen_next(g, &v)) == 0)
        P("got %d", VI(v));
    cio_gen_free(g);
    cio_gen_new(count, IV(1), &g);
    cio_gen_next(g, &v);
    P("%d", VI(v));
    rc = cio_gen_next(g, &v);
    P("%s", rc == CIO_ESTOPITERATION ? "StopAsyncIteration" : EXC(rc));
    rc = cio_gen_next(g, &v);
    P("%s again", rc == CIO_ESTOPITERATION ? "StopAsyncIteration" : EXC(rc));
    cio_gen_free(g);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
