/* async_gen: an async generator iterated by `async for` (seed 001,
 * "Asynchronous Iterators and async for", with a generator as the
 * iterator), then one driven by hand with asend() and closed with aclose().
 *
 *     async def ticker(delay, to):
 *         """Yield the numbers 0 .. to-1, one every delay seconds."""
 *         for i in range(to):
 *             yield i
 *             await asyncio.sleep(delay)
 *
 *     async def running_average():
 *         total, count, average = 0.0, 0, None
 *         try:
 *             while True:
 *                 value = yield average          # asend(value) resumes here
 *                 total += value
 *                 count += 1
 *                 average = total / count
 *         finally:                               # aclose(): GeneratorExit at the yield
 *             print(f"running_average: closed after {count} values")
 *
 *     async def main():
 *         async for i in ticker(0.1, 5):
 *             print(i)
 *         else:
 *             print("ticker exhausted")          # StopAsyncIteration ended the loop
 *
 *         avg = running_average()
 *         await avg.asend(None)                  # start it: runs to the first yield
 *         for v in (10, 20, 60):
 *             print(f"sent {v}, average {await avg.asend(v):.1f}")
 *         await avg.aclose()
 *
 *     asyncio.run(main())
 *
 * Values cross the yield as void pointers: ticker yields its integers cast
 * to pointers; running_average receives a pointer to the caller's double
 * and yields a pointer to its own `average`, which lives on the
 * generator's stack and stays valid while the generator is suspended.
 * Expected: 0 to 4, one every 0.1 s, then three averages; ~0.5 s.
 */
#include <cio.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

static double perf_counter(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef struct ticker_args {
    double delay;
    int to;
} ticker_args_t;

static int ticker(void *arg, void **result)
{
    const ticker_args_t *a = arg;
    for (int i = 0; i < a->to; i++) {
        int rc = cio_gen_yield((void *)(intptr_t)i, NULL); /* yield i */
        if (rc == 0) rc = cio_sleep(a->delay);             /* await asyncio.sleep(delay) */
        if (rc < 0) return rc;                             /* closed, thrown into, cancelled */
    }
    return 0; /* the end: the consumer's next gets -CIO_ESTOPITERATION */
}

static int running_average(void *arg, void **result)
{
    double total = 0.0, average = 0.0;
    long count = 0;
    int rc;
    for (;;) {
        void *sent;
        rc = cio_gen_yield(count ? &average : NULL, &sent); /* value = yield average (None first) */
        if (rc < 0) break;
        if (!sent) continue; /* plain next(): Python would fail on total += None */
        total += *(const double *)sent;
        count++;
        average = total / (double)count;
    }
    printf("running_average: closed after %ld values\n", count); /* finally: */
    return rc; /* -CIO_EGENEXIT: closed as asked */
}

static int amain(void *arg, void **result)
{
    /* async for i in ticker(0.1, 5): print(i)  else: print("ticker exhausted") */
    ticker_args_t targs = {.delay = 0.1, .to = 5};
    cio_gen_t *g;
    int rc = cio_gen_new(ticker, &targs, &g);
    if (rc < 0) return rc;
    void *v;
    while ((rc = cio_gen_next(g, &v)) == 0) /* i = await anext(it) */
        printf("%d\n", (int)(intptr_t)v);
    if (rc == CIO_ESTOPITERATION) { /* the loop's normal end */
        puts("ticker exhausted");
        rc = 0;
    }
    cio_gen_free(g);
    if (rc < 0) return rc;

    /* avg = running_average(); await avg.asend(None) */
    if ((rc = cio_gen_new(running_average, NULL, &g)) < 0) return rc;
    rc = cio_gen_send(g, NULL, &v);
    static const double values[] = {10, 20, 60};
    for (size_t k = 0; rc == 0 && k < sizeof values / sizeof values[0]; k++) {
        double in = values[k];
        if ((rc = cio_gen_send(g, &in, &v)) == 0) /* await avg.asend(v) */
            printf("sent %g, average %.1f\n", in, *(const double *)v);
    }
    int crc = cio_gen_close(g); /* await avg.aclose() */
    cio_gen_free(g);
    return rc < 0 ? rc : crc;
}

int main(void)
{
    double start = perf_counter();
    int rc = cio_run(amain, NULL, NULL);
    if (rc < 0) {
        fprintf(stderr, "async_gen: %s\n", cio_strerror(rc));
        return 1;
    }
    printf("elapsed: %.2f s\n", perf_counter() - start);
    return 0;
}
