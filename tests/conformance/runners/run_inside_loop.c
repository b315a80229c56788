/* from: test_runners.py::RunTests::test_asyncio_run_from_running_loop (RuntimeError inside a running loop) */
#include "conf.h"

static int inner(void *arg, void **result) { return 0; }

static int amain(void *arg, void **result)
{
    P("run inside a loop: %s", EXC(cio_run(inner, NULL, NULL)));
    cio_runner_t *r;
    cio_runner_new(NULL, &r);
    P("Runner.run inside a loop: %s", EXC(cio_runner_run(r, inner, NULL, NULL)));
    cio_runner_free(r);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
