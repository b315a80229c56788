/* count_gather: seed 003, "Asynchronous": five count() coroutines run by
 * gather.
 *
 *     async def count():
 *         print("One", end=" ")
 *         await asyncio.sleep(1)
 *         print("Two", end=" ")
 *         await asyncio.sleep(2)
 *         print("Three", end=" ")
 *
 *     async def main():
 *         await asyncio.gather(count(), count(), count(), count(), count())
 *
 *     if __name__ == "__main__":
 *         start_time = time.perf_counter()
 *         asyncio.run(main())
 *         end_time = time.perf_counter()
 *         execution_time = end_time - start_time
 *         print(f"\nExecuting - {__file__}\nExecution Starts: {start_time}\n"
 *               f"Executions Ends: {end_time}\nTotals Execution Time:{execution_time:0.2f} seconds.")
 *
 * (The seed's text lost the asyncio.run line; it is restored here.)  The
 * five counts sleep at the same time: "One" five times, then "Two" five
 * times, then "Three" five times.  Expected: elapsed ~3 s, where the
 * synchronous version (count_sync) takes 5 * 3 = 15 s.
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

/* print(word, end=" "), shown at once rather than at the next newline */
static void say(const char *word)
{
    printf("%s ", word);
    fflush(stdout);
}

static int count(void *arg, void **result)
{
    say("One");
    int rc = cio_sleep(1);
    if (rc < 0) return rc;
    say("Two");
    rc = cio_sleep(2);
    if (rc < 0) return rc;
    say("Three");
    return 0;
}

static int amain(void *arg, void **result)
{
    cio_call_t calls[] = {{count, NULL}, {count, NULL}, {count, NULL}, {count, NULL}, {count, NULL}};
    return cio_gather_calls(calls, 5, NULL, NULL, 0);
}

int main(void)
{
    double start_time = perf_counter();
    int rc = cio_run(amain, NULL, NULL);
    double end_time = perf_counter();
    if (rc < 0) {
        fprintf(stderr, "\ncount_gather: %s\n", cio_strerror(rc));
        return 1;
    }
    double execution_time = end_time - start_time;
    printf("\nExecuting - %s\nExecution Starts: %.9f\nExecutions Ends: %.9f\nTotals Execution Time:%.2f seconds.\n",
           __FILE__, start_time, end_time, execution_time);
    printf("elapsed: %.2f s\n", execution_time);
    return 0;
}
