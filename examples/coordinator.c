/* coordinator: seed 002, three workers run as tasks by a coordinator.
 *
 *     async def worker(name, delay):
 *         print(f"Worker {name} starting ({delay}s delay)")
 *         await asyncio.sleep(delay)
 *         print(f"Worker {name} finished")
 *
 *     async def coordinator():
 *         print("Coordinator started")
 *         task1 = asyncio.create_task(worker("A", 3))
 *         task2 = asyncio.create_task(worker("B", 1))
 *         task3 = asyncio.create_task(worker("C", 2))
 *         await task1
 *         await task2
 *         await task3
 *         print("Coordinator finished")
 *
 *     asyncio.run(coordinator())
 *
 * B finishes first, then C, then A.  Expected: elapsed ~3 s (the longest
 * worker), not 3 + 1 + 2 = 6 s.
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

struct worker {
    const char *name;
    int delay;
};

static int worker(void *arg, void **result)
{
    struct worker *w = arg;
    printf("Worker %s starting (%ds delay)\n", w->name, w->delay);
    int rc = cio_sleep(w->delay); /* pause this task, let the others run */
    if (rc < 0) return rc;
    printf("Worker %s finished\n", w->name);
    return 0;
}

static int coordinator(void *arg, void **result)
{
    static struct worker a = {"A", 3}, b = {"B", 1}, c = {"C", 2};
    puts("Coordinator started");
    cio_task_t *task1 = cio_create_task(worker, &a);
    cio_task_t *task2 = cio_create_task(worker, &b);
    cio_task_t *task3 = cio_create_task(worker, &c);
    int rc = task1 && task2 && task3 ? 0 : -ENOMEM;
    /* while this task waits for A, B and C go on running */
    if (rc == 0) rc = cio_await(task1, NULL);
    if (rc == 0) rc = cio_await(task2, NULL);
    if (rc == 0) rc = cio_await(task3, NULL);
    cio_unref(task1);
    cio_unref(task2);
    cio_unref(task3);
    if (rc < 0) return rc;
    puts("Coordinator finished");
    return 0;
}

int main(void)
{
    double start = perf_counter();
    int rc = cio_run(coordinator, NULL, NULL);
    if (rc < 0) {
        fprintf(stderr, "coordinator: %s\n", cio_strerror(rc));
        return 1;
    }
    printf("elapsed: %.2f s\n", perf_counter() - start);
    return 0;
}
