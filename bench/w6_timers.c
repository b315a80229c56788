/* W6 timers: N cio_call_later callbacks with uniform random delays in
 * [0, 1 s): the same xorshift64 sequence (seed 42) and millisecond delays as
 * the libuv peer, so both schedule identical timers.  Reports the time to
 * schedule them, the time until the last one fired (total_s), the overhead
 * beyond the largest delay and the mean/max lateness of the callbacks
 * against the time each was due (clock read at scheduling + its delay).
 * usage: w6_timers [N]   (default 1M)
 * prints: timers= sched_ns_per_timer= total_s= overhead_ms= mean_late_ms=
 *         max_late_ms= */
#include <cio.h>

#include "bench.h"

static long n, fired;
static uint64_t last, sum_late, max_late;
static cio_future_t *all_fired;

static int on_timer(void *arg)
{
    uint64_t now = bench_now_ns();
    uint64_t intended = *(uint64_t *)arg;
    uint64_t late = now > intended ? now - intended : 0;
    sum_late += late;
    if (late > max_late)
        max_late = late;
    if (++fired == n) {
        last = now;
        cio_future_set_result(all_fired, NULL);
    }
    return 0;
}

static int amain(void *arg, void **result)
{
    cio_loop_t *loop;
    int rc = cio_get_running_loop(&loop);
    if (rc < 0)
        return rc;
    uint64_t *delay_ms = malloc(sizeof *delay_ms * (size_t)n);
    uint64_t *intended = malloc(sizeof *intended * (size_t)n);
    if (!delay_ms || !intended)
        return -12; /* -ENOMEM */
    uint64_t x = 42, max_delay = 0;
    for (long i = 0; i < n; i++) { /* xorshift64 */
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        delay_ms[i] = x % 1000;
        if (delay_ms[i] > max_delay)
            max_delay = delay_ms[i];
    }
    if ((rc = cio_loop_create_future(loop, &all_fired)) < 0)
        return rc;
    uint64_t t0 = bench_now_ns();
    for (long i = 0; i < n; i++) {
        intended[i] = bench_now_ns() + delay_ms[i] * 1000000ull;
        if ((rc = cio_call_later(loop, delay_ms[i] / 1e3, on_timer, &intended[i], NULL)) < 0)
            return rc;
    }
    uint64_t t1 = bench_now_ns();
    rc = cio_await(all_fired, NULL);
    cio_unref(all_fired);
    if (rc < 0)
        return rc;
    double total = (last - t0) / 1e9;
    printf("timers=%ld sched_ns_per_timer=%.1f total_s=%.3f overhead_ms=%.1f mean_late_ms=%.2f "
           "max_late_ms=%.1f\n",
           n, (double)(t1 - t0) / n, total, (total - max_delay / 1e3) * 1e3, (double)sum_late / n / 1e6,
           max_late / 1e6);
    free(delay_ms);
    free(intended);
    return 0;
}

int main(int argc, char **argv)
{
    n = bench_arg(argc, argv, 1, 1000000);
    if (n < 1) {
        fprintf(stderr, "w6_timers: N must be at least 1\n");
        return 2;
    }
    int rc = cio_run(amain, NULL, NULL);
    if (rc < 0)
        fprintf(stderr, "w6_timers: %s\n", cio_strerror(rc));
    return rc < 0 || fired != n;
}
