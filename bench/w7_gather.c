/* W7 gather: the main task creates N tasks that return at once, keeping a
 * reference to each (all created before any of them runs), then awaits them
 * all with one cio_gather (asyncio.gather(*tasks)) and drops the references.
 * The time runs from before the first creation until cio_gather returns.
 * usage: w7_gather [N]   (default 100k; N=0 measures the baseline RSS)
 * prints: tasks= ns_per_task= secs=  [failed= error= if the gather failed] */
#include <cio.h>

#include "bench.h"

#include <errno.h>

static int noop(void *arg, void **result)
{
    (void)arg;
    (void)result;
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
    cio_task_t **ts = malloc((size_t)(n ? n : 1) * sizeof *ts);
    if (!ts)
        return -ENOMEM;
    long made = 0;
    uint64_t t0 = bench_now_ns();
    for (; made < n; made++)
        if ((rc = cio_loop_create_task(loop, noop, NULL, NULL, &ts[made])) < 0)
            break;
    if (rc == 0)
        rc = cio_gather(ts, (size_t)n, NULL, NULL, 0);
    uint64_t dt = bench_now_ns() - t0;
    for (long i = 0; i < made; i++)
        cio_unref(ts[i]);
    free(ts);
    if (rc < 0) { /* the first failure, as gather reports it */
        bench_failed++;
        bench_first_error = rc;
    }
    printf("tasks=%ld ns_per_task=%.1f secs=%.3f%s\n", n, (double)dt / (double)(n ? n : 1), dt / 1e9,
           bench_failures());
    return rc;
}

int main(int argc, char **argv)
{
    long n = bench_arg(argc, argv, 1, 100000);
    int rc = cio_run(amain, &n, NULL);
    if (rc < 0)
        fprintf(stderr, "w7_gather: %s\n", cio_strerror(rc));
    return rc < 0;
}
