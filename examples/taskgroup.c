/* taskgroup: seed 001, "Task groups": two tasks created in a TaskGroup,
 * both awaited when the `async with` block ends.
 *
 *     async def main():
 *         async with asyncio.TaskGroup() as tg:
 *             task1 = tg.create_task(some_coro(...))
 *             task2 = tg.create_task(another_coro(...))
 *         print("Both tasks have completed now.")
 *
 * The seed leaves some_coro and another_coro undefined; here they sleep 1 s
 * and 2 s and say so, and main is run by asyncio.run.  Leaving the block is
 * cio_taskgroup_wait; had a task failed, the other would have been
 * cancelled and wait would list the error.  Expected: elapsed ~2 s (the
 * longer task), not 3.
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

static int some_coro(void *arg, void **result)
{
    int rc = cio_sleep(1);
    if (rc < 0) return rc;
    puts("some_coro finished after 1 s");
    return 0;
}

static int another_coro(void *arg, void **result)
{
    int rc = cio_sleep(2);
    if (rc < 0) return rc;
    puts("another_coro finished after 2 s");
    return 0;
}

/* The group's errors, one line each (there are none when all went well). */
static void report_errors(cio_taskgroup_t *tg)
{
    int n = cio_taskgroup_error_count(tg);
    for (int i = 0; i < n; i++) {
        int code;
        cio_task_t *task;
        const char *message;
        if (cio_taskgroup_error(tg, i, &code, &task, &message) < 0) continue;
        fprintf(stderr, "taskgroup: %s: %s%s%s\n", cio_task_get_name(task), cio_strerror(code), message ? ": " : "",
                message ? message : "");
    }
}

static int amain(void *arg, void **result)
{
    cio_taskgroup_t *tg = cio_taskgroup_new(); /* async with asyncio.TaskGroup() as tg: */
    if (!tg) return -ENOMEM;
    cio_task_t *task1 = cio_taskgroup_create_task(tg, some_coro, NULL);
    cio_task_t *task2 = task1 ? cio_taskgroup_create_task(tg, another_coro, NULL) : NULL;
    /* the end of the block: wait for both (a failure in the body is handed
     * to the group, which then cancels the tasks it has) */
    int rc = cio_taskgroup_exit(tg, task1 && task2 ? 0 : -ENOMEM);
    if (rc == CIO_ETASKGROUP) report_errors(tg);
    int free_rc = cio_taskgroup_free(tg);
    if (rc < 0) return rc;
    if (free_rc < 0) return free_rc;
    puts("Both tasks have completed now.");
    return 0;
}

int main(void)
{
    double start = perf_counter();
    int rc = cio_run(amain, NULL, NULL);
    if (rc < 0) {
        fprintf(stderr, "taskgroup: %s\n", cio_strerror(rc));
        return 1;
    }
    printf("elapsed: %.2f s\n", perf_counter() - start);
    return 0;
}
