/* from: test_events.py::test_call_soon_threadsafe (another thread wakes a sleeping loop; order kept) */
#include "conf.h"
#include <pthread.h>

static cio_loop_t *loop;
static cio_event_t done = CIO_EVENT_INIT;
static int got[5], ngot;

static int cb(void *arg)
{
    got[ngot++] = VI(arg);
    if (VI(arg) == 4)
        cio_event_set(&done);
    return 0;
}

static void *other(void *arg)
{
    for (int i = 0; i < 5; i++)
        cio_call_soon_threadsafe(loop, cb, IV(i));
    return NULL;
}

static int amain(void *arg, void **result)
{
    cio_get_running_loop(&loop);
    pthread_t th;
    pthread_create(&th, NULL, other, NULL);
    cio_event_wait(&done);
    pthread_join(th, NULL);
    P("callbacks in order: [%d, %d, %d, %d, %d]", got[0], got[1], got[2], got[3], got[4]);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
