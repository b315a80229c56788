/* from: test_runners.py::RunnerTests::test_debug / RunTests::test_asyncio_run_debug */
#include "conf.h"

static int dbg(void *arg, void **result)
{
    cio_loop_t *l;
    cio_get_running_loop(&l);
    *result = IV(cio_loop_get_debug(l));
    return 0;
}

static int run_with(int debug)
{
    cio_runner_opts_t o = {.debug = debug};
    cio_runner_t *r;
    cio_runner_new(&o, &r);
    void *v;
    cio_runner_run(r, dbg, NULL, &v);
    cio_runner_free(r);
    return VI(v);
}

int main(void)
{
    P("debug=True: %s", B(run_with(1)));
    P("debug=False: %s", B(run_with(0)));
    P("Runner(debug=True): %s", B(run_with(1)));
    return 0;
}
