/* from: test_tasks.py::test_shield_result / test_shield_exception / test_shield_cancel_inner */
#include "conf.h"

static int set42(void *f) { return cio_future_set_result(f, IV(42)); }
static int setexc(void *f) { return cio_future_set_exception(f, EMYERR, NULL); }
static int cancel(void *f) { return cio_future_cancel(f, NULL); }

static int amain(void *arg, void **result)
{
    cio_loop_t *loop;
    cio_get_running_loop(&loop);
    void *v;
    cio_future_t *f = cio_create_future();
    cio_call_soon(loop, set42, f, NULL);
    int rc = cio_shield(f, &v);
    P("result %d", VI(v));
    cio_unref(f);
    f = cio_create_future();
    cio_call_soon(loop, setexc, f, NULL);
    rc = cio_shield(f, &v);
    P("exception: %s", EXC(rc));
    cio_unref(f);
    f = cio_create_future();
    cio_call_soon(loop, cancel, f, NULL);
    rc = cio_shield(f, &v);
    P("inner cancelled: %s", EXC(rc));
    cio_unref(f);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
