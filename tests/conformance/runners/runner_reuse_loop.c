/* from: test_runners.py::RunnerTests (one loop across runs; close; run after close) */
#include "conf.h"

static int get_loop(void *arg, void **result)
{
    cio_loop_t *l;
    cio_get_running_loop(&l);
    *result = l;
    return 0;
}
static int one(void *arg, void **result) { *result = IV(1); return 0; }

int main(void)
{
    cio_runner_t *r;
    cio_runner_new(NULL, &r);
    void *l1, *l2;
    cio_runner_run(r, get_loop, NULL, &l1);
    cio_runner_run(r, get_loop, NULL, &l2);
    cio_loop_t *gl;
    cio_runner_get_loop(r, &gl);
    P("same loop across runs: %s get_loop too: %s", B(l1 == l2), B((void *)gl == l1));
    int a = cio_runner_close(r), b = cio_runner_close(r);
    P("info: close -> %d, %s", a, cio_err_name(b));
    if (a == 0)
        P("close twice ok");
    P("run after close: %s", EXC(cio_runner_run(r, one, NULL, NULL)));
    P("get_loop after close: %s", EXC(cio_runner_get_loop(r, &gl)));
    cio_runner_free(r);
    return 0;
}
