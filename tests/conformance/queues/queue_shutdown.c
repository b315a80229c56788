/* from: test_queues.py::_QueueShutdownTestMixin::test_shutdown_empty / test_shutdown_nonempty (3.13)
   requires: 3.13 */
#include "conf.h"

static cio_queue_t q = CIO_QUEUE_INIT(0), q2 = CIO_QUEUE_INIT(0);

static int getter(void *arg, void **result) { return cio_queue_get(arg, result); }

static int amain(void *arg, void **result)
{
    cio_task_t *g = cio_create_task(getter, &q);
    cio_sleep(0);
    cio_queue_put_nowait(&q, IV(1));
    cio_queue_put_nowait(&q, IV(2));
    void *v;
    cio_await(g, &v);
    P("getter got %d", VI(v));
    cio_queue_shutdown(&q, 0, NULL, NULL);
    P("put after shutdown: %s", EXC(cio_queue_put(&q, IV(3))));
    cio_queue_get(&q, &v);
    P("get drains %d", VI(v));
    P("get on empty shut-down queue: %s", EXC(cio_queue_get(&q, &v)));
    cio_task_t *w = cio_create_task(getter, &q2);
    cio_sleep(0);
    cio_queue_shutdown(&q2, 0, NULL, NULL);
    P("blocked getter woken: %s", EXC(cio_await(w, NULL)));
    cio_unref(g);
    cio_unref(w);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
