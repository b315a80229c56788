/* not_task: seed 001, a coroutine awaited twice in a row, without tasks.
 *
 *     async def say_hello():
 *         await asyncio.sleep(2)
 *         print("Hello")
 *
 *     async def not_task():
 *         print(f"started at {time.strftime('%X')}")
 *         await say_hello()
 *         await say_hello()
 *         print(f"started at {time.strftime('%X')}")
 *
 *     asyncio.run(not_task())
 *
 * (The seed prints "started at" on both lines; so does this twin.)
 * Expected: elapsed ~4 s; compare is_task, ~2 s.
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

static int not_task(void *arg, void **result)
{
    print_clock("started");
    int rc = say_hello(NULL, NULL); /* await say_hello(): a plain call */
    if (rc < 0) return rc;
    rc = say_hello(NULL, NULL);
    if (rc < 0) return rc;
    print_clock("started");
    return 0;
}

int main(void)
{
    double start = perf_counter();
    int rc = cio_run(not_task, NULL, NULL);
    if (rc < 0) {
        fprintf(stderr, "not_task: %s\n", cio_strerror(rc));
        return 1;
    }
    printf("elapsed: %.2f s\n", perf_counter() - start);
    return 0;
}
