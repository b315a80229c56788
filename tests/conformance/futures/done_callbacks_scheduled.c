/* from: test_futures.py::test_future_add_done_callback / callbacks run via call_soon, in order, never inline */
#include "conf.h"

static int cb(cio_future_t *f, void *arg)
{
    void *v;
    cio_future_result(f, &v);
    if (strcmp(arg, "cb3") == 0)
        P("cb3 added after done");
    else
        P("%s %s", (char *)arg, (char *)v);
    return 0;
}

static int plain(void *arg) { P("plain call_soon before set_result"); return 0; }

static int amain(void *arg, void **result)
{
    cio_loop_t *loop;
    cio_get_running_loop(&loop);
    cio_future_t *f = cio_create_future();
    cio_future_add_done_callback(f, cb, "cb1");
    cio_future_add_done_callback(f, cb, "cb2");
    cio_call_soon(loop, plain, NULL, NULL);
    cio_future_set_result(f, "v");
    P("after set_result (callbacks not run yet)");
    cio_sleep(0);
    P("after one iteration");
    cio_future_add_done_callback(f, cb, "cb3");
    P("added cb3");
    cio_sleep(0);
    cio_unref(f);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
