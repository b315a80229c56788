/* run_until_complete: seed 004, driving a loop by hand.
 *
 *     async def my_coro():
 *         print('Hello world!')
 *
 *     loop = asyncio.get_event_loop()
 *     loop.run_until_complete(my_coro())
 *     loop.close()
 *
 * run_until_complete() takes a future, so the coroutine is first wrapped in
 * a task (Python does that implicitly).  Expected: elapsed ~0 s.
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

static int my_coro(void *arg, void **result)
{
    puts("Hello world!");
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
    int close_rc = cio_loop_close(loop);               /* loop.close() */
    if (close_rc == 0) close_rc = cio_loop_free(loop); /* C: and free it */
    return rc < 0 ? rc : close_rc;
}

int main(void)
{
    double start = perf_counter();
    int rc = run();
    if (rc < 0) {
        fprintf(stderr, "run_until_complete: %s\n", cio_strerror(rc));
        return 1;
    }
    printf("elapsed: %.2f s\n", perf_counter() - start);
    return 0;
}
