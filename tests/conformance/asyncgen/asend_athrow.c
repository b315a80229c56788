/* from: test_asyncgen.py::AsyncGenAsyncioTest::test_async_gen_asyncio_asend / _athrow (values in, errors in) */
#include "conf.h"

static int gen(void *arg, void **result)
{
    void *x;
    int rc = cio_gen_yield("first", &x);
    if (rc < 0)
        return rc;
    P("generator received %s", (char *)x);
    rc = cio_gen_yield("second", NULL);
    if (rc == EMYERR) {
        P("generator caught MyErr");
        rc = cio_gen_yield("after throw", NULL);
    }
    return rc;
}

static int amain(void *arg, void **result)
{
    cio_gen_t *g;
    void *v;
    cio_gen_new(gen, NULL, &g);
    cio_gen_send(g, NULL, &v);
    P("%s", (char *)v);
    cio_gen_send(g, "hello", &v);
    P("%s", (char *)v);
    cio_gen_throw(g, EMYERR, &v);
    P("%s", (char *)v);
    cio_gen_close(g);
    cio_gen_free(g);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
