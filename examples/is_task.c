/* is_task: seed 001, the same coroutine run twice as two tasks.
 *
 *     async def is_task():
 *         t1 = asyncio.create_task(say_hello())
 *         t2 = asyncio.create_task(say_hello())
 *         print(f"started at {time.strftime('%X')}")
 *         await t1
 *         await t2
 *         print(f"started at {time.strftime('%X')}")
 *
 *     asyncio.run(is_task())
 *
 * Expected: elapsed ~2 s; compare not_task, ~4 s.
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

static int say_hello(void *arg, void **result)
{
    int rc = cio_sleep(2);
    if (rc < 0) return rc;
    puts("Hello");
    return 0;
}

static int is_task(void *arg, void **result)
{
    cio_task_t *t1 = cio_create_task(say_hello, NULL);
    cio_task_t *t2 = cio_create_task(say_hello, NULL);
    int rc = t1 && t2 ? 0 : -ENOMEM;
    if (rc == 0) {
        print_clock("started");
        rc = cio_await(t1, NULL);
    }
    if (rc == 0) rc = cio_await(t2, NULL);
    cio_unref(t1);
    cio_unref(t2);
    if (rc < 0) return rc;
    print_clock("started");
    return 0;
}

int main(void)
{
    double start = perf_counter();
    int rc = cio_run(is_task, NULL, NULL);
    if (rc < 0) {
        fprintf(stderr, "is_task: %s\n", cio_strerror(rc));
        return 1;
    }
    printf("elapsed: %.2f s\n", perf_counter() - start);
    return 0;
}
