/* producer_consumer: seed 003, "5. Using a Queue": producers put random
 * items into an asyncio.Queue at random times, consumers take them out at
 * random times; main waits for the producers, then for q.join(), then
 * cancels the consumers, which loop forever.
 *
 *     async def generate_item(size: int = 5) -> str:
 *         return os.urandom(size).hex()
 *
 *     async def random_sleep(caller=None) -> None:
 *         i = random.randint(0, 10)
 *         if caller:
 *             print(colors[1] + f"{caller} sleeping for {i} seconds." + colors[0])
 *         await asyncio.sleep(i)
 *
 *     async def produce(name: int, producer_queue: asyncio.Queue) -> None:
 *         n = random.randint(0, 10)
 *         for _ in it.repeat(None, n):  # Synchronous loop for each single producer
 *             await random_sleep(caller=f"Producer {name}")
 *             i = await generate_item()
 *             t = time.perf_counter()
 *             await producer_queue.put((i, t))
 *             print(colors[2] + f"Producer {name} added <{i}> to queue." + colors[0])
 *
 *     async def consume(name: int, consumer_queue: asyncio.Queue) -> None:
 *         while True:
 *             await random_sleep(caller=f"Consumer {name}")
 *             i, t = await consumer_queue.get()
 *             now = time.perf_counter()
 *             print(colors[3] + f"Consumer {name} got element <{i}>"
 *                   f" in {now - t:0.5f} seconds." + colors[0])
 *             consumer_queue.task_done()
 *
 *     async def main(no_producer: int, no_consumer: int):
 *         q = asyncio.Queue()
 *         producers = [asyncio.create_task(produce(n, q)) for n in range(no_producer)]
 *         consumers = [asyncio.create_task(consume(n, q)) for n in range(no_consumer)]
 *         await asyncio.gather(*producers)
 *         await q.join()  # Implicitly awaits consumers, too
 *         for consumer in consumers:
 *             consumer.cancel()
 *
 *     if __name__ == "__main__":
 *         parser = argparse.ArgumentParser()
 *         parser.add_argument("-p", "--no_producer", type=int, default=10)
 *         parser.add_argument("-c", "--no_consumer", type=int, default=15)
 *         ns = parser.parse_args()
 *         start_time = time.perf_counter()
 *         asyncio.run(main(**ns.__dict__))
 *         end_time = time.perf_counter()
 *         execution_time = end_time - start_time
 *         print(colors[4] + f"Program Start Time: {start_time}\nProgram End Time: {end_time}\n"
 *               f"Program Execution Time: {execution_time:0.2f} seconds." + colors[0])
 *
 * The seed's text lost four lines, restored here: consume's
 * `consumer_queue.task_done()` (without it q.join() never returns), the
 * `consumer.cancel()` in main's last loop, and the asyncio.run call.
 *
 * Usage: producer_consumer [-p N] [-c N] [--seed N]
 *   -p, --no_producer N   producers (default 10)
 *   -c, --no_consumer N   consumers (default 15)
 *   --seed N              a reproducible run (see below); default: a fresh seed
 *
 * Scaled: the seed sleeps randint(0, 10) s before every put and every get,
 * up to 100 s for a producer; here each of those seconds is a TICK of
 * 0.02 s, so a run takes at most about 2.5 s.  The lines print the seed's
 * seconds: "sleeping for 7 seconds" sleeps 7 ticks, and "got element in
 * 2.00031 seconds" is 2.00031 ticks.  Program Start/End/Execution Time and
 * the final elapsed line are real seconds.
 *
 * Reproducible: every task draws from its own random stream, seeded from
 * --seed and its role and number, so the item counts, sleeps and items are
 * the same in every run with the same seed whatever the interleaving; and
 * every sleep ends on a common grid of ticks (loop.call_at, see
 * random_sleep), so that equal deadlines tie exactly and run in the order
 * they were set, as cio breaks ties: the lines come out in the same order
 * in every run (only the measured fractions of a tick differ).  Python's
 * random.seed() would not give that: its sleeps drift by their lateness,
 * and a tie is broken by whichever drifted less.
 */
#include <cio.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TICK 0.02 /* one of the seed's seconds */

/* ANSI colors, indexed as the seed's tuple */
static const char *const colors[] = {
    "\033[0m",  /* End of color */
    "\033[31m", /* Red */
    "\033[32m", /* Green */
    "\033[36m", /* Cyan */
    "\033[34m", /* Blue */
};

