/* from: test_queues.py::QueueGetTests::test_why_are_getters_waiting / getters served in arrival order */
#include "conf.h"

static cio_queue_t q = CIO_QUEUE_INIT(0);

static int getter(void *arg, void **result)
{
    void *v;
    int rc = cio_queue_get(&q, &v);
    if (rc == 0)
        P("getter %d got %s", VI(arg), (char *)v);
    return rc;
}

static int amain(void *arg, void **result)
{
    cio_task_t *ts[3];
    for (int i = 0; i < 3; i++)
        ts[i] = cio_create_task(getter, IV(i));
    cio_sleep(0);
    cio_queue_put_nowait(&q, "a");
    cio_queue_put_nowait(&q, "b");
    cio_queue_put_nowait(&q, "c");
    cio_gather(ts, 3, NULL, NULL, 0);
    for (int i = 0; i < 3; i++)
        cio_unref(ts[i]);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
