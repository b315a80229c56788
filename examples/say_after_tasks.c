/* say_after_tasks: seed 000, the same two coroutines wrapped in tasks.
 *
 *     async def main():
 *         task1 = asyncio.create_task(say_after(1, 'hello'))
 *         task2 = asyncio.create_task(say_after(2, 'world'))
 *         print(f"started at {time.strftime('%X')}")
 *         await task1
 *         await task2
 *         print(f"finished at {time.strftime('%X')}")
 *
 *     asyncio.run(main())
 *
 * Both tasks sleep at the same time.  Expected: elapsed ~2 s, not 3.
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

static void print_clock(const char *what)
{
    char buf[32];
    time_t t = time(NULL);
    strftime(buf, sizeof buf, "%X", localtime(&t));
    printf("%s at %s\n", what, buf);
}

struct say {
    double delay;
    const char *what;
};

static int say_after(void *arg, void **result)
{
    struct say *s = arg;
    int rc = cio_sleep(s->delay);
    if (rc < 0) return rc;
    puts(s->what);
    return 0;
}

static int amain(void *arg, void **result)
{
    /* static: a task may outlive this frame if something fails below */
    static struct say hello = {1, "hello"}, world = {2, "world"};
    cio_task_t *task1 = cio_create_task(say_after, &hello);
    cio_task_t *task2 = cio_create_task(say_after, &world);
    int rc = task1 && task2 ? 0 : -ENOMEM;
    if (rc == 0) {
        print_clock("started");
        rc = cio_await(task1, NULL);
    }
    if (rc == 0) rc = cio_await(task2, NULL);
    cio_unref(task1);
    cio_unref(task2);
    if (rc < 0) return rc;
    print_clock("finished");
    return 0;
}

int main(void)
{
    double start = perf_counter();
    int rc = cio_run(amain, NULL, NULL);
    if (rc < 0) {
        fprintf(stderr, "say_after_tasks: %s\n", cio_strerror(rc));
        return 1;
    }
    printf("elapsed: %.2f s\n", perf_counter() - start);
    return 0;
}
