/* W1 switch: two tasks alternately yield to the scheduler (cio_yield, which is
 * cio_sleep(0): one trip through the ready queue per yield), SWITCHES yields
 * in all, half each.  One switch = one task step: loop -> task -> loop.
 * usage: w1_switch [SWITCHES]   (default 1M)
 * prints: switches= ns_per_switch= secs= */
#include <cio.h>

#include "bench.h"

static int worker(void *arg, void **result)
{
    long n = *(long *)arg;
    for (long i = 0; i < n; i++) {
        int rc = cio_yield();
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int amain(void *arg, void **result)
{
    long n = *(long *)arg;
    long half[2] = {n / 2, n - n / 2};
    uint64_t t0 = bench_now_ns();
    cio_task_t *a = cio_create_task(worker, &half[0]);
    cio_task_t *b = cio_create_task(worker, &half[1]);
    if (!a || !b)
        return -12; /* -ENOMEM */
    int rc = cio_await(a, NULL);
    int rc2 = cio_await(b, NULL);
    uint64_t dt = bench_now_ns() - t0;
    cio_unref(a);
    cio_unref(b);
    if (rc < 0 || rc2 < 0)
        return rc < 0 ? rc : rc2;
    printf("switches=%ld ns_per_switch=%.1f secs=%.3f\n", n, n ? (double)dt / (double)n : 0.0, dt / 1e9);
    return 0;
}

int main(int argc, char **argv)
{
    long n = bench_arg(argc, argv, 1, 1000000);
    int rc = cio_run(amain, &n, NULL);
    if (rc < 0)
        fprintf(stderr, "w1_switch: %s\n", cio_strerror(rc));
    return rc < 0;
}
