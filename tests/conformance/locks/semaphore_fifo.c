/* from: test_locks.py::SemaphoreTests::test_acquire (value counts down; waiters in FIFO order) */
#include "conf.h"

static cio_sem_t sem = CIO_SEM_INIT(2);

static int worker(void *arg, void **result)
{
    int rc = cio_sem_acquire(&sem);
    if (rc < 0)
        return rc;
    P("worker %d in", VI(arg));
    cio_sleep(0);
    P("worker %d out", VI(arg));
    cio_sem_release(&sem);
    return 0;
}

static int amain(void *arg, void **result)
{
    P("locked %s", B(cio_sem_locked(&sem)));
    cio_task_t *ts[5];
    for (int i = 0; i < 5; i++)
        ts[i] = cio_create_task(worker, IV(i));
    cio_sleep(0);
    P("locked while full %s", B(cio_sem_locked(&sem)));
    cio_gather(ts, 5, NULL, NULL, 0);
    for (int i = 0; i < 5; i++)
        cio_unref(ts[i]);
    P("locked %s", B(cio_sem_locked(&sem)));
    cio_sem_t bad;
    P("Semaphore(-1): %s", EXC(cio_sem_init(&bad, -1)));
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
