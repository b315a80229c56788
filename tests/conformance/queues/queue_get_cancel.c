/* from: test_queues.py::QueueGetTests::test_get_cancelled_race (a cancelled getter takes nothing) */
#include "conf.h"

static cio_queue_t q = CIO_QUEUE_INIT(0);

static int getter(void *arg, void **result) { return cio_queue_get(&q, result); }

static int amain(void *arg, void **result)
{
    cio_task_t *g1 = cio_create_task(getter, NULL), *g2 = cio_create_task(getter, NULL);
    cio_sleep(0);
    cio_task_cancel(g1, NULL);
    cio_sleep(0);
    cio_queue_put_nowait(&q, "item");
    void *v;
    cio_await(g2, &v);
    P("g2 got %s", (char *)v);
    P("g1 cancelled %s qsize %ld", B(cio_future_cancelled(g1)), cio_queue_qsize(&q));
    cio_unref(g1);
    cio_unref(g2);
    cio_queue_destroy(&q);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
