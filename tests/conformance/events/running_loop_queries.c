/* from: test_events.py::test_get_running_loop / test_get_event_loop_returns_running_loop (nested run_forever is left out: 3.13 hangs after refusing it) */
#include "conf.h"

static int amain(void *arg, void **result)
{
    cio_loop_t *loop, *l2;
    cio_get_running_loop(&loop);
    P("is_running inside: %s", B(cio_loop_is_running(loop)));
    cio_get_event_loop(&l2);
    P("get_event_loop is running loop: %s", B(l2 == loop));
    cio_loop_t *other;
    cio_loop_new(&other);
    cio_future_t *f;
    cio_loop_create_future(other, &f);
    P("second loop in this thread: %s", EXC(cio_loop_run_until_complete(other, f, NULL)));
    cio_future_cancel(f, NULL);
    cio_unref(f);
    cio_loop_free(other);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
