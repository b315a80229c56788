/* from: test_asyncgen.py::AsyncGenAsyncioTest::test_async_gen_asyncio_03 (an error in the generator reaches the consumer; then it is finished) */
#include "conf.h"

static int gen(void *arg, void **result)
{
    int rc = cio_gen_yield(IV(1), NULL);
    return rc < 0 ? rc : EMYERR;
}

static int amain(void *arg, void **result)
{
    cio_gen_t *g;
    void *v;
    cio_gen_new(gen, NULL, &g);
    cio_gen_next(g, &v);
    P("%d", VI(v));
    P("consumer: %s", EXC(cio_gen_next(g, &v)));
    int rc = cio_gen_next(g, &v);
    P("then %s", rc == CIO_ESTOPITERATION ? "StopAsyncIteration" : EXC(rc));
    cio_gen_free(g);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
