/* from: test_locks.py::LockTests::test_acquire (waiters get the lock in FIFO order) */
#include "conf.h"

static cio_lock_t lock = CIO_LOCK_INIT;

static int worker(void *arg, void **result)
{
    int rc = cio_lock_acquire(&lock);
    if (rc < 0)
        return rc;
    P("worker %d holds the lock", VI(arg));
    cio_sleep(0);
    P("worker %d releases", VI(arg));
    cio_lock_release(&lock);
    return 0;
}

static int amain(void *arg, void **result)
{
    P("locked %s", B(cio_lock_locked(&lock)));
    cio_lock_acquire(&lock);
    cio_task_t *ts[3];
    for (int i = 0; i < 3; i++)
        ts[i] = cio_create_task(worker, IV(i));
    cio_sleep(0);
    P("main releases, locked %s", B(cio_lock_locked(&lock)));
    cio_lock_release(&lock);
    cio_gather(ts, 3, NULL, NULL, 0);
    for (int i = 0; i < 3; i++)
        cio_unref(ts[i]);
    P("locked %s", B(cio_lock_locked(&lock)));
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
