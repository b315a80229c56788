/* say_after_sequential: seed 000, two coroutines awaited one after the other.
 *
 *     async def say_after(delay, what):
 *         await asyncio.sleep(delay)
 *         print(what)
 *
 *     async def main():
 *         print(f"started at {time.strftime('%X')}")
 *         await say_after(1, 'hello')
 *         await say_after(2, 'world')
 *         print(f"finished at {time.strftime('%X')}")
 *
 *     asyncio.run(main())
 *
 * Awaiting a coroutine is a plain C call: nothing runs concurrently, so the
 * two sleeps add up.  Expected: elapsed ~3 s.
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

/* print(f"{what} at {time.strftime('%X')}") */
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
    struct say hello = {1, "hello"}, world = {2, "world"};
    print_clock("started");
    int rc = say_after(&hello, NULL); /* await say_after(1, 'hello') */
    if (rc < 0) return rc;
    rc = say_after(&world, NULL);
    if (rc < 0) return rc;
    print_clock("finished");
    return 0;
}

int main(void)
{
    double start = perf_counter();
    int rc = cio_run(amain, NULL, NULL);
    if (rc < 0) {
        fprintf(stderr, "say_after_sequential: %s\n", cio_strerror(rc));
        return 1;
    }
    printf("elapsed: %.2f s\n", perf_counter() - start);
    return 0;
}
