/* from: test_timeouts.py::test_outer_task_is_not_cancelled (a real cancel is not turned into TimeoutError) */
#include "conf.h"

static int body(void *arg, void **result)
{
    cio_timeout_t to;
    cio_timeout_enter(&to, 10);
    return cio_timeout_exit(&to, cio_sleep(10));
}

static int amain(void *arg, void **result)
{
    cio_task_t *t = cio_create_task(body, NULL);
    cio_sleep(0);
    cio_task_cancel(t, NULL);
    int rc = cio_await(t, NULL);
    if (rc == -ECANCELED)
        P("external cancel stays CancelledError");
    else if (rc == -ETIMEDOUT)
        P("TimeoutError (wrong)");
    cio_timeout_t to;
    cio_timeout_enter(&to, 0.01);
    cio_timeout_exit(&to, 0);
    P("an unexpired scope leaves cancelling at %d", cio_task_cancelling(cio_current_task()));
    cio_unref(t);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
