/* from: test_base_events.py::test_call_exception_handler / custom handler receives the context */
#include "conf.h"

static void handler(cio_loop_t *l, const cio_exc_context_t *ctx, void *ud)
{
    P("handler got: %s %s", ctx->message, B(ctx->error != 0));
}

int main(void)
{
    cio_loop_t *loop;
    cio_loop_new(&loop);
    cio_loop_set_exception_handler(loop, handler, NULL);
    cio_exc_context_t c1 = {.message = "custom report"};
    cio_loop_call_exception_handler(loop, &c1);
    cio_exc_context_t c2 = {.message = "with error", .error = -EINVAL, .error_message = "x"};
    cio_loop_call_exception_handler(loop, &c2);
    cio_loop_free(loop);
    return 0;
}
