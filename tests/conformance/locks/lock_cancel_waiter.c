/* from: test_locks.py::LockTests::test_acquire_cancel / test_cancel_race */
#include "conf.h"

static cio_lock_t lock = CIO_LOCK_INIT;

static int waiter(void *arg, void **result)
{
    int rc = cio_lock_acquire(&lock);
    if (rc == -ECANCELED) {
        P("%s cancelled, lock held by it? False", (char *)arg);
        return rc;
    }
    P("%s got the lock", (char *)arg);
    cio_lock_release(&lock);
    return 0;
}

static int amain(void *arg, void **result)
{
    cio_lock_acquire(&lock);
    cio_task_t *a = cio_create_task(waiter, "a"), *b = cio_create_task(waiter, "b");
    cio_sleep(0);
    cio_task_cancel(a, NULL);
    cio_sleep(0);
    cio_lock_release(&lock);
    cio_future_t *fs[2] = {a, b}, *d[2], *p[2];
    size_t nd, np;
    cio_wait(fs, 2, INFINITY, CIO_ALL_COMPLETED, d, &nd, p, &np);
    P("a cancelled %s locked %s", B(cio_future_cancelled(a)), B(cio_lock_locked(&lock)));
    cio_unref(a);
    cio_unref(b);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
