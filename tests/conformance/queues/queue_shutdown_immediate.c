/* from: test_queues.py::_QueueShutdownTestMixin::test_shutdown_immediate (3.13: items dropped, join released)
   requires: 3.13 */
#include "conf.h"

static cio_queue_t q = CIO_QUEUE_INIT(0);

static int joiner(void *arg, void **result) { return cio_queue_join(&q); }

static int amain(void *arg, void **result)
{
    for (int i = 0; i < 3; i++)
        cio_queue_put_nowait(&q, IV(i));
    cio_task_t *j = cio_create_task(joiner, NULL);
    cio_sleep(0);
    cio_queue_shutdown(&q, 1, NULL, NULL);
    P("qsize after immediate shutdown %ld", cio_queue_qsize(&q));
    cio_await(j, NULL);
    P("join released");
    void *v;
    P("get_nowait: %s", EXC(cio_queue_get_nowait(&q, &v)));
    cio_unref(j);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
