/* future_gather: seed 003, "2. Futures": a Future resolved by one coroutine
 * and awaited by another, the two run by gather.
 *
 *     async def bar(future):
 *         print(colors[1] + "bar will sleep for 3 seconds" + colors[0])
 *         await asyncio.sleep(3)
 *         print(colors[1] + "bar resolving the future" + colors[0])
 *         future.set_result("future is resolved")
 *
 *     async def foo(future):
 *         print(colors[2] + "foo will await the future" + colors[0])
 *         await future
 *         print(colors[2] + "foo finds the future resolved" + colors[0])
 *
 *     async def main():
 *         future = Future()
 *         await asyncio.gather(foo(future), bar(future))
 *
 *     if __name__ == "__main__":
 *         start_time = time.perf_counter()
 *         asyncio.run(main())
 *         end_time = time.perf_counter()
 *         execution_time = end_time - start_time
 *         print(colors[3] + f"Future Start Time: {start_time}\nFuture End Time: "
 *               f"{end_time}\nFuture Execution Time: {execution_time:0.2f} seconds." + colors[0])
 *
 * (The seed's text lost the asyncio.run line; it is restored here.  The
 * same foo and bar run as tasks in future_tasks.)  foo starts first and
 * waits; bar resolves the future 3 s later.  Expected: elapsed ~3 s.
 */
#include <cio.h>
#include <errno.h>
#include <stdio.h>
#include <time.h>

/* ANSI colors */
#define END "\033[0m"
#define RED "\033[31m"
#define GREEN "\033[32m"
#define BLUE "\033[34m"

static double perf_counter(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int bar(void *arg, void **result)
{
    cio_future_t *future = arg;
    puts(RED "bar will sleep for 3 seconds" END);
    int rc = cio_sleep(3);
    if (rc < 0) return rc;
    puts(RED "bar resolving the future" END);
    return cio_future_set_result(future, "future is resolved");
}

static int foo(void *arg, void **result)
{
    cio_future_t *future = arg;
    puts(GREEN "foo will await the future" END);
    int rc = cio_await(future, NULL);
    if (rc < 0) return rc;
    puts(GREEN "foo finds the future resolved" END);
    return 0;
}

static int amain(void *arg, void **result)
{
    cio_future_t *future = cio_create_future();
    if (!future) return -ENOMEM;
    cio_call_t calls[] = {{foo, future}, {bar, future}};
    int rc = cio_gather_calls(calls, 2, NULL, NULL, 0);
    cio_unref(future);
    return rc;
}

int main(void)
{
    double start_time = perf_counter();
    int rc = cio_run(amain, NULL, NULL);
    double end_time = perf_counter();
    if (rc < 0) {
        fprintf(stderr, "future_gather: %s\n", cio_strerror(rc));
        return 1;
    }
    double execution_time = end_time - start_time;
    printf(BLUE "Future Start Time: %.9f\nFuture End Time: %.9f\nFuture Execution Time: %.2f seconds." END "\n",
           start_time, end_time, execution_time);
    printf("elapsed: %.2f s\n", execution_time);
    return 0;
}
