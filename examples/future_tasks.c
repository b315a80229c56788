/* future_tasks: seed 003, "3. Tasks": a Future resolved by one task and
 * awaited by another.
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
 *         loop = asyncio.get_event_loop()
 *         t1 = loop.create_task(bar(future))
 *         t2 = loop.create_task(foo(future))
 *         await t2, t1
 *
 *     if __name__ == "__main__":
 *         start_time = time.perf_counter()
 *         loop = asyncio.get_event_loop()
 *         loop.run_until_complete(main())
 *         end_time = time.perf_counter()
 *         execution_time = end_time - start_time
 *         print(colors[3] + f"Future Start Time: {start_time}\nFuture End Time: "
 *               f"{end_time}\nFuture Execution Time: {execution_time:0.2f} seconds." + colors[0])
 *
 * (The seed's text lost the run_until_complete line; it is restored here.)
 * Expected: elapsed ~3 s.
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
    cio_loop_t *loop;
    cio_task_t *t1 = NULL, *t2 = NULL;
    int rc = cio_get_event_loop(&loop);
    if (rc == 0) rc = cio_loop_create_task(loop, bar, future, NULL, &t1);
    if (rc == 0) rc = cio_loop_create_task(loop, foo, future, NULL, &t2);
    /* `await t2, t1` awaits t2 only; t1 is done by then, and awaiting it
     * too collects its outcome. */
    if (rc == 0) rc = cio_await(t2, NULL);
    if (rc == 0) rc = cio_await(t1, NULL);
    cio_unref(t1);
    cio_unref(t2);
    cio_unref(future);
    return rc;
}

/* loop.run_until_complete(main()) on a loop of our own, then close it. */
static int run_main(void)
{
    cio_loop_t *loop;
    int rc = cio_loop_new(&loop);
    if (rc < 0) return rc;
    cio_task_t *task;
    rc = cio_loop_create_task(loop, amain, NULL, NULL, &task);
    if (rc == 0) {
        rc = cio_loop_run_until_complete(loop, task, NULL);
        cio_unref(task);
    }
    int free_rc = cio_loop_free(loop);
    return rc < 0 ? rc : free_rc;
}

int main(void)
{
    double start_time = perf_counter();
    int rc = run_main();
    double end_time = perf_counter();
    if (rc < 0) {
        fprintf(stderr, "future_tasks: %s\n", cio_strerror(rc));
        return 1;
    }
    double execution_time = end_time - start_time;
    printf(BLUE "Future Start Time: %.9f\nFuture End Time: %.9f\nFuture Execution Time: %.2f seconds." END "\n",
           start_time, end_time, execution_time);
    printf("elapsed: %.2f s\n", execution_time);
    return 0;
}
