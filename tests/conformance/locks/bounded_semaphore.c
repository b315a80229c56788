/* from: test_locks.py::BoundedSemaphoreTests::test_release_not_acquired */
#include "conf.h"

static int amain(void *arg, void **result)
{
    cio_sem_t sem;
    cio_bounded_sem_init(&sem, 1);
    P("release above initial: %s", EXC(cio_sem_release(&sem)));
    cio_sem_acquire(&sem);
    P("locked %s", B(cio_sem_locked(&sem)));
    cio_sem_release(&sem);
    P("locked %s", B(cio_sem_locked(&sem)));
    cio_sem_t s2 = CIO_SEM_INIT(0);
    cio_sem_release(&s2);
    P("plain semaphore may go above: locked %s", B(cio_sem_locked(&s2)));
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