static double perf_counter(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------ randomness */

/* One random stream per task (splitmix64), in place of the random module's
 * shared generator and os.urandom. */
typedef struct rng {
    uint64_t state;
} rng_t;

static uint64_t rng_next(rng_t *r)
{
    uint64_t z = (r->state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* The stream of task `name` of role 'p' or 'c' for a run's seed. */
static rng_t rng_for(uint64_t seed, char role, int name)
{
    rng_t r = {.state = seed};
    r.state = rng_next(&r) ^ ((uint64_t)(unsigned char)role << 32) ^ (uint64_t)(unsigned)name;
    rng_next(&r);
    return r;
}

/* random.randint(lo, hi), both ends included */
static int randint(rng_t *r, int lo, int hi)
{
    return lo + (int)(rng_next(r) % (uint64_t)(hi - lo + 1));
}

/* ------------------------------------------------------------ the program */

/* What goes through the queue: the tuple (i, t). */
typedef struct item {
    char hex[11]; /* 5 bytes as hex */
    double t;     /* perf_counter() at the put */
} item_t;

typedef struct worker {
    int name;
    cio_queue_t *q;
    rng_t rng;
} worker_t;

static double t_start; /* the loop time of tick 0 */

static int wake(void *fut)
{
    return cio_future_done(fut) ? 0 : cio_future_set_result(fut, NULL);
}

/* Sleep until the loop time `when`:
 *     fut = loop.create_future(); loop.call_at(when, fut.set_result, None); await fut
 * A cancel of the task cancels fut; the timer is then dropped. */
static int sleep_until(double when)
{
    cio_loop_t *loop;
    cio_future_t *fut;
    cio_handle_t *timer;
    int rc = cio_get_running_loop(&loop);
    if (rc < 0) return rc;
    if ((rc = cio_loop_create_future(loop, &fut)) < 0) return rc;
    if ((rc = cio_call_at(loop, when, wake, fut, &timer)) == 0) {
        rc = cio_await(fut, NULL);
        cio_handle_cancel(timer);
        cio_unref(timer);
    }
    cio_unref(fut);
    return rc;
}

/* await asyncio.sleep(i), i ticks: until the i-th tick after the one we
 * are on (every task wakes on a tick, within a small fraction of one). */
static int sleep_ticks(int i)
{
    cio_loop_t *loop;
    int rc = cio_get_running_loop(&loop);
    if (rc < 0) return rc;
    double tick = round((cio_loop_time(loop) - t_start) / TICK);
    return sleep_until(t_start + (tick + i) * TICK);
}

static int random_sleep(rng_t *rng, const char *role, int name)
{
    int i = randint(rng, 0, 10);
    if (role) printf("%s%s %d sleeping for %d seconds.%s\n", colors[1], role, name, i, colors[0]);
    return sleep_ticks(i);
}

/* generate_item(): 5 random bytes as hex (it never awaits: a plain call) */
static void generate_item(rng_t *rng, char hex[11])
{
    for (int k = 0; k < 5; k++) snprintf(hex + 2 * k, 3, "%02x", (unsigned)(rng_next(rng) & 0xff));
}

static int produce(void *arg, void **result)
{
    worker_t *w = arg;
    int n = randint(&w->rng, 0, 10);
    for (int k = 0; k < n; k++) { /* synchronous loop for each single producer */
        int rc = random_sleep(&w->rng, "Producer", w->name);
        if (rc < 0) return rc;
        item_t *it = malloc(sizeof *it);
        if (!it) return -ENOMEM;
        generate_item(&w->rng, it->hex);
        it->t = perf_counter();
        if ((rc = cio_queue_put(w->q, it)) < 0) { /* await producer_queue.put((i, t)) */
            free(it);
            return rc;
        }
        printf("%sProducer %d added <%s> to queue.%s\n", colors[2], w->name, it->hex, colors[0]);
    }
    return 0;
}

static int consume(void *arg, void **result)
{
    worker_t *w = arg;
    for (;;) {
        int rc = random_sleep(&w->rng, "Consumer", w->name);
        if (rc < 0) return rc; /* cancelled by main: the end */
        void *p;
        if ((rc = cio_queue_get(w->q, &p)) < 0) return rc; /* i, t = await consumer_queue.get() */
        item_t *it = p;
        double now = perf_counter();
        printf("%sConsumer %d got element <%s> in %.5f seconds.%s\n", colors[3], w->name, it->hex,
               (now - it->t) / TICK, colors[0]);
        free(it);
        cio_queue_task_done(w->q);
    }
}

typedef struct args {
    int no_producer;
    int no_consumer;
    uint64_t seed;
} args_t;

static int amain(void *arg, void **result)
{
    const args_t *a = arg;
    cio_loop_t *loop;
    int rc = cio_get_running_loop(&loop);
    if (rc < 0) return rc;
    t_start = cio_loop_time(loop);

    cio_queue_t q = CIO_QUEUE_INIT(0); /* q = asyncio.Queue() */
    size_t np = (size_t)a->no_producer, nc = (size_t)a->no_consumer;
    cio_task_t **tasks = calloc(np + nc + 1, sizeof *tasks); /* producers, then consumers */
    worker_t *workers = calloc(np + nc + 1, sizeof *workers);
    if (!tasks || !workers) rc = -ENOMEM;
    for (size_t k = 0; k < np + nc && rc == 0; k++) {
        int producer = k < np;
        int name = (int)(producer ? k : k - np);
        workers[k] = (worker_t){.name = name, .q = &q, .rng = rng_for(a->seed, producer ? 'p' : 'c', name)};
        tasks[k] = cio_create_task(producer ? produce : consume, &workers[k]);
        if (!tasks[k]) rc = -ENOMEM;
    }
    if (rc == 0) rc = cio_gather(tasks, np, NULL, NULL, 0); /* await asyncio.gather(*producers) */
    if (rc == 0) rc = cio_queue_join(&q);                   /* await q.join() */

    /* for consumer in consumers: consumer.cancel() -- every task on error.
     * asyncio.run would then wait for them at its shutdown; here the queue
     * lives on this stack, so they are awaited before it goes away. */
    for (size_t k = rc == 0 ? np : 0; tasks && k < np + nc; k++)
        if (tasks[k]) cio_task_cancel(tasks[k], NULL);
    for (size_t k = 0; tasks && k < np + nc; k++) {
        if (!tasks[k]) continue;
        int trc = cio_await(tasks[k], NULL);
        if (trc < 0 && trc != -ECANCELED && rc == 0) rc = trc;
        cio_unref(tasks[k]);
    }
    void *left;
    while (cio_queue_get_nowait(&q, &left) == 0) free(left); /* only after an error */
    cio_queue_destroy(&q);
    free(tasks);
    free(workers);
    return rc;
}

/* ------------------------------------------------------------ arguments */

static const char usage[] = "usage: producer_consumer [-h] [-p NO_PRODUCER] [-c NO_CONSUMER] [--seed SEED]\n";

/* argparse's way out: the usage, the error, status 2. */
static void parse_error(const char *msg)
{
    fprintf(stderr, "%sproducer_consumer: error: %s\n", usage, msg);
    exit(2);
}

static long long parse_int(const char *opt, const char *s)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end || errno) {
        char msg[160];
        snprintf(msg, sizeof msg, "argument %s: invalid int value: '%s'", opt, s);
        parse_error(msg);
    }
    return v;
}

/* argparse's forms: -p N, -pN, --no_producer N, --no_producer=N. */
static void parse_args(int argc, char **argv, args_t *a, int *seeded)
{
    static const struct {
        const char *shrt, *lng;
    } opts[] = {{"-p", "--no_producer"}, {"-c", "--no_consumer"}, {NULL, "--seed"}};
    for (int k = 1; k < argc; k++) {
        const char *s = argv[k], *val = NULL;
        int which = -1;
        if (!strcmp(s, "-h") || !strcmp(s, "--help")) {
            printf("%s\noptions:\n"
                   "  -h, --help            show this help message and exit\n"
                   "  -p NO_PRODUCER, --no_producer NO_PRODUCER   (default 10)\n"
                   "  -c NO_CONSUMER, --no_consumer NO_CONSUMER   (default 15)\n"
                   "  --seed SEED           a reproducible run: the same sleeps, items and order\n",
                   usage);
            exit(0);
        }
        for (int o = 0; o < 3 && which < 0; o++) {
            size_t ll = strlen(opts[o].lng);
            if (!strcmp(s, opts[o].lng) || (opts[o].shrt && !strcmp(s, opts[o].shrt))) {
                which = o;
            } else if (!strncmp(s, opts[o].lng, ll) && s[ll] == '=') {
                which = o;
                val = s + ll + 1;
            } else if (opts[o].shrt && !strncmp(s, opts[o].shrt, 2) && s[2]) {
                which = o;
                val = s + 2;
            }
        }
        char msg[160];
        if (which < 0) {
            snprintf(msg, sizeof msg, "unrecognized arguments: %s", s);
            parse_error(msg);
        }
        if (!val) {
            if (k + 1 >= argc) {
                snprintf(msg, sizeof msg, "argument %s: expected one argument", s);
                parse_error(msg);
            }
            val = argv[++k];
        }
        long long v = parse_int(opts[which].lng, val);
        if (which == 2) {
            a->seed = (uint64_t)v;
            *seeded = 1;
        } else {
            /* range(n) of a negative n is empty */
            int n = v < 0 ? 0 : v > INT_MAX ? INT_MAX : (int)v;
            if (which == 0) a->no_producer = n;
            else a->no_consumer = n;
        }
    }
}

int main(int argc, char **argv)
{
    args_t a = {.no_producer = 10, .no_consumer = 15};
    int seeded = 0;
    parse_args(argc, argv, &a, &seeded);
    if (!seeded) a.seed = (uint64_t)time(NULL) * 1000003u ^ (uint64_t)getpid();

    double start_time = perf_counter();
    int rc = cio_run(amain, &a, NULL); /* asyncio.run(main(**ns.__dict__)) */
    double end_time = perf_counter();
    if (rc < 0) {
        fprintf(stderr, "%sproducer_consumer: %s\n", colors[0], cio_strerror(rc));
        return 1;
    }
    double execution_time = end_time - start_time;
    printf("%sProgram Start Time: %.9f\nProgram End Time: %.9f\nProgram Execution Time: %.2f seconds.%s\n", colors[4],
           start_time, end_time, execution_time, colors[0]);
    printf("elapsed: %.2f s\n", execution_time);
    return 0;
}
