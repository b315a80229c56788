/* from: test_futures.py::test_remove_done_callback (removes every match, returns the count) */
#include "conf.h"

static int cb(cio_future_t *f, void *arg) { P("%s", (char *)arg); return 0; }

static int amain(void *arg, void **result)
{
    cio_future_t *f = cio_create_future();
    cio_future_add_done_callback(f, cb, "a");
    cio_future_add_done_callback(f, cb, "b");
    cio_future_add_done_callback(f, cb, "a");
    P("removed %d", cio_future_remove_done_callback(f, cb, "a"));
    P("removed again %d", cio_future_remove_done_callback(f, cb, "a"));
    cio_future_set_result(f, NULL);
    cio_sleep(0);
    cio_unref(f);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
