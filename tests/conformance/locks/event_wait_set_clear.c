/* from: test_locks.py::EventTests::test_wait / test_clear / test_wait_on_set */
#include "conf.h"

static cio_event_t ev = CIO_EVENT_INIT;

static int waiter(void *arg, void **result)
{
    int rc = cio_event_wait(&ev);
    P("waiter %d woke: %s", VI(arg), B(rc == 0));
    return rc;
}

static int amain(void *arg, void **result)
{
    P("is_set %s", B(cio_event_is_set(&ev)));
    cio_task_t *ts[3];
    for (int i = 0; i < 3; i++)
        ts[i] = cio_create_task(waiter, IV(i));
    cio_sleep(0);
    P("setting");
    cio_event_set(&ev);
    P("is_set %s", B(cio_event_is_set(&ev)));
    cio_gather(ts, 3, NULL, NULL, 0);
    for (int i = 0; i < 3; i++)
        cio_unref(ts[i]);
    P("wait on set event: %s", B(cio_event_wait(&ev) == 0));
    cio_event_clear(&ev);
    P("after clear is_set %s", B(cio_event_is_set(&ev)));
    cio_task_t *t = cio_create_task(waiter, IV(9));
    cio_sleep(0);
    cio_event_set(&ev);
    cio_event_clear(&ev);
    cio_await(t, NULL);
    cio_unref(t);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
