/* count_sync: seed 003, "Synchronous": the same count() five times, with
 * blocking sleeps and no event loop at all.
 *
 *     def count():
 *         print("One", end=" ")
 *         time.sleep(1)
 *         print("Two", end=" ")
 *         time.sleep(2)
 *         print("Three", end=" ")
 *
 *     def main():
 *         for _ in range(5):
 *             count()
 *
 *     if __name__ == "__main__":
 *         start_time = time.perf_counter()
 *         main()
 *         end_time = time.perf_counter()
 *         execution_time = end_time - start_time
 *         print(f"\nExecuting - {__file__}\nExecution Starts: {start_time}\n"
 *               f"Executions Ends: {end_time}\nTotals Execution Time:{execution_time:0.2f} seconds.")
 *
 * (The seed's text lost the two time.sleep lines, the count() call and the
 * main() call; the seed's output, "One Two Three" five times in 15.01 s,
 * shows what they were, and they are restored here.)  The comparison point
 * for count_gather: nothing overlaps.  Expected: elapsed ~15 s.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static double perf_counter(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* time.sleep: blocks the whole program */
static int sleep_seconds(time_t seconds)
{
    struct timespec left = {seconds, 0};
    while (nanosleep(&left, &left) < 0)
        if (errno != EINTR) return -errno;
    return 0;
}

static void say(const char *word)
{
    printf("%s ", word);
    fflush(stdout);
}

static int count(void)
{
    say("One");
    int rc = sleep_seconds(1);
    if (rc < 0) return rc;
    say("Two");
    rc = sleep_seconds(2);
    if (rc < 0) return rc;
    say("Three");
    return 0;
}

int main(void)
{
    double start_time = perf_counter();
    int rc = 0;
    for (int i = 0; i < 5 && rc == 0; i++) rc = count();
    double end_time = perf_counter();
    if (rc < 0) {
        fprintf(stderr, "\ncount_sync: %s\n", strerror(-rc));
        return 1;
    }
    double execution_time = end_time - start_time;
    printf("\nExecuting - %s\nExecution Starts: %.9f\nExecutions Ends: %.9f\nTotals Execution Time:%.2f seconds.\n",
           __FILE__, start_time, end_time, execution_time);
    printf("elapsed: %.2f s\n", execution_time);
    return 0;
}
