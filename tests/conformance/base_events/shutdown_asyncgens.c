/* from: test_base_events.py::test_shutdown_asyncgens (suspended generators are closed) */
#include "conf.h"

static int nclosed;

static int gen(void *arg, void **result)
{
    int rc = cio_gen_yield(IV(1), NULL);
    if (rc == 0)
        rc = cio_gen_yield(IV(2), NULL);
    P("info: %s closed (the order is unspecified)", (char *)arg);
    nclosed++;
    return rc;
}

static int amain(void *arg, void **result)
{
    cio_gen_t *gs[2];
    cio_gen_new(gen, "g1", &gs[0]);
    cio_gen_new(gen, "g2", &gs[1]);
    for (int i = 0; i < 2; i++)
        cio_gen_next(gs[i], NULL);
    int n = cio_loop_shutdown_asyncgens();
    P("after shutdown_asyncgens, closed: %s", nclosed == 2 ? "['g1', 'g2']" : "?");
    P("info: %d closed", n);
    for (int i = 0; i < 2; i++)
        cio_gen_free(gs[i]);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
