/* from: test_timeouts.py::test_timeout_when / test_reschedule / test_timeout_disabled */
#include "conf.h"

static int body(void)
{
    cio_loop_t *loop;
    cio_get_running_loop(&loop);
    cio_timeout_t to;
    cio_timeout_enter(&to, INFINITY);
    P("when None: %s", isinf(cio_timeout_when(&to)) ? "None" : "?");
    cio_timeout_reschedule(&to, cio_loop_time(loop) + 0.01);
    P("rescheduled is set: %s", B(!isinf(cio_timeout_when(&to))));
    int rc = cio_sleep(10);
    if (rc == -ECANCELED)
        P("inner sees CancelledError");
    return cio_timeout_exit(&to, rc);
}

static int amain(void *arg, void **result)
{
    cio_loop_t *loop;
    cio_get_running_loop(&loop);
    if (body() == -ETIMEDOUT)
        P("TimeoutError");
    cio_timeout_t to;
    cio_timeout_enter(&to, 0.01);
    cio_timeout_reschedule(&to, INFINITY);
    P("disabled when: %s", isinf(cio_timeout_when(&to)) ? "None" : "?");
    int rc = cio_timeout_exit(&to, cio_sleep(0.03));
    if (rc == 0)
        P("no timeout after reschedule(None)");
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
