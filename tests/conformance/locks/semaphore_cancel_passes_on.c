/* from: test_locks.py::SemaphoreTests::test_acquire_cancel_before_awoken (a woken then cancelled waiter does not lose the slot) */
#include "conf.h"

static cio_sem_t sem = CIO_SEM_INIT(0);

static int waiter(void *arg, void **result)
{
    int rc = cio_sem_acquire(&sem);
    P("%s %s", (char *)arg, rc == 0 ? "acquired" : "cancelled");
    return rc;
}

static int amain(void *arg, void **result)
{
    cio_task_t *a = cio_create_task(waiter, "a"), *b = cio_create_task(waiter, "b");
    cio_sleep(0);
    cio_sem_release(&sem);
    cio_task_cancel(a, NULL);
    cio_future_t *fs[2] = {a, b}, *d[2], *p[2];
    size_t nd, np;
    cio_wait(fs, 2, 1, CIO_ALL_COMPLETED, d, &nd, p, &np);
    P("b done %s locked %s", B(cio_future_done(b)), B(cio_sem_locked(&sem)));
    if (!cio_future_done(b))
        cio_task_cancel(b, NULL);
    cio_unref(a);
    cio_unref(b);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
