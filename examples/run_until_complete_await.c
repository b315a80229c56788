/* run_until_complete_await: seed 004, a coroutine that awaits a long task.
 *
 *     async def my_coro():
 *         await some_long_running_task()
 *         print('Done!')
 *
 *     loop = asyncio.get_event_loop()
 *     loop.run_until_complete(my_coro())
 *
 * The seed leaves some_long_running_task undefined.  Here it is a blocking
 * one-second call run in the loop's thread pool (asyncio.to_thread), so the
 * loop stays free to process other events meanwhile.  The seed never closes
 * its loop; in C the loop is freed at the end.  Expected: elapsed ~1 s.
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

/* Blocking work: runs on a pool thread, never on the loop. */
static int blocking_work(void *arg, void **result)
{
    struct timespec one_second = {1, 0};
    nanosleep(&one_second, NULL);
    return 0;
}

static int some_long_running_task(void)
{
    return cio_to_thread(blocking_work, NULL, NULL);
}

static int my_coro(void *arg, void **result)
{
    int rc = some_long_running_task();
    if (rc < 0) return rc;
    puts("Done!");
    return 0;
}

static int run(void)
{
    cio_loop_t *loop;
    int rc = cio_loop_new(&loop);
    if (rc < 0) return rc;
    cio_task_t *task;
    rc = cio_loop_create_task(loop, my_coro, NULL, NULL, &task);
    if (rc == 0) {
        rc = cio_loop_run_until_complete(loop, task, NULL);
        cio_unref(task);
    }
    int free_rc = cio_loop_free(loop);
    return rc < 0 ? rc : free_rc;
}

int main(void)
{
    double start = perf_counter();
    int rc = run();
    if (rc < 0) {
        fprintf(stderr, "run_until_complete_await: %s\n", cio_strerror(rc));
        return 1;
    }
    printf("elapsed: %.2f s\n", perf_counter() - start);
    return 0;
}
