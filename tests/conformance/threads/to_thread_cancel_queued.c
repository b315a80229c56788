/* from: test_threads.py / concurrent.futures: a job cancelled while still queued never runs */
#include "conf.h"
#include <stdatomic.h>
#include <unistd.h>

static atomic_int gate, ran;

static int blocker(void *arg, void **result)
{
    while (!atomic_load(&gate))
        usleep(1000);
    return 0;
}
static int fence(void *arg, void **result) { return 0; }
static int job(void *arg, void **result) { atomic_store(&ran, 1); return 0; }

static int amain(void *arg, void **result)
{
    cio_loop_t *loop;
    cio_get_running_loop(&loop);
    cio_loop_set_executor_size(loop, 1);
    cio_future_t *b, *q;
    cio_loop_run_in_executor(loop, blocker, NULL, &b);
    cio_loop_run_in_executor(loop, job, NULL, &q);
    cio_sleep(0.01);
    cio_future_cancel(q, NULL);
    cio_sleep(0.01); /* as the Python twin, which must let its cancel reach the pool */
    atomic_store(&gate, 1);
    cio_await(b, NULL);
    cio_to_thread(fence, NULL, NULL); /* one worker, FIFO: the queued job would have run by now */
    P("queued job ran: %s", B(atomic_load(&ran)));
    cio_unref(b);
    cio_unref(q);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
