/* from: test_locks.py::ConditionTests::test_wait_cancel_contested (a cancelled wait re-acquires the lock before raising) */
#include "conf.h"

static cio_cond_t cond;

static int waiter(void *arg, void **result)
{
    cio_cond_acquire(&cond);
    int rc = cio_cond_wait(&cond);
    if (rc == -ECANCELED)
        P("waiter: CancelledError, holds lock %s", B(cio_cond_locked(&cond)));
    cio_cond_release(&cond);
    return rc;
}

static int amain(void *arg, void **result)
{
    cio_cond_init(&cond, NULL);
    cio_task_t *t = cio_create_task(waiter, NULL);
    cio_sleep(0);
    cio_cond_acquire(&cond);
    cio_task_cancel(t, NULL);
    cio_sleep(0);
    P("main still holds; waiter done? %s", B(cio_future_done(t)));
    cio_cond_release(&cond);
    P("task: %s", EXC(cio_await(t, NULL)));
    P("locked %s", B(cio_cond_locked(&cond)));
    cio_unref(t);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
