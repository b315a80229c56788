/* from: test_queues.py::QueueGetTests::test_order / LifoQueueTests / PriorityQueueTests */
#include "conf.h"

static int cmp(const void *a, const void *b) { return VI(a) - VI(b); }

static int amain(void *arg, void **result)
{
    const char *names[3] = {"Queue", "LifoQueue", "PriorityQueue"};
    for (int k = 0; k < 3; k++) {
        cio_queue_t q;
        if (k == 0)
            cio_queue_init(&q, 0);
        else if (k == 1)
            cio_lifoqueue_init(&q, 0);
        else
            cio_priorityqueue_init(&q, 0, cmp);
        int xs[4] = {3, 1, 2, 1};
        for (int i = 0; i < 4; i++)
            cio_queue_put_nowait(&q, IV(xs[i]));
        void *o[4];
        for (int i = 0; i < 4; i++)
            cio_queue_get_nowait(&q, &o[i]);
        P("%s [%d, %d, %d, %d] empty %s", names[k], VI(o[0]), VI(o[1]), VI(o[2]), VI(o[3]), B(cio_queue_empty(&q)));
        cio_queue_destroy(&q);
    }
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
