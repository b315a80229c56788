/* from: test_futures.py callbacks on cancel and on exception */
#include "conf.h"

static int cb1(cio_future_t *f, void *arg) { P("callback: cancelled %s", B(cio_future_cancelled(f))); return 0; }
static int cb2(cio_future_t *f, void *arg) { P("callback: exception %s", EXC(cio_future_exception(f))); return 0; }

static int amain(void *arg, void **result)
{
    cio_future_t *f = cio_create_future();
    cio_future_add_done_callback(f, cb1, NULL);
    cio_future_cancel(f, NULL);
    P("cancelled; callback pending");
    cio_sleep(0);
    cio_future_t *g = cio_create_future();
    cio_future_add_done_callback(g, cb2, NULL);
    cio_future_set_exception(g, -EINVAL, NULL);
    cio_sleep(0);
    cio_unref(f);
    cio_unref(g);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
