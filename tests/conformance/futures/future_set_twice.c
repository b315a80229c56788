/* from: test_futures.py::test_result / test_cancel (a done future refuses another outcome) */
#include "conf.h"

static int amain(void *arg, void **result)
{
    cio_future_t *f = cio_create_future();
    cio_future_set_result(f, IV(1));
    P("set_result on done: %s", EXC(cio_future_set_result(f, IV(2))));
    P("set_exception on done: %s", EXC(cio_future_set_exception(f, -EINVAL, NULL)));
    void *v;
    int c = cio_future_cancel(f, NULL);
    cio_future_result(f, &v);
    P("cancel on done %s result still %d", B(c), VI(v));
    cio_future_t *g = cio_create_future();
    c = cio_future_cancel(g, NULL);
    P("cancel %s cancelled %s done %s", B(c), B(cio_future_cancelled(g)), B(cio_future_done(g)));
    P("set_result on cancelled: %s", EXC(cio_future_set_result(g, IV(1))));
    P("exception() on cancelled: %s", EXC(cio_future_exception(g)));
    cio_unref(f);
    cio_unref(g);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
