/* from: test_base_events.py / SystemExit from a callback (propagates out of run_forever, bypasses the handler; the loop stays usable) */
#include "conf.h"

static cio_loop_t *loop;
static void handler(cio_loop_t *l, const cio_exc_context_t *ctx, void *ud) { P("handler called (wrong)"); }
static int cb(void *arg) { return cio_loop_stop_with_error(loop, -3); } /* raise SystemExit(3) */
static int say(void *arg) { P("%s", (char *)arg); return 0; }
static int stop(void *arg) { return cio_loop_stop(loop); }

int main(void)
{
    cio_loop_new(&loop);
    cio_loop_set_exception_handler(loop, handler, NULL);
    cio_call_soon(loop, cb, NULL, NULL);
    cio_call_soon(loop, say, "next callback", NULL);
    int rc = cio_loop_run_forever(loop);
    if (rc < 0)
        P("run_forever raised SystemExit %d", -rc);
    cio_call_soon(loop, stop, NULL, NULL);
    cio_loop_run_forever(loop);
    P("loop still usable");
    cio_loop_free(loop);
    return 0;
}
