/* from: test_locks.py::EventTests::test_wait_cancel */
#include "conf.h"

static cio_event_t ev = CIO_EVENT_INIT;
static int waiter(void *arg, void **result) { return cio_event_wait(&ev); }

static int amain(void *arg, void **result)
{
    cio_task_t *t = cio_create_task(waiter, NULL);
    cio_sleep(0);
    cio_task_cancel(t, NULL);
    P("wait: %s", EXC(cio_await(t, NULL)));
    cio_event_set(&ev);
    P("set after cancel; is_set %s", B(cio_event_is_set(&ev)));
    cio_unref(t);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
