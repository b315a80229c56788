/* timeout: seed 001, "coroutine asyncio.timeout(delay)": a long task cut
 * short by a 10 s timeout, the TimeoutError handled.
 *
 *     async def main():
 *         try:
 *             async with asyncio.timeout(10):
 *                 await long_running_task()
 *         except TimeoutError:
 *             print("The long operation timed out, but we've handled it.")
 *         print("This statement will run regardless.")
 *
 * The seed leaves long_running_task undefined; here it says it starts and
 * sleeps 20 s, so the timeout fires, and main is run by asyncio.run.
 * Awaiting the coroutine is a plain call inside the scope: at the deadline
 * the task is cancelled, the call returns -ECANCELED, and leaving the scope
 * turns that into -ETIMEDOUT.  Expected: elapsed ~10 s.
 */
#include <cio.h>
#include <errno.h>
#include <stdio.h>
#include <time.h>

static double perf_counter(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int long_running_task(void *arg, void **result)
{
    puts("long_running_task: started, needs 20 s");
    int rc = cio_sleep(20);
    if (rc < 0) return rc;
    puts("long_running_task: finished");
    return 0;
}

static int amain(void *arg, void **result)
{
    cio_timeout_t to;
    int rc = cio_timeout_enter(&to, 10); /* async with asyncio.timeout(10): */
    if (rc < 0) return rc;
    rc = cio_timeout_exit(&to, long_running_task(NULL, NULL));
    if (rc == -ETIMEDOUT)
        puts("The long operation timed out, but we've handled it.");
    else if (rc < 0)
        return rc;
    puts("This statement will run regardless.");
    return 0;
}

int main(void)
{
    double start = perf_counter();
    int rc = cio_run(amain, NULL, NULL);
    if (rc < 0) {
        fprintf(stderr, "timeout: %s\n", cio_strerror(rc));
        return 1;
    }
    printf("elapsed: %.2f s\n", perf_counter() - start);
    return 0;
}
