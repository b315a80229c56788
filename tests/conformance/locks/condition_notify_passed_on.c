/* from: test_locks.py::ConditionTests::test_cancelled_wakeup (3.13: a notified waiter that is cancelled passes the notification on)
   requires: 3.13 */
#include "conf.h"

static cio_cond_t cond;

static int waiter(void *arg, void **result)
{
    cio_cond_acquire(&cond);
    int rc = cio_cond_wait(&cond);
    P("%s %s", (char *)arg, rc == 0 ? "woke" : "cancelled");
    cio_cond_release(&cond);
    return rc;
}

static int amain(void *arg, void **result)
{
    cio_cond_init(&cond, NULL);
    cio_task_t *a = cio_create_task(waiter, "a"), *b = cio_create_task(waiter, "b");
    cio_sleep(0);
    cio_cond_acquire(&cond);
    cio_cond_notify(&cond, 1);
    cio_task_cancel(a, NULL);
    cio_cond_release(&cond);
    cio_future_t *fs[2] = {a, b}, *d[2], *p[2];
    size_t nd, np;
    cio_wait(fs, 2, 1, CIO_ALL_COMPLETED, d, &nd, p, &np);
    P("b done %s", B(cio_future_done(b)));
    if (!cio_future_done(b))
        cio_task_cancel(b, NULL);
    cio_unref(a);
    cio_unref(b);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
