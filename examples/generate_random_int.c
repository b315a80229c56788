/* generate_random_int: seed 003, the last example: three calls that each
 * draw random integers in [0, 10] until one exceeds their threshold, run
 * at once by gather so none waits for the others.
 *
 *     async def generate_random_int(indx: int, threshold: int = 5) -> int:
 *         print(colors[indx + 1] + f"Initiated generate_random_int({indx}).")
 *         i = random.randint(0, 10)
 *         while i <= threshold:
 *             print(colors[indx + 1] + f"generate_random_int({indx}) == {i} too low; retrying.")
 *             await asyncio.sleep(indx + 1)
 *             i = random.randint(0, 10)
 *         print(colors[indx + 1] + f"---> Finished: generate_random_int({indx}) == {i}" + colors[0])
 *         return i
 *
 *     async def main():
 *         res = await asyncio.gather(*(generate_random_int(i, 10 - i - 1) for i in range(3)))
 *         return res
 *
 *     if __name__ == "__main__":
 *         start_time = time.perf_counter()
 *         r1, r2, r3 = asyncio.run(main())
 *         print(colors[4] + f"\nRandom INT 1: {r1}, Random INT 2: {r2}, Random INT 3: {r3}\n" + colors[0])
 *         end_time = time.perf_counter()
 *         execution_time = end_time - start_time
 *         print(colors[5] + f"Program Start Time: {start_time}\nProgram End Time: {end_time}\n"
 *               f"Program Execution Time: {execution_time:0.2f} seconds." + colors[0])
 *
 * (The seed's text lost the asyncio.run call; it is restored here.)  The
 * thresholds are 9, 8 and 7: call 0 waits for a 10, call 1 for a 9 or 10,
 * call 2 for an 8, 9 or 10; gather returns the three results in call order.
 *
 * Scaled: the seed sleeps indx + 1 seconds between draws, about 17 s in all
 * on average and with no upper bound; here each of those seconds is
 * SLEEP_UNIT = 0.25 s, about 4 s on average.  The printed lines are the
 * seed's (they never show the sleep).  Expected: elapsed random, a few s.
 */
#include <cio.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define SLEEP_UNIT 0.25 /* the seed: 1 s */

/* ANSI colors, indexed as the seed's tuple */
static const char *const colors[] = {
    "\033[0m",  /* End of color */
    "\033[31m", /* Red */
    "\033[32m", /* Green */
    "\033[36m", /* Cyan */
    "\033[35m", /* Magenta */
    "\033[34m", /* Blue */
};

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

struct gen {
    int indx;
    int threshold;
};

static int generate_random_int(void *arg, void **result)
{
    const struct gen *g = arg;
    const char *color = colors[g->indx + 1];
    printf("%sInitiated generate_random_int(%d).\n", color, g->indx);
    int i = randint(0, 10);
    while (i <= g->threshold) {
        printf("%sgenerate_random_int(%d) == %d too low; retrying.\n", color, g->indx, i);
        int rc = cio_sleep((g->indx + 1) * SLEEP_UNIT);
        if (rc < 0) return rc;
        i = randint(0, 10);
    }
    printf("%s---> Finished: generate_random_int(%d) == %d%s\n", color, g->indx, i, colors[0]);
    *result = (void *)(intptr_t)i;
    return 0;
}

static int amain(void *arg, void **result)
{
    void **res = arg; /* 3 entries, filled in call order */
    static const struct gen gens[3] = {{0, 10 - 0 - 1}, {1, 10 - 1 - 1}, {2, 10 - 2 - 1}};
    cio_call_t calls[3];
    for (int i = 0; i < 3; i++) calls[i] = (cio_call_t){generate_random_int, (void *)&gens[i]};
    int rc = cio_gather_calls(calls, 3, res, NULL, 0);
    if (rc < 0) return rc;
    *result = res;
    return 0;
}

int main(void)
{
    srand((unsigned)time(NULL));
    void *storage[3], *out;
    double start_time = perf_counter();
    int rc = cio_run(amain, storage, &out); /* r1, r2, r3 = asyncio.run(main()) */
    if (rc < 0) {
        fprintf(stderr, "%sgenerate_random_int: %s\n", colors[0], cio_strerror(rc));
        return 1;
    }
    void **res = out;
    int r1 = (int)(intptr_t)res[0], r2 = (int)(intptr_t)res[1], r3 = (int)(intptr_t)res[2];
    printf("%s\nRandom INT 1: %d, Random INT 2: %d, Random INT 3: %d\n%s\n", colors[4], r1, r2, r3, colors[0]);
    double end_time = perf_counter();
    double execution_time = end_time - start_time;
    printf("%sProgram Start Time: %.9f\nProgram End Time: %.9f\nProgram Execution Time: %.2f seconds.%s\n", colors[5],
           start_time, end_time, execution_time, colors[0]);
    printf("elapsed: %.2f s\n", execution_time);
    return 0;
}
