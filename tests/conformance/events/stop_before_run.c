/* from: test_base_events.py::test_run_forever_pre_stopped / stop() before run_forever: exactly one iteration */
#include "conf.h"

static cio_loop_t *loop;
static int again(void *arg)
{
    P("iteration callback %d", VI(arg));
    cio_call_soon(loop, again, IV(VI(arg) + 1), NULL);
    return 0;
}

int main(void)
{
    cio_loop_new(&loop);
    cio_call_soon(loop, again, IV(1), NULL);
    cio_loop_stop(loop);
    cio_loop_run_forever(loop);
    P("returned");
    cio_loop_stop(loop);
    cio_loop_run_forever(loop);
    P("returned again");
    cio_loop_close(loop);
    cio_loop_free(loop);
    return 0;
}
