/* from: test_base_events.py::test_set_exc_handler_custom (a failing callback goes to the handler; the loop goes on) */
#include "conf.h"

static cio_loop_t *loop;
static int bad(void *arg) { return cio_fail(EMYERR, "in callback"); }
static int say(void *arg) { P("%s", (char *)arg); return 0; }
static int stop(void *arg) { return cio_loop_stop(loop); }

static void handler(cio_loop_t *l, const cio_exc_context_t *ctx, void *ud)
{
    P("handler: %s %s has handle %s", EXC(ctx->error), ctx->error_message ? ctx->error_message : "",
      B(ctx->handle != NULL));
}

int main(void)
{
    cio_loop_new(&loop);
    P("default handler: %s", cio_loop_get_exception_handler(loop, NULL) ? "?" : "None");
    cio_loop_set_exception_handler(loop, handler, NULL);
    P("custom handler set: %s", B(cio_loop_get_exception_handler(loop, NULL) == handler));
    cio_call_soon(loop, bad, NULL, NULL);
    cio_call_soon(loop, say, "next callback runs", NULL);
    cio_call_soon(loop, stop, NULL, NULL);
    cio_loop_run_forever(loop);
    cio_loop_set_exception_handler(loop, NULL, NULL);
    P("reset: %s", cio_loop_get_exception_handler(loop, NULL) ? "?" : "None");
    cio_loop_free(loop);
    return 0;
}
