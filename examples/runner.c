/* runner: seed 001, asyncio.Runner as a context manager.
 *
 *     async def main():
 *         await asyncio.sleep(1)
 *         print('hello')
 *
 *     with asyncio.Runner() as runner:
 *         runner.run(main())
 *
 * cio_runner_free() is leaving the `with` block: it cancels what is left,
 * shuts the thread pool down and closes the loop.  Expected: elapsed ~1 s.
 */
#include <cio.h>
#include <stdio.h>
#include <time.h>

static double perf_counter(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int amain(void *arg, void **result)
{
    int rc = cio_sleep(1);
    if (rc < 0) return rc;
    puts("hello");
    return 0;
}

static int run(void)
{
    cio_runner_t *runner;
    int rc = cio_runner_new(NULL, &runner);
    if (rc < 0) return rc;
    rc = cio_runner_run(runner, amain, NULL, NULL);
    int close_rc = cio_runner_free(runner);
    return rc < 0 ? rc : close_rc;
}

int main(void)
{
    double start = perf_counter();
    int rc = run();
    if (rc < 0) {
        fprintf(stderr, "runner: %s\n", cio_strerror(rc));
        return 1;
    }
    printf("elapsed: %.2f s\n", perf_counter() - start);
    return 0;
}
