/* from: test_queues.py::QueuePutTests::test_cancelled_puts_not_being_held_in_self_putters (a cancelled put inserts nothing) */
#include "conf.h"

static cio_queue_t q = CIO_QUEUE_INIT(1);

static int putter(void *arg, void **result) { return cio_queue_put(&q, arg); }

static int amain(void *arg, void **result)
{
    cio_queue_put_nowait(&q, "first");
    cio_task_t *p1 = cio_create_task(putter, "cancelled"), *p2 = cio_create_task(putter, "second");
    cio_sleep(0);
    cio_task_cancel(p1, NULL);
    cio_sleep(0);
    void *v;
    cio_queue_get(&q, &v);
    P("get %s", (char *)v);
    cio_await(p2, NULL);
    cio_queue_get(&q, &v);
    P("get %s empty %s", (char *)v, B(cio_queue_empty(&q)));
    cio_unref(p1);
    cio_unref(p2);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
