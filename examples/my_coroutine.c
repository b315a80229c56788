/* my_coroutine: seed 002, "Defining a Coroutine" (the seed only defines it;
 * this twin runs it with asyncio.run()).
 *
 *     async def my_coroutine():
 *         print("Starting coroutine")
 *         # Simulate an I/O operation that takes time
 *         await asyncio.sleep(1)
 *         print("Coroutine finished")
 *
 * Expected: elapsed ~1 s.
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

static int my_coroutine(void *arg, void **result)
{
    puts("Starting coroutine");
    int rc = cio_sleep(1); /* simulate an I/O operation that takes time */
    if (rc < 0) return rc;
    puts("Coroutine finished");
    return 0;
}

int main(void)
{
    double start = perf_counter();
    int rc = cio_run(my_coroutine, NULL, NULL);
    if (rc < 0) {
        fprintf(stderr, "my_coroutine: %s\n", cio_strerror(rc));
        return 1;
    }
    printf("elapsed: %.2f s\n", perf_counter() - start);
    return 0;
}
