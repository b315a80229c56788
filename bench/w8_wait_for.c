/* W8 wait_for: N tasks each run cio_sleep(1.0) under cio_wait_for_call with
 * a 10 s timeout (asyncio.wait_for(asyncio.sleep(1), 10)): every task arms a
 * timeout scope, sleeps, and disarms the scope, whose timer never fires.
 * Wall time from the first creation until the last has ended (the last to
 * end completes a future the main task awaits), as W3 measures its plain
 * sleepers: overhead_ms - W3's overhead_ms is the cost of the timeouts.
 * With WAVES > 1 the same is done again, one wave after the other, in the
 * same process (as W3: later waves reuse the pooled stacks and the grown
 * timer heap, so they show the timeouts' cost without the first touch of
 * the stacks); their times are reported as waveK_*.
 * usage: w8_wait_for [N [WAVES]]   (default 100k, 1; N=0 measures the
 * baseline RSS)
 * prints: tasks= secs= overhead_ms= overhead_ns_per_task=
 *         [wave2_secs= wave2_overhead_ms= wave2_overhead_ns_per_task= ...]
 *         [failed= error= if tasks failed or timed out] */
#include <cio.h>

#include "bench.h"

static long left;
static cio_future_t *all_done;

static void one_ended(void)
{
    if (--left == 0)
        cio_future_set_result(all_done, NULL);
}

static int sleep1(void *arg, void **result)
{
    (void)arg;
    (void)result;
    return cio_sleep(1.0);
}

static int sleeper(void *arg, void **result)
{
    (void)arg;
    (void)result;
    int rc = cio_wait_for_call(sleep1, NULL, 10.0, NULL);
    if (rc < 0 && bench_failed++ == 0) /* counted here, not by the handler */
        bench_first_error = rc;
    one_ended();
    return 0;
}

struct args {
    long n, waves;
};

static int amain(void *arg, void **result)
{
    const struct args *a = arg;
    cio_loop_t *loop;
    int rc = cio_get_running_loop(&loop);
    if (rc < 0)
        return rc;
    cio_loop_set_exception_handler(loop, bench_exc_handler, NULL);
    bench_on_task_failed = one_ended; /* a task that could not start */
    char line[1024];
    int len = 0;
    for (long w = 1; w <= a->waves; w++) {
        if ((rc = cio_loop_create_future(loop, &all_done)) < 0)
            return rc;
        left = a->n;
        uint64_t t0 = bench_now_ns();
        for (long i = 0; i < a->n; i++)
            if ((rc = cio_loop_create_task(loop, sleeper, NULL, NULL, NULL)) < 0)
                return rc;
        if (a->n > 0)
            rc = cio_await(all_done, NULL);
        uint64_t dt = bench_now_ns() - t0;
        cio_unref(all_done);
        if (rc < 0)
            return rc;
        double secs = dt / 1e9, over = a->n ? (secs - 1.0) * 1e3 : 0.0;
        double per = a->n ? over * 1e6 / (double)a->n : 0.0;
        if (len >= (int)sizeof line)
            continue;
        if (w == 1)
            len += snprintf(line, sizeof line, "tasks=%ld secs=%.3f overhead_ms=%.1f overhead_ns_per_task=%.1f", a->n,
                            secs, over, per);
        else
            len += snprintf(line + len, sizeof line - (size_t)len,
                            " wave%ld_secs=%.3f wave%ld_overhead_ms=%.1f wave%ld_overhead_ns_per_task=%.1f", w, secs,
                            w, over, w, per);
    }
    printf("%s%s\n", line, bench_failures());
    return bench_failed ? bench_first_error : 0;
}

int main(int argc, char **argv)
{
    struct args a = {bench_arg(argc, argv, 1, 100000), bench_arg(argc, argv, 2, 1)};
    if (a.waves < 1)
        a.waves = 1;
    int rc = cio_run(amain, &a, NULL);
    if (rc < 0)
        fprintf(stderr, "w8_wait_for: %s\n", cio_strerror(rc));
    return rc < 0;
}
