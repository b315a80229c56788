/* from: test_locks.py::LockTests::test_release_not_acquired */
#include "conf.h"

static int amain(void *arg, void **result)
{
    cio_lock_t lock;
    cio_lock_init(&lock);
    P("release unlocked: %s", RTE(cio_lock_release(&lock)));
    P("acquire returns %s", B(cio_lock_acquire(&lock) == 0));
    cio_lock_release(&lock);
    P("locked %s", B(cio_lock_locked(&lock)));
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
