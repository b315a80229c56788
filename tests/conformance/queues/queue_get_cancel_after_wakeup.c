/* from: test_queues.py::QueueGetTests (a getter woken then cancelled leaves the item for the next) */
#include "conf.h"

static cio_queue_t q = CIO_QUEUE_INIT(0);

static int getter(void *arg, void **result) { return cio_queue_get(&q, result); }

static int amain(void *arg, void **result)
{
    cio_task_t *g1 = cio_create_task(getter, NULL), *g2 = cio_create_task(getter, NULL);
    cio_sleep(0);
    cio_queue_put_nowait(&q, "item");
    cio_task_cancel(g1, NULL);
    cio_future_t *fs[2] = {g1, g2}, *d[2], *p[2];
    size_t nd, np;
    cio_wait(fs, 2, 1, CIO_ALL_COMPLETED, d, &nd, p, &np);
    P("g1 cancelled %s", B(cio_future_cancelled(g1)));
    void *v = "nothing";
    if (cio_future_done(g2))
        cio_future_result(g2, &v);
    P("g2 got %s qsize %ld", (char *)v, cio_queue_qsize(&q));
    if (!cio_future_done(g2))
        cio_task_cancel(g2, NULL);
    cio_unref(g1);
    cio_unref(g2);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
