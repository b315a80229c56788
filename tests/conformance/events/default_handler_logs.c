/* from: test_base_events.py::test_default_exc_handler_callback (the default handler logs at ERROR) */
#include "conf.h"

static cio_loop_t *loop;

static void capture(int level, const char *message, void *ud) { P("logged at ERROR: %s", B(level == CIO_LOG_ERROR)); }

static void delegate(cio_loop_t *l, const cio_exc_context_t *ctx, void *ud)
{
    P("custom handler delegates");
    cio_loop_default_exception_handler(l, ctx);
}

static int bad(void *arg) { return -EDOM; }
static int stop(void *arg) { return cio_loop_stop(loop); }

int main(void)
{
    cio_set_log_handler(capture, NULL);
    cio_loop_new(&loop);
    cio_loop_set_exception_handler(loop, delegate, NULL);
    cio_call_soon(loop, bad, NULL, NULL);
    cio_call_soon(loop, stop, NULL, NULL);
    cio_loop_run_forever(loop);
    cio_loop_free(loop);
    return 0;
}
