/* chain: seed 003, "4. Chaining Coroutines": for each n, function1 then
 * function2 on its result, the chains for all n run at once by gather.
 *
 *     async def function1(n: int) -> str:
 *         i = random.randint(0, 10)
 *         print(colors[1] + f"function1({n}) is sleeping for {i} seconds." + colors[0])
 *         await asyncio.sleep(i)
 *         result = f"result{n}-1"
 *         print(colors[1] + f"Returning function1({n}) == {result}." + colors[0])
 *         return result
 *
 *     async def function2(n: int, arg: str) -> str:
 *         i = random.randint(0, 10)
 *         print(colors[2] + f"function2{n, arg} is sleeping for {i} seconds." + colors[0])
 *         await asyncio.sleep(i)
 *         result = f"result{n}-2 derived from {arg}"
 *         print(colors[2] + f"Returning function2{n, arg} == {result}." + colors[0])
 *         return result
 *
 *     async def chain(n: int) -> None:
 *         start = time.perf_counter()
 *         p1 = await function1(n)
 *         p2 = await function2(n, p1)
 *         end = time.perf_counter() - start
 *         print(colors[3] + f"--> Chained result{n} => {p2} (took {end:0.2f} seconds)." + colors[0])
 *
 *     async def main(*args):
 *         await asyncio.gather(*(chain(n) for n in args))
 *
 *     if __name__ == "__main__":
 *         args = [1, 2, 3] if len(sys.argv) == 1 else map(int, sys.argv[1:])
 *         start_time = time.perf_counter()
 *         asyncio.run(main(*args))
 *         end_time = time.perf_counter()
 *         execution_time = end_time - start_time
 *         print(colors[4] + f"Program Start Time: {start_time}\nProgram End Time: {end_time}\n"
 *               f"Program Execution Time: {execution_time:0.2f} seconds." + colors[0])
 *
 * (The seed's text lost the asyncio.run line; it is restored here.)
 * Awaiting a coroutine is a plain C call: function1 and function2 run on
 * the stack of chain's task.  Usage: chain [N...] (default 1 2 3), as the
 * seed's "python chain.py 11 8 5".
 *
 * Scaled: the seed sleeps randint(0, 10) s in each function, up to 20 s a
 * chain; here randint(0, MAX_SLEEP) with MAX_SLEEP 5, up to 10 s, so the
 * demo stays short.  Expected: elapsed = the slowest chain, 0 to 10 s.
 */
#include <cio.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define MAX_SLEEP 5 /* the seed: 10 */

/* ANSI colors */
#define END "\033[0m"
#define RED "\033[31m"
#define GREEN "\033[32m"
#define CYAN "\033[36m"
#define BLUE "\033[34m"

static double perf_counter(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* random.randint(lo, hi), both ends included */
static int randint(int lo, int hi)
{
    return lo + rand() % (hi - lo + 1);
}

static int function1(int n, char *result, size_t size)
{
    int i = randint(0, MAX_SLEEP);
    printf(RED "function1(%d) is sleeping for %d seconds." END "\n", n, i);
    int rc = cio_sleep(i);
    if (rc < 0) return rc;
    snprintf(result, size, "result%d-1", n);
    printf(RED "Returning function1(%d) == %s." END "\n", n, result);
    return 0;
}

static int function2(int n, const char *arg, char *result, size_t size)
{
    int i = randint(0, MAX_SLEEP);
    printf(GREEN "function2(%d, '%s') is sleeping for %d seconds." END "\n", n, arg, i);
    int rc = cio_sleep(i);
    if (rc < 0) return rc;
    snprintf(result, size, "result%d-2 derived from %s", n, arg);
    printf(GREEN "Returning function2(%d, '%s') == %s." END "\n", n, arg, result);
    return 0;
}

static int chain(void *arg, void **result)
{
    int n = *(const int *)arg;
    char p1[32], p2[96];
    double start = perf_counter();
    int rc = function1(n, p1, sizeof p1); /* await function1(n) */
    if (rc < 0) return rc;
    rc = function2(n, p1, p2, sizeof p2);
    if (rc < 0) return rc;
    double end = perf_counter() - start;
    printf(CYAN "--> Chained result%d => %s (took %.2f seconds)." END "\n", n, p2, end);
    return 0;
}

struct args {
    const int *n;
    size_t count;
};

static int amain(void *arg, void **result)
{
    const struct args *args = arg;
    cio_call_t *calls = calloc(args->count, sizeof *calls);
    if (!calls) return -ENOMEM;
    for (size_t i = 0; i < args->count; i++) calls[i] = (cio_call_t){chain, (void *)&args->n[i]};
    int rc = cio_gather_calls(calls, args->count, NULL, NULL, 0);
    free(calls);
    return rc;
}

int main(int argc, char **argv)
{
    static const int defaults[] = {1, 2, 3};
    struct args args = {defaults, 3};
    int *parsed = NULL;
    if (argc > 1) { /* map(int, sys.argv[1:]) */
        parsed = calloc((size_t)argc - 1, sizeof *parsed);
        if (!parsed) {
            fprintf(stderr, "chain: %s\n", cio_strerror(-ENOMEM));
            return 1;
        }
        for (int i = 1; i < argc; i++) {
            char *end;
            errno = 0;
            long v = strtol(argv[i], &end, 10);
            if (end == argv[i] || *end || errno || v < INT_MIN || v > INT_MAX) {
                fprintf(stderr, "chain: invalid literal for int(): '%s'\n", argv[i]);
                free(parsed);
                return 1;
            }
            parsed[i - 1] = (int)v;
        }
        args = (struct args){parsed, (size_t)argc - 1};
    }
    srand((unsigned)time(NULL));

    double start_time = perf_counter();
    int rc = cio_run(amain, &args, NULL);
    double end_time = perf_counter();
    free(parsed);
    if (rc < 0) {
        fprintf(stderr, "chain: %s\n", cio_strerror(rc));
        return 1;
    }
    double execution_time = end_time - start_time;
    printf(BLUE "Program Start Time: %.9f\nProgram End Time: %.9f\nProgram Execution Time: %.2f seconds." END "\n",
           start_time, end_time, execution_time);
    printf("elapsed: %.2f s\n", execution_time);
    return 0;
}
