/* from: test_events.py::test_call_soon (FIFO; a callback scheduled by a callback runs next iteration) */
#include "conf.h"

static cio_loop_t *loop;

static int cb(void *arg)
{
    P("cb %s", (char *)arg);
    if (strcmp(arg, "b") == 0)
        cio_call_soon(loop, cb, "d (scheduled by b)", NULL);
    return 0;
}
static int stop(void *arg) { return cio_loop_stop(loop); }

int main(void)
{
    cio_loop_new(&loop);
    cio_call_soon(loop, cb, "a", NULL);
    cio_call_soon(loop, cb, "b", NULL);
    cio_call_soon(loop, cb, "c", NULL);
    cio_call_soon(loop, stop, NULL, NULL);
    cio_loop_run_forever(loop);
    P("stopped");
    cio_call_soon(loop, stop, NULL, NULL);
    cio_loop_run_forever(loop);
    P("stopped again");
    cio_loop_free(loop);
    return 0;
}
