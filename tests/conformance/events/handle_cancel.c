/* from: test_events.py::test_handle / test_timer_cancel (a cancelled handle never runs; cancelled() reports it) */
#include "conf.h"

static cio_loop_t *loop;
static int say(void *arg) { P("%s", (char *)arg); return 0; }
static int stop(void *arg) { return cio_loop_stop(loop); }

int main(void)
{
    cio_loop_new(&loop);
    cio_handle_t *h1, *h2, *h3;
    cio_call_soon(loop, say, "h1 must not run", &h1);
    cio_call_later(loop, 0.01, say, "h2 must not run", &h2);
    cio_call_soon(loop, say, "h3 runs", &h3);
    cio_handle_cancel(h1);
    cio_handle_cancel(h2);
    cio_handle_cancel(h1);
    P("cancelled %s %s %s", B(cio_handle_cancelled(h1)), B(cio_handle_cancelled(h2)), B(cio_handle_cancelled(h3)));
    cio_call_later(loop, 0.03, stop, NULL, NULL);
    cio_loop_run_forever(loop);
    cio_unref(h1);
    cio_unref(h2);
    cio_unref(h3);
    cio_loop_free(loop);
    return 0;
}
