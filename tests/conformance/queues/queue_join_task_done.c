/* from: test_queues.py::_QueueJoinTestMixin::test_task_done / test_join_empty_queue / test_task_done_underflow */
#include "conf.h"

static cio_queue_t q = CIO_QUEUE_INIT(0);

static int worker(void *arg, void **result)
{
    for (;;) {
        void *v;
        int rc = cio_queue_get(&q, &v);
        if (rc < 0)
            return rc;
        cio_sleep(0);
        P("processed %d", VI(v));
        cio_queue_task_done(&q);
    }
}

static int amain(void *arg, void **result)
{
    cio_queue_join(&q);
    P("join on fresh queue returns at once");
    P("task_done too many: %s", EXC(cio_queue_task_done(&q)));
    for (int i = 0; i < 3; i++)
        cio_queue_put_nowait(&q, IV(i));
    cio_task_t *w = cio_create_task(worker, NULL);
    cio_queue_join(&q);
    P("joined");
    cio_task_cancel(w, NULL);
    cio_unref(w);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
