/* from: test_futures.py::test_initial_state / test_result / test_exception */
#include "conf.h"

static int amain(void *arg, void **result)
{
    cio_loop_t *loop;
    cio_get_running_loop(&loop);
    cio_future_t *f;
    cio_loop_create_future(loop, &f);
    P("pending: done %s cancelled %s", B(cio_future_done(f)), B(cio_future_cancelled(f)));
    void *v;
    P("result() pending: %s", EXC(cio_future_result(f, &v)));
    P("exception() pending: %s", EXC(cio_future_exception(f)));
    cio_future_set_result(f, IV(42));
    int rc = cio_future_result(f, &v);
    P("result %d exception %s done %s", VI(v), cio_future_exception(f) == 0 ? "None" : "?", B(cio_future_done(f)));
    cio_future_t *g = cio_create_future();
    cio_future_set_exception(g, EMYERR, "bad");
    P("exception %s %s", EXC(cio_future_exception(g)), cio_future_message(g));
    P("result(): %s", EXC(cio_future_result(g, &v)));
    P("get_loop is running loop %s", B(cio_future_get_loop(f) == loop));
    cio_unref(f);
    cio_unref(g);
    return rc;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
