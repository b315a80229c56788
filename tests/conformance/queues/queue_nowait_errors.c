/* from: test_queues.py::QueueGetTests::test_nonblocking_get_exception / QueuePutTests::test_nonblocking_put_exception */
#include "conf.h"

static int amain(void *arg, void **result)
{
    cio_queue_t q = CIO_QUEUE_INIT(2);
    P("maxsize %ld qsize %ld full %s", cio_queue_maxsize(&q), cio_queue_qsize(&q), B(cio_queue_full(&q)));
    void *v;
    P("get_nowait on empty: %s", EXC(cio_queue_get_nowait(&q, &v)));
    cio_queue_put_nowait(&q, IV(1));
    cio_queue_put_nowait(&q, IV(2));
    P("qsize %ld full %s", cio_queue_qsize(&q), B(cio_queue_full(&q)));
    P("put_nowait on full: %s", EXC(cio_queue_put_nowait(&q, IV(3))));
    cio_queue_t u = CIO_QUEUE_INIT(0);
    for (int i = 0; i < 100; i++)
        cio_queue_put_nowait(&u, IV(i));
    P("unbounded full %s qsize %ld", B(cio_queue_full(&u)), cio_queue_qsize(&u));
    cio_queue_t n = CIO_QUEUE_INIT(-1);
    cio_queue_put_nowait(&n, IV(1));
    P("negative maxsize is unbounded: full %s", B(cio_queue_full(&n)));
    cio_queue_destroy(&q);
    cio_queue_destroy(&u);
    cio_queue_destroy(&n);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
