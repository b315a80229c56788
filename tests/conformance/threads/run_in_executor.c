/* from: test_events.py::test_run_in_executor / test_base_events.py::test_run_in_executor_cancel */
#include "conf.h"
#include <unistd.h>

static int work(void *arg, void **result) { *result = IV(VI(arg) + 1); return 0; }
static int nap(void *arg, void **result) { usleep(50000); return 0; }

static int amain(void *arg, void **result)
{
    cio_loop_t *loop;
    cio_get_running_loop(&loop);
    cio_future_t *f, *g;
    cio_loop_run_in_executor(loop, work, IV(1), &f);
    P("future pending at first: %s", B(!cio_future_done(f)));
    void *v;
    cio_await(f, &v);
    P("result %d", VI(v));
    cio_loop_run_in_executor(loop, nap, NULL, &g);
    cio_future_cancel(g, NULL);
    P("awaiting a cancelled executor future: %s", EXC(cio_await(g, NULL)));
    cio_unref(f);
    cio_unref(g);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
