/* from: test_queues.py::QueuePutTests::test_blocking_put_wait / QueueGetTests::test_blocking_get_wait */
#include "conf.h"

static cio_queue_t q = CIO_QUEUE_INIT(1);

static int producer(void *arg, void **result)
{
    for (int i = 0; i < 4; i++) {
        int rc = cio_queue_put(&q, IV(i));
        if (rc < 0)
            return rc;
        P("put %d qsize %ld", i, cio_queue_qsize(&q));
    }
    return 0;
}

static int consumer(void *arg, void **result)
{
    for (int i = 0; i < 4; i++) {
        void *v;
        int rc = cio_queue_get(&q, &v);
        if (rc < 0)
            return rc;
        P("got %d", VI(v));
    }
    return 0;
}

static int amain(void *arg, void **result)
{
    cio_call_t calls[2] = {{producer, NULL}, {consumer, NULL}};
    cio_gather_calls(calls, 2, NULL, NULL, 0);
    P("empty %s", B(cio_queue_empty(&q)));
    cio_queue_destroy(&q);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
