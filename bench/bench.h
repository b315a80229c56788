/* Helpers shared by the benchmarks: a monotonic clock in nanoseconds and
 * positional integer arguments.  Each benchmark prints one line of
 * key=value fields, named as the peers' programs in shared/peers/ name them,
 * so that bench/run.sh can put the two side by side. */
#ifndef CIO_BENCH_H
#define CIO_BENCH_H

#include <cio.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* argv[i] as a non-negative integer, dflt when absent; exits on garbage. */
static inline long bench_arg(int argc, char **argv, int i, long dflt)
{
    if (argc <= i)
        return dflt;
    char *end;
    long v = strtol(argv[i], &end, 10);
    if (*argv[i] == 0 || *end != 0 || v < 0) {
        fprintf(stderr, "%s: argument %d must be a non-negative integer, not '%s'\n", argv[0], i, argv[i]);
        exit(2);
    }
    return v;
}

/* Tasks created without a reference that fail (e.g. -ENOMEM for a stack)
 * reach the loop's exception handler when the loop drops them.  This
 * handler counts them instead of printing a line each, and calls
 * bench_on_task_failed (if set) so that a benchmark waiting for N tasks to
 * end counts the failed ones too. */
static long bench_failed;
static int bench_first_error;
static void (*bench_on_task_failed)(void);

static inline void bench_exc_handler(cio_loop_t *loop, const cio_exc_context_t *ctx, void *ud)
{
    (void)ud;
    if (ctx->future && ctx->error < 0) {
        if (bench_failed++ == 0)
            bench_first_error = ctx->error;
        if (bench_on_task_failed)
            bench_on_task_failed();
    } else {
        cio_loop_default_exception_handler(loop, ctx);
    }
}

/* " failed=K error=NAME" for the result line, or "" when none failed. */
static inline const char *bench_failures(void)
{
    static char buf[96];
    buf[0] = 0;
    if (bench_failed)
        snprintf(buf, sizeof buf, " failed=%ld error=%s", bench_failed, cio_err_name(bench_first_error));
    return buf;
}

#endif
