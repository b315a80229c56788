/* from: test_tasks.py::test_cancel_with_message_then_future_result */
#include "conf.h"

static int child(void *arg, void **result) { return cio_sleep(10); }

static int amain(void *arg, void **result)
{
    cio_task_t *t = cio_create_task(child, NULL);
    cio_sleep(0);
    cio_task_cancel(t, "my message");
    cio_future_t *done[1], *pending[1];
    size_t nd, np;
    cio_wait(&t, 1, INFINITY, CIO_ALL_COMPLETED, done, &nd, pending, &np);
    int rc = cio_future_result(t, NULL);
    P("result(): %s ('%s',)", EXC(rc), cio_future_message(t));
    cio_task_t *t2 = cio_create_task(child, NULL);
    cio_sleep(0);
    cio_task_cancel(t2, "second");
    rc = cio_await(t2, NULL);
    P("await: %s ('%s',)", EXC(rc), cio_future_message(t2));
    cio_unref(t);
    cio_unref(t2);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
