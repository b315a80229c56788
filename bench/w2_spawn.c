/* W2 spawn: the main task creates N tasks that return at once (all created
 * before any of them runs: a new task's first step is queued for the next
 * iteration), then waits for all of them: the last one to end completes a
 * future the main task awaits (a WaitGroup, as the Go peer uses).  The caller
 * keeps no reference to the tasks: the loop frees each when it ends.
 * usage: w2_spawn [N]   (default 1M; N=0 measures the baseline RSS)
 * prints: tasks= ns_per_task= secs=  [failed= error= if tasks failed] */
#include <cio.h>

#include "bench.h"

static long left;
static cio_future_t *all_done;

static void one_ended(void)
{
    if (--left == 0)
        cio_future_set_result(all_done, NULL);
}

static int noop(void *arg, void **result)
{
    one_ended();
    return 0;
}

static int amain(void *arg, void **result)
{
    long n = *(long *)arg;
    cio_loop_t *loop;
    int rc = cio_get_running_loop(&loop);
    if (rc < 0)
        return rc;
    cio_loop_set_exception_handler(loop, bench_exc_handler, NULL);
    bench_on_task_failed = one_ended; /* a task that could not start */
    if ((rc = cio_loop_create_future(loop, &all_done)) < 0)
        return rc;
    left = n;
    uint64_t t0 = bench_now_ns();
    for (long i = 0; i < n; i++)
        if ((rc = cio_loop_create_task(loop, noop, NULL, NULL, NULL)) < 0)
            return rc;
    if (n > 0)
        rc = cio_await(all_done, NULL);
    uint64_t dt = bench_now_ns() - t0;
    cio_unref(all_done);
    if (rc < 0)
        return rc;
    printf("tasks=%ld ns_per_task=%.1f secs=%.3f%s\n", n, (double)dt / (double)(n ? n : 1), dt / 1e9,
           bench_failures());
    return bench_failed ? bench_first_error : 0;
}

int main(int argc, char **argv)
{
    long n = bench_arg(argc, argv, 1, 1000000);
    int rc = cio_run(amain, &n, NULL);
    if (rc < 0)
        fprintf(stderr, "w2_spawn: %s\n", cio_strerror(rc));
    return rc < 0;
}
