/* from: test_locks.py::ConditionTests::test_wait_unacquired / test_notify_unacquired */
#include "conf.h"

static int amain(void *arg, void **result)
{
    cio_cond_t cond;
    cio_cond_init(&cond, NULL);
    P("wait unlocked: %s", RTE(cio_cond_wait(&cond)));
    P("notify unlocked: %s", RTE(cio_cond_notify(&cond, 1)));
    P("notify_all unlocked: %s", RTE(cio_cond_notify_all(&cond)));
    cio_lock_t lock = CIO_LOCK_INIT;
    cio_cond_t c2;
    cio_cond_init(&c2, &lock);
    cio_lock_acquire(&lock);
    P("shared lock: condition locked %s", B(cio_cond_locked(&c2)));
    cio_lock_release(&lock);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
