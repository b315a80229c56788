/* W5 queue: one producer task puts the integers 0 .. ITEMS-1 into a bounded
 * queue (cio_queue_t, maxsize 100), one consumer task gets ITEMS items; the
 * two are run by one cio_gather, as the peers' Python runs
 * asyncio.gather(producer(q, n), consumer(q, n)).  The time runs from before
 * the two tasks are created until cio_gather returns.  The consumer checks
 * that it gets every item, in order: the program fails otherwise.
 * usage: w5_queue [ITEMS]   (default 1M)
 * prints: items= items_per_s= ns_per_item= secs=  [failed= error= on failure] */
#include <cio.h>

#include "bench.h"

#include <errno.h>

typedef struct w5 {
    cio_queue_t q;
    long n;
    long got;      /* items the consumer received */
    long disorder; /* items that were not the one expected next */
} w5_t;

static int producer(void *arg, void **result)
{
    w5_t *w = arg;
    for (long i = 0; i < w->n; i++) {
        int rc = cio_queue_put(&w->q, (void *)(uintptr_t)i);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int consumer(void *arg, void **result)
{
    w5_t *w = arg;
    for (long i = 0; i < w->n; i++) {
        void *item;
        int rc = cio_queue_get(&w->q, &item);
        if (rc < 0)
            return rc;
        if ((uintptr_t)item != (uintptr_t)i)
            w->disorder++;
        w->got++;
    }
    return 0;
}

static int amain(void *arg, void **result)
{
    w5_t *w = arg;
    int rc = cio_queue_init(&w->q, 100);
    if (rc < 0)
        return rc;
    uint64_t t0 = bench_now_ns();
    cio_task_t *ts[2] = {cio_create_task(producer, w), cio_create_task(consumer, w)};
    if (ts[0] && ts[1])
        rc = cio_gather(ts, 2, NULL, NULL, 0);
    else
        rc = -ENOMEM;
    uint64_t dt = bench_now_ns() - t0;
    for (int i = 0; i < 2; i++) {
        if (ts[i] && rc < 0) { /* the other one may wait on the queue forever */
            cio_task_cancel(ts[i], NULL);
            cio_await(ts[i], NULL);
        }
        cio_unref(ts[i]);
    }
    cio_queue_destroy(&w->q);
    if (rc == 0 && (w->got != w->n || w->disorder)) {
        fprintf(stderr, "w5_queue: the consumer got %ld of %ld items, %ld out of order\n", w->got, w->n, w->disorder);
        rc = -EPROTO;
    }
    if (rc < 0) {
        bench_failed++;
        bench_first_error = rc;
    }
    double secs = dt / 1e9;
    printf("items=%ld items_per_s=%.0f ns_per_item=%.1f secs=%.3f%s\n", w->n, secs > 0 ? (double)w->n / secs : 0.0,
           (double)dt / (double)(w->n ? w->n : 1), secs, bench_failures());
    return rc;
}

int main(int argc, char **argv)
{
    w5_t w = {.n = bench_arg(argc, argv, 1, 1000000)};
    int rc = cio_run(amain, &w, NULL);
    if (rc < 0)
        fprintf(stderr, "w5_queue: %s\n", cio_strerror(rc));
    return rc < 0;
}
