/* from: test_locks.py::ConditionTests::test_notify / test_notify_all (waiters woken in order, n at a time) */
#include "conf.h"

static cio_cond_t cond;

static int waiter(void *arg, void **result)
{
    cio_cond_acquire(&cond);
    int rc = cio_cond_wait(&cond);
    P("waiter %d woke, holds lock %s", VI(arg), B(cio_cond_locked(&cond)));
    cio_cond_release(&cond);
    return rc;
}

static int amain(void *arg, void **result)
{
    cio_cond_init(&cond, NULL);
    cio_task_t *ts[4];
    for (int i = 0; i < 4; i++)
        ts[i] = cio_create_task(waiter, IV(i));
    cio_sleep(0);
    cio_cond_acquire(&cond);
    cio_cond_notify(&cond, 1);
    cio_cond_release(&cond);
    cio_sleep(0);
    P("after notify(1)");
    cio_cond_acquire(&cond);
    cio_cond_notify(&cond, 2);
    cio_cond_release(&cond);
    cio_sleep(0);
    P("after notify(2)");
    cio_cond_acquire(&cond);
    cio_cond_notify_all(&cond);
    cio_cond_release(&cond);
    cio_gather(ts, 4, NULL, NULL, 0);
    for (int i = 0; i < 4; i++)
        cio_unref(ts[i]);
    P("all done");
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
