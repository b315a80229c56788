/* from: test_base_events.py::test_set_exc_handler_broken (a handler problem does not stop the loop)
   In C a handler cannot raise; the twin checks that the loop goes on after the handler. */
#include "conf.h"

static cio_loop_t *loop;
static void broken(cio_loop_t *l, const cio_exc_context_t *ctx, void *ud) { P("broken handler called"); }
static int bad(void *arg) { return -EINVAL; }
static int say(void *arg) { P("%s", (char *)arg); return 0; }
static int stop(void *arg) { return cio_loop_stop(loop); }

int main(void)
{
    cio_loop_new(&loop);
    cio_loop_set_exception_handler(loop, broken, NULL);
    cio_call_soon(loop, bad, NULL, NULL);
    cio_call_soon(loop, say, "loop goes on", NULL);
    cio_call_soon(loop, stop, NULL, NULL);
    cio_loop_run_forever(loop);
    cio_loop_free(loop);
    return 0;
}
