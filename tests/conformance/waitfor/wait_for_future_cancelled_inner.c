/* from: test_waitfor.py / inner cancelled by someone else: CancelledError, not TimeoutError */
#include "conf.h"

static int cancel(void *f) { return cio_future_cancel(f, NULL); }

static int amain(void *arg, void **result)
{
    cio_loop_t *loop;
    cio_get_running_loop(&loop);
    cio_future_t *f = cio_create_future();
    cio_call_later(loop, 0.01, cancel, f, NULL);
    int rc = cio_wait_for(f, 10, NULL);
    P("%s", rc == -ETIMEDOUT ? "TimeoutError (wrong)" : EXC(rc));
    P("main cancelling %d", cio_task_cancelling(cio_current_task()));
    cio_unref(f);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
