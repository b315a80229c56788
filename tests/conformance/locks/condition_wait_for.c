/* from: test_locks.py::ConditionTests::test_wait_for (returns the predicate's value once true) */
#include "conf.h"

static cio_cond_t cond;
static int n;

static int pred(void *arg) { return n >= 2 ? n : 0; }

static int waiter(void *arg, void **result)
{
    cio_cond_acquire(&cond);
    int r = cio_cond_wait_for(&cond, pred, NULL);
    P("wait_for returned %d", r);
    cio_cond_release(&cond);
    return 0;
}

static int amain(void *arg, void **result)
{
    cio_cond_init(&cond, NULL);
    cio_task_t *t = cio_create_task(waiter, NULL);
    for (int i = 0; i < 3; i++) {
        cio_sleep(0);
        cio_cond_acquire(&cond);
        n++;
        P("n = %d", n);
        cio_cond_notify_all(&cond);
        cio_cond_release(&cond);
    }
    cio_await(t, NULL);
    cio_unref(t);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
