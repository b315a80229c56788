/* from: test_timeouts.py::test_timeout_double_enter (re-entering a used Timeout: RuntimeError)
   xfail: re-entering a cio_timeout_t that was already used succeeds (issue 19, fixed by 19a) */
#include "conf.h"

static int amain(void *arg, void **result)
{
    cio_timeout_t to;
    cio_timeout_enter(&to, 10);
    cio_timeout_exit(&to, 0);
    cio_loop_t *loop;
    cio_get_running_loop(&loop);
    int rc = cio_timeout_enter_at(&to, cio_loop_time(loop) + 10);
    if (rc == 0) {
        cio_timeout_exit(&to, 0);
        P("re-enter succeeded");
    } else {
        P("re-enter: %s", RTE(rc));
    }
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
