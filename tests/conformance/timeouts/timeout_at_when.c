/* from: test_timeouts.py::test_timeout_at / Timeout.when() returns the deadline given
   xfail: cio_timeout_when can come back 1 ns off the deadline given (truncated nanoseconds; issue 19, fixed by 19a) */
#include "conf.h"

static int amain(void *arg, void **result)
{
    cio_loop_t *loop;
    cio_get_running_loop(&loop);
    int same = 1;
    for (int i = 0; i < 100; i++) {
        double deadline = cio_loop_time(loop) + 100 + i / 7.0;
        cio_timeout_t to;
        cio_timeout_enter_at(&to, deadline);
        same &= cio_timeout_when(&to) == deadline;
        cio_timeout_reschedule(&to, deadline + 1 / 3.0);
        same &= cio_timeout_when(&to) == deadline + 1 / 3.0;
        cio_timeout_exit(&to, 0);
    }
    P("when() == deadline given, every time: %s", B(same));
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
