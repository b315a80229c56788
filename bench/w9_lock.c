/* W9 lock: TASKS tasks (100) contend for one cio_lock_t, ACQUISITIONS
 * (1M) in all, split evenly (the first ACQUISITIONS % TASKS tasks do one
 * more).  One acquisition is exactly
 *
 *     cio_lock_acquire(&lock); counter++; cio_lock_release(&lock); cio_yield();
 *
 * which is bench/peers/w9_lock.py's
 *
 *     async with lock:
 *         counter += 1
 *     await asyncio.sleep(0)
 *
 * The tasks are created, then awaited by one cio_gather; the time runs from
 * before the first creation until the gather returns.  ns_per_acquire is
 * that time / ACQUISITIONS.  The program fails unless counter ends equal to
 * ACQUISITIONS and no two tasks ever held the lock at once.
 *
 * With HOLD=0 the lock is never held across a suspension, so no
 * acquire ever waits: each one takes the free-lock path, and the yield after
 * the release is what passes the turn on.  ns_per_acquire is thus
 * acquire + release + one trip through the ready queue (about one W1
 * switch).  HOLD=1 moves the yield inside the locked region
 * (acquire; counter++; yield; release): then the other 99 tasks queue on the
 * lock and every acquisition is a FIFO hand-over to a waiting task (the
 * Python version takes the same flag).  The default, and what bench/run.sh
 * runs, is HOLD=1: the tasks really contend.
 *
 * usage: w9_lock [ACQUISITIONS [HOLD [TASKS]]]   (defaults 1M, 1, 100)
 * prints: tasks= acquisitions= hold= ns_per_acquire= secs=  [failed= error=] */
#include <cio.h>

#include "bench.h"

#include <errno.h>

typedef struct w9 {
    cio_lock_t lock;
    long counter;
    int inside; /* tasks holding the lock: 0 or 1 */
    long overlaps;
    int hold;
} w9_t;

typedef struct worker {
    w9_t *w;
    long n;
} worker_t;

static int worker(void *arg, void **result)
{
    const worker_t *k = arg;
    w9_t *w = k->w;
    for (long i = 0; i < k->n; i++) {
        int rc = cio_lock_acquire(&w->lock);
        if (rc < 0)
            return rc;
        if (w->inside++)
            w->overlaps++;
        w->counter++;
        if (w->hold && (rc = cio_yield()) < 0) {
            w->inside--;
            cio_lock_release(&w->lock);
            return rc;
        }
        w->inside--;
        if ((rc = cio_lock_release(&w->lock)) < 0)
            return rc;
        if (!w->hold && (rc = cio_yield()) < 0)
            return rc;
    }
    return 0;
}

typedef struct args {
    long n;
    int hold;
    long tasks;
} args_t;

static int amain(void *arg, void **result)
{
    const args_t *a = arg;
    w9_t w = {.lock = CIO_LOCK_INIT, .hold = a->hold};
    size_t nt = (size_t)a->tasks;
    cio_task_t **ts = calloc(nt, sizeof *ts);
    worker_t *ks = calloc(nt, sizeof *ks);
    int rc = ts && ks ? 0 : -ENOMEM;
    uint64_t t0 = bench_now_ns();
    for (size_t i = 0; i < nt && rc == 0; i++) {
        ks[i] = (worker_t){.w = &w, .n = a->n / a->tasks + ((long)i < a->n % a->tasks)};
        if (!(ts[i] = cio_create_task(worker, &ks[i])))
            rc = -ENOMEM;
    }
    if (rc == 0)
        rc = cio_gather(ts, nt, NULL, NULL, 0);
    uint64_t dt = bench_now_ns() - t0;
    for (size_t i = 0; ts && i < nt; i++) {
        if (ts[i] && rc < 0) { /* gather returned at the first failure */
            cio_task_cancel(ts[i], NULL);
            cio_await(ts[i], NULL);
        }
        cio_unref(ts[i]);
    }
    free(ts);
    free(ks);
    if (rc == 0 && (w.counter != a->n || w.overlaps)) {
        fprintf(stderr, "w9_lock: counter=%ld of %ld, %ld acquisitions while the lock was held\n", w.counter, a->n,
                w.overlaps);
        rc = -EPROTO;
    }
    if (rc < 0) {
        bench_failed++;
        bench_first_error = rc;
    }
    printf("tasks=%ld acquisitions=%ld hold=%d ns_per_acquire=%.1f secs=%.3f%s\n", a->tasks, a->n, a->hold,
           (double)dt / (double)(a->n ? a->n : 1), dt / 1e9, bench_failures());
    return rc;
}

int main(int argc, char **argv)
{
    args_t a = {
        .n = bench_arg(argc, argv, 1, 1000000),
        .hold = bench_arg(argc, argv, 2, 1) != 0,
        .tasks = bench_arg(argc, argv, 3, 100),
    };
    if (a.tasks < 1) {
        fprintf(stderr, "w9_lock: TASKS must be at least 1\n");
        return 2;
    }
    int rc = cio_run(amain, &a, NULL);
    if (rc < 0)
        fprintf(stderr, "w9_lock: %s\n", cio_strerror(rc));
    return rc < 0;
}
