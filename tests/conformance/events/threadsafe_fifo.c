/* from: test_events.py::test_call_soon_threadsafe_same_thread (call_soon and call_soon_threadsafe share one FIFO)
   xfail: a call_soon_threadsafe callback runs after a later same-thread call_soon (separate queue; issue 19, fixed by 19a) */
#include "conf.h"

static cio_loop_t *loop;
static int say(void *arg) { P("%s", (char *)arg); return 0; }
static int stop(void *arg) { return cio_loop_stop(loop); }

int main(void)
{
    cio_loop_new(&loop);
    cio_call_soon_threadsafe(loop, say, "threadsafe 1");
    cio_call_soon(loop, say, "soon 2", NULL);
    cio_call_soon_threadsafe(loop, say, "threadsafe 3");
    cio_call_soon(loop, say, "soon 4", NULL);
    cio_call_soon(loop, stop, NULL, NULL);
    cio_loop_run_forever(loop);
    cio_loop_free(loop);
    return 0;
}
