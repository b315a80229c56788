/* say_after_gather: seed 000, the two say_after coroutines run by gather.
 *
 *     async def say_after(delay, what):
 *         await asyncio.sleep(delay)
 *         print(what)
 *
 *     async def main():
 *         print(f"started at {time.strftime('%X')}")
 *         await asyncio.gather(say_after(1, 'hello'), say_after(2, 'world'))
 *         print(f"finished at {time.strftime('%X')}")
 *
 *     asyncio.run(main())
 *
 * gather wraps each coroutine in a task and waits for all of them, so the
 * two sleeps overlap.  Expected: elapsed ~2 s, not 3.
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
    /* static: on a failure gather returns at once and the other task may
     * outlive this frame */
    static struct say hello = {1, "hello"}, world = {2, "world"};
    cio_call_t calls[] = {{say_after, &hello}, {say_after, &world}};
    print_clock("started");
    /* one task per call, all awaited; the tasks are gone when it returns */
    int rc = cio_gather_calls(calls, 2, NULL, NULL, 0);
    if (rc < 0) return rc;
    print_clock("finished");
    return 0;
}

int main(void)
{
    double start = perf_counter();
    int rc = cio_run(amain, NULL, NULL);
    if (rc < 0) {
        fprintf(stderr, "say_after_gather: %s\n", cio_strerror(rc));
        return 1;
    }
    printf("elapsed: %.2f s\n", perf_counter() - start);
    return 0;
}
