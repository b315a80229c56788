/* from: test_events.py::test_call_later (timers by deadline, after ready callbacks) */
#include "conf.h"

static cio_loop_t *loop;
static int say(void *arg) { P("%s", (char *)arg); return 0; }
static int stop(void *arg) { return cio_loop_stop(loop); }

int main(void)
{
    cio_loop_new(&loop);
    cio_call_later(loop, 0.03, say, "later 0.03", NULL);
    cio_call_later(loop, 0.01, say, "later 0.01", NULL);
    cio_call_later(loop, 0, say, "later 0", NULL);
    cio_call_soon(loop, say, "soon", NULL);
    cio_call_later(loop, 0.05, stop, NULL, NULL);
    cio_loop_run_forever(loop);
    cio_loop_free(loop);
    return 0;
}
