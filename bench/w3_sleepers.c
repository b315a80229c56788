/* W3 sleepers: N tasks each cio_sleep(1.0) concurrently; wall time from the
 * first creation until the last has woken (the last to end completes a
 * future the main task awaits).  With WAVES > 1 the same is done again, one
 * wave after the other, in the same process: later waves reuse the pooled
 * stacks and the grown timer heap; their times are reported as waveK_secs and
 * waveK_overhead_ms.
 * usage: w3_sleepers [N [WAVES]]   (default 100k, 1; N=0 measures the
 * baseline RSS)
 * prints: tasks= secs= overhead_ms= [wave2_secs= wave2_overhead_ms= ...]
 *         [failed= error= if tasks failed] */
#include <cio.h>

#include "bench.h"

static long left;
static cio_future_t *wave_done;

static void one_ended(void)
{
    if (--left == 0)
        cio_future_set_result(wave_done, NULL);
}

static int sleeper(void *arg, void **result)
{
    int rc = cio_sleep(1.0);
    /* Counted here, not through the exception handler too: one end each. */
    if (rc < 0 && bench_failed++ == 0)
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
        if ((rc = cio_loop_create_future(loop, &wave_done)) < 0)
            return rc;
        left = a->n;
        uint64_t t0 = bench_now_ns();
        for (long i = 0; i < a->n; i++)
            if ((rc = cio_loop_create_task(loop, sleeper, NULL, NULL, NULL)) < 0)
                return rc;
        if (a->n > 0)
            rc = cio_await(wave_done, NULL);
        uint64_t dt = bench_now_ns() - t0;
        cio_unref(wave_done);
        if (rc < 0)
            return rc;
        double secs = dt / 1e9, over = a->n ? (secs - 1.0) * 1e3 : 0.0;
        if (len >= (int)sizeof line)
            continue;
        if (w == 1)
            len += snprintf(line, sizeof line, "tasks=%ld secs=%.3f overhead_ms=%.1f", a->n, secs, over);
        else
            len += snprintf(line + len, sizeof line - (size_t)len, " wave%ld_secs=%.3f wave%ld_overhead_ms=%.1f", w,
                            secs, w, over);
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
        fprintf(stderr, "w3_sleepers: %s\n", cio_strerror(rc));
    return rc < 0;
}
