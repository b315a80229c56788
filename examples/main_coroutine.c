/* main_coroutine: seed 002, the entry point run by asyncio.run().
 *
 *     async def main():
 *         print("Main coroutine started")
 *         await asyncio.sleep(0.5)
 *         print("Main coroutine finished")
 *
 *     if __name__ == "__main__":
 *         asyncio.run(main())
 *
 * Expected: elapsed ~0.5 s.
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
    puts("Main coroutine started");
    int rc = cio_sleep(0.5);
    if (rc < 0) return rc;
    puts("Main coroutine finished");
    return 0;
}

int main(void)
{
    double start = perf_counter();
    int rc = cio_run(amain, NULL, NULL); /* starts the loop, runs amain, closes the loop */
    if (rc < 0) {
        fprintf(stderr, "main_coroutine: %s\n", cio_strerror(rc));
        return 1;
    }
    printf("elapsed: %.2f s\n", perf_counter() - start);
    return 0;
}
