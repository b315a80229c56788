/* A randomized schedule test (issue 7).
 *
 * Each seed runs one cio_run (under the harness's watchdog) whose main task
 * starts 50-200 worker tasks.  A worker performs a random sequence of
 * "units" on a few shared primitives -- a lock, a bounded semaphore, an
 * event, a condition over the same lock, a bounded queue, a barrier:
 * sleeps and yields, lock/semaphore holds (acquire, try_acquire, the
 * condition's acquire), event waits and sets/clears, condition waits
 * (wait and wait_for) and notifies, queue puts/gets (waiting and nowait),
 * joins, barrier waits, cancels of other workers, of sub-tasks and of
 * itself, gathers (gather, gather_start + await, gather_calls; with and
 * without return_exceptions; a task given twice), TaskGroups whose children
 * and body sometimes fail, wait_for on a task (timeouts <= 0 included),
 * wait_for_call on an inline unit, timeout scopes (nested, equal deadlines,
 * rescheduled, absolute), shield, wait, as_completed, and awaiting later
 * the sub-tasks that shield/wait/as_completed left running.  Sub-tasks
 * pause, take the lock or the semaphore, wait for the event under a
 * timeout, use the queue without waiting, gather sub-tasks of their own,
 * fail on purpose, or swallow a cancel; some start eagerly.  Every random
 * choice of a task comes from its own generator seeded from the run's seed:
 * a seed always makes the same choices, although timer races may still
 * interleave them differently.
 *
 * What is checked (every SFAIL):
 *   - during the run: mutual exclusion on the lock, the semaphore never over
 *     its value, try_acquire agreeing with locked(), releases never failing,
 *     an event wait never returning without a set, every queue item got
 *     exactly once and items_put - task_done == qsize, the outcome of every
 *     composition (gather results and errors, TaskGroup error lists and
 *     children all done at exit, wait's done/pending split, as_completed
 *     handing each task back once, wait_for's inner really finished, timeout
 *     scopes turning only their own expiry into -ETIMEDOUT), a cancel request
 *     during a unit coming out of it as -ECANCELED and no -ECANCELED without
 *     a request, and after every unit the worker's cancelling() equal to the
 *     requests it got minus its own uncancels (timeouts and TaskGroups
 *     uncancel their own cancels, as asyncio's do);
 *   - a watch: nobody stays parked for many iterations on a primitive that
 *     is available while nothing of its kind progresses (a lost wake-up);
 *   - checkpoints: every few milliseconds the workers are held at their
 *     next unit boundary; once everything has settled (every task but main
 *     parked), nobody parked may be one that should have been woken (a lock
 *     or semaphore waiter while it is free, an event waiter after a set, a
 *     condition waiter while tokens are available, a getter while the queue
 *     has items, a putter while it has room, a barrier with all its parties,
 *     a task awaiting sub-tasks that are all done).  The last checkpoint is
 *     when every task left is parked in an untimed wait;
 *   - after releasing everyone (event set, notify_all, queue shutdown,
 *     barrier abort): all tasks done within a deadline, none lost
 *     (cio_all_tasks is 1), outcomes matching what each task returned, cancel
 *     counts as asyncio keeps them, the lock free, the semaphore back at its
 *     value, condition tokens conserved, queue items conserved, no report to
 *     the exception handler, no allocation leaked (per seed).
 *
 * Environment: CIO_SCHED_SEED=n runs that one seed (a failing seed is
 * printed with this line), CIO_SCHED_SEEDS=n runs n seeds (default 600, 300
 * under sanitizers: 20-30 s), CIO_SCHED_BASE=b starts the sequence at b
 * (default 1), CIO_SCHED_VERBOSE=1 prints a line per seed,
 * CIO_SCHED_TRACE=1 logs every unit and sub-task operation,
 * CIO_SCHED_KEEP_GOING=1 goes on after a failing seed, and
 * CIO_SCHED_SKIP=shield,wait_for (unit names) never runs those units. */
#include "harness.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <unistd.h>

#if defined(CIO_TEST_TSAN)
#define SEEDS_DEFAULT 15 /* a fiber per task makes TSan ~20x slower here */
#elif defined(CIO_TEST_SANITIZED)
#define SEEDS_DEFAULT 300
#else
#define SEEDS_DEFAULT 600
#endif

#define MAX_WORKERS 200
#define MAX_SUBS 16384
#define MAX_ITEMS 65536
#define MAIN_ID (-2)
/* Seconds to reach quiescence, and for everyone to finish once released;
 * TSan (a fiber per task, ~20x slower) on a loaded 2-core machine once took
 * longer than 6 s to settle a seed that settles at once when replayed. */
#if defined(CIO_TEST_TSAN)
#define QUIET_LIMIT 20.0
#define FINAL_LIMIT 12.0
#else
#define QUIET_LIMIT 6.0
#define FINAL_LIMIT 4.0
#endif

#define I2P(i) ((void *)(intptr_t)(i))
#define P2I(p) ((long)(intptr_t)(p))

/* ------------------------------------------------------------ the world */

enum {
    BLK_NONE,
    BLK_LOCK,
    BLK_SEM,
    BLK_EVENT,
    BLK_COND,
    BLK_QPUT,
    BLK_QGET,
    BLK_BARRIER,
    BLK_CHILD, /* awaiting its sub-tasks */
    BLK_CALM,  /* a worker held at a unit boundary during a checkpoint */
    BLK__N
};
static const char *const blk_names[] = {"-",         "lock",    "semaphore", "event",      "condition", "queue-put",
                                        "queue-get", "barrier", "sub-tasks", "checkpoint"};
_Static_assert(sizeof blk_names / sizeof blk_names[0] == BLK__N, "blk_names");

enum unit {
    U_SLEEP,
    U_SELF_CANCEL,
    U_CANCEL_OTHER,
    U_CANCEL_SUB,
    U_LOCK,
    U_SEM,
    U_EVENT_WAIT,
    U_EVENT_SET,
    U_COND_NOTIFY,
    U_COND_WAIT,
    U_QPUT,
    U_QGET,
    U_QJOIN,
    U_BARRIER,
    U_TIMEOUT,
    U_WAIT_FOR_CALL,
    U_SHIELD,
    U_WAIT,
    U_AS_COMPLETED,
    U_GATHER,
    U_TG,
    U_WAIT_FOR,
    U_LEFTOVER,
    U__N
};
/* name, weight (multiplied by 0-3 per seed), strict: the unit's only
 * suspensions are the worker's own waits, so a cancel request that arrives
 * during it must come out of it as -ECANCELED (the others await sub-tasks,
 * which may swallow a forwarded cancel). */
static const struct unit_info {
    const char *name;
    int weight, strict;
} units[U__N] = {
    [U_SLEEP] = {"sleep", 10, 1},
    [U_SELF_CANCEL] = {"self-cancel", 2, 1},
    [U_CANCEL_OTHER] = {"cancel-other", 6, 1},
    [U_CANCEL_SUB] = {"cancel-sub", 3, 1},
    [U_LOCK] = {"lock", 10, 1},
    [U_SEM] = {"semaphore", 8, 1},
    [U_EVENT_WAIT] = {"event-wait", 6, 1},
    [U_EVENT_SET] = {"event-set", 5, 1},
    [U_COND_NOTIFY] = {"cond-notify", 5, 1},
    [U_COND_WAIT] = {"cond-wait", 5, 1},
    [U_QPUT] = {"queue-put", 8, 1},
    [U_QGET] = {"queue-get", 8, 1},
    [U_QJOIN] = {"queue-join", 1, 1},
    [U_BARRIER] = {"barrier", 2, 1},
    [U_TIMEOUT] = {"timeout", 7, 1},
    [U_WAIT_FOR_CALL] = {"wait_for_call", 4, 1},
    [U_SHIELD] = {"shield", 3, 1},
    [U_WAIT] = {"wait", 3, 1},
    [U_AS_COMPLETED] = {"as_completed", 2, 1},
    [U_GATHER] = {"gather", 5, 0},
    [U_TG] = {"taskgroup", 5, 0},
    [U_WAIT_FOR] = {"wait_for", 4, 0},
    [U_LEFTOVER] = {"leftover", 2, 0},
};

struct world;

/* A task's identity and generator: workers and sub-tasks both. */
struct actor {
    int id;       /* holder id: workers 0.., sub-tasks MAX_WORKERS + i */
    int widx;     /* the worker's index, -1 for a sub-task */
    int in_scope; /* inside a timeout scope: waits are bounded */
    int blocked;  /* BLK_*: parked in an untimed wait */
    uint64_t blk_epoch;
    int sem_held;
    uint64_t rng;
    char name[32];
};

struct sub {
    struct actor a;
    cio_task_t *task; /* the registry's reference; NULL for gather_calls children */
    int owner, depth;
    int nops;
    unsigned char ops[3];
    int fail, swallow;
    int unused; /* a TaskGroup refused it: never created */
    int calls;  /* a gather_calls child */
    int started, finished, ret, saw_cancel, swallowed;
    int cur_op;   /* the operation under way, for the dumps */
    struct sub *parent; /* the sub-task whose nested gather made it */
    int requests; /* explicit cancel requests that returned 1 */
    int desc_requests; /* ... on the sub-tasks its nested gather made */
    int exposed;  /* awaited in a way that forwards its owner's cancels */
    int relaxed;  /* did a nested gather: its cancel count is not exact */
    struct sub *kids[2]; /* its nested gather's sub-tasks */
    int nkids;
};

struct worker {
    struct actor a;
    cio_task_t *task;
    int nops, ops_done, unit;
    int requests; /* cancel requests on it that returned 1 */
    int expect;   /* the cancel count it must have: requests minus effective uncancels */
    int uncancels, cancels_seen;
    int exit_on_cancel;
    int started, finished, ret;
    struct sub *left[4]; /* sub-tasks left running by shield/wait, to await later */
    int nleft;
    struct sub *usubs[8]; /* the sub-tasks of the current unit */
    int nusubs;
};

struct world {
    uint64_t seed;
    int nfail, aborted;
    cio_loop_t *loop;
    /* configuration */
    int nworkers, maxops, qmax, sem_init, parties, exit_pct, weights[U__N], wtotal;
    /* the primitives */
    cio_lock_t lock;
    cio_sem_t sem;
    cio_event_t ev;
    cio_cond_t cond;
    cio_queue_t q;
    cio_barrier_t barrier;
    cio_event_t calm_ev; /* cleared during a checkpoint */
    int calm;
    /* bookkeeping */
    int lock_holder, sem_held;
    long lock_acqs, lock_rels, sem_acqs, sem_rels;
    uint64_t set_epoch;
    long tokens, tokens_made, tokens_taken;
    long barrier_passes;
    long next_item, items_put, items_got, done_calls;
    int stopping;
    unsigned long progress;
    int parked[BLK__N];   /* actors parked in each kind of untimed wait */
    long event_returns;   /* event waits that returned */
    long cond_returns;    /* condition waits that returned */
    int watch_reported;
    int nworkers_made;
    struct worker workers[MAX_WORKERS];
    cio_task_t *wtasks[MAX_WORKERS];
    int nsubs;
    struct sub subs[MAX_SUBS];
    unsigned char item_state[MAX_ITEMS]; /* 0 unused, 1 queued, 2 got, 3 drained at the end */
};

static struct world *W;
static int trace; /* CIO_SCHED_TRACE=1: log every operation (for replays) */
#define TRACE(...)                                                                                       \
    do {                                                                                                 \
        if (trace)                                                                                       \
            fprintf(stderr, "[%.6f] ", cio_loop_time(W->loop)), fprintf(stderr, __VA_ARGS__),           \
                fputc('\n', stderr);                                                                     \
    } while (0)

static struct stats {
    long seeds, units[U__N], unit_cancelled, unit_timedout, cancel_requests, uncancels, worker_exits;
    long subs, subs_cancelled, subs_failed, subs_swallowed, eager, tg_errors, items, tokens, barrier_passes;
    long quiet_blocked[BLK__N], checkpoints;
    double max_seed_s;
} ST;

static void sfail(int line, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sfail(int line, const char *fmt, ...)
{
    test_failed = 1;
    if (W && (++W->nfail > 25 || W->aborted))
        return; /* after a failure's emergency cancels, what follows is noise */
    fprintf(stderr, "test_random_sched.c:%d: seed %" PRIu64 ": ", line, W ? W->seed : 0);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}
#define SFAIL(...) sfail(__LINE__, __VA_ARGS__)

/* -------------------------------------------------------------- random */

static uint64_t sm64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static uint32_t rnd(struct actor *a)
{
    return (uint32_t)(sm64(&a->rng) >> 32);
}

static int chance(struct actor *a, int pct)
{
    return (int)(rnd(a) % 100) < pct;
}

/* A small timeout: sometimes 0 or already past, mostly under 3 ms. */
static double small_delay(struct actor *a)
{
    static const double d[] = {0, 0.0001, 0.0003, 0.0007, 0.0015, 0.003};
    if (chance(a, 4))
        return -1;
    return d[rnd(a) % 6];
}

static double small_positive(struct actor *a)
{
    static const double d[] = {0.0001, 0.0003, 0.0007, 0.0015, 0.003};
    return d[rnd(a) % 5];
}

/* A pause while holding something, or between operations. */
static int pause_(struct actor *a)
{
    uint32_t r = rnd(a) % 10;
    TRACE("%s: pause %u", a->name, r);
    if (r < 3)
        return 0;
    if (r < 7)
        return cio_yield();
    if (r < 9)
        return cio_sleep(0.0001 * (1 + rnd(a) % 10));
    int rc = cio_yield();
    return rc ? rc : cio_yield();
}

static const char *holder_name(int id)
{
    if (id == -1)
        return "nobody";
    if (id == MAIN_ID)
        return "main";
    if (id >= 0 && id < MAX_WORKERS)
        return W->workers[id].a.name;
    if (id >= MAX_WORKERS && id < MAX_WORKERS + MAX_SUBS)
        return W->subs[id - MAX_WORKERS].a.name;
    return "?";
}

/* Parked in an untimed wait: only a worker outside any timeout scope. */
/* Parked in an untimed wait (outside any timeout scope). */
static void blk(struct actor *a, int kind)
{
    W->progress++;
    if (!a->in_scope) {
        a->blocked = kind;
        a->blk_epoch = W->set_epoch;
        W->parked[kind]++;
    }
}

static void unblk(struct actor *a)
{
    W->progress++;
    if (a->blocked) {
        W->parked[a->blocked]--;
        a->blocked = BLK_NONE;
    }
}

static void expect_cancel_rc(struct actor *a, const char *what, int rc)
{
    if (rc != -ECANCELED)
        SFAIL("%s: %s returned %s, expected 0 or ECANCELED", a->name, what, cio_err_name(rc));
}

/* ------------------------------------------------------- simple units */

enum { F_NOCOND = 1, F_NOWAIT = 2 };

static void took_lock(struct actor *a)
{
    if (W->lock_holder != -1)
        SFAIL("%s acquired the lock while %s holds it", a->name, holder_name(W->lock_holder));
    if (cio_lock_locked(&W->lock) != 1)
        SFAIL("%s acquired the lock but locked() says %d", a->name, cio_lock_locked(&W->lock));
    W->lock_holder = a->id;
    W->lock_acqs++;
}

static void drop_lock(struct actor *a, int via_cond)
{
    if (W->lock_holder != a->id)
        SFAIL("%s releases the lock held by %s", a->name, holder_name(W->lock_holder));
    W->lock_holder = -1;
    W->lock_rels++;
    int rc = via_cond ? cio_cond_release(&W->cond) : cio_lock_release(&W->lock);
    if (rc != 0)
        SFAIL("%s: release of a held lock: %s", a->name, cio_err_name(rc));
}

/* Acquire the lock (acquire, try_acquire or the condition's acquire), hold
 * it over a pause, release it. */
static int su_lock(struct actor *a, int flags)
{
    int how = (int)(rnd(a) % ((flags & F_NOCOND) ? 3 : 4));
    int via_cond = how == 3;
    int rc;
    if (how == 2) {
        int was = cio_lock_locked(&W->lock);
        rc = cio_lock_try_acquire(&W->lock);
        if (rc == -EAGAIN)
            return 0;
        if (rc != 0) {
            SFAIL("%s: lock try_acquire: %s", a->name, cio_err_name(rc));
            return 0;
        }
        if (was)
            SFAIL("%s: try_acquire took a lock that was held", a->name);
    } else {
        blk(a, BLK_LOCK);
        rc = via_cond ? cio_cond_acquire(&W->cond) : cio_lock_acquire(&W->lock);
        unblk(a);
        if (rc < 0) {
            expect_cancel_rc(a, "lock acquire", rc);
            if (W->lock_holder == a->id)
                SFAIL("%s: a failed acquire left it the holder", a->name);
            return rc;
        }
    }
    took_lock(a);
    rc = pause_(a);
    drop_lock(a, via_cond);
    return rc;
}

static int su_sem(struct actor *a, int flags)
{
    int rc;
    if (chance(a, 25)) {
        int would = cio_sem_locked(&W->sem);
        rc = cio_sem_try_acquire(&W->sem);
        if (rc == -EAGAIN) {
            if (!would)
                SFAIL("%s: sem try_acquire refused while locked() said acquire would not wait", a->name);
            return 0;
        }
        if (rc != 0) {
            SFAIL("%s: sem try_acquire: %s", a->name, cio_err_name(rc));
            return 0;
        }
        if (would)
            SFAIL("%s: sem try_acquire succeeded while locked() said acquire would wait", a->name);
    } else {
        blk(a, BLK_SEM);
        rc = cio_sem_acquire(&W->sem);
        unblk(a);
        if (rc < 0) {
            expect_cancel_rc(a, "sem acquire", rc);
            return rc;
        }
    }
    if (W->sem_held >= W->sem_init)
        SFAIL("%s acquired the semaphore while %d of %d units are held", a->name, W->sem_held, W->sem_init);
    W->sem_held++;
    a->sem_held++;
    W->sem_acqs++;
    if (cio_sem_value(&W->sem) + W->sem_held > W->sem_init)
        SFAIL("semaphore value %d with %d held exceeds its initial %d", cio_sem_value(&W->sem), W->sem_held,
              W->sem_init);
    rc = pause_(a);
    W->sem_held--;
    a->sem_held--;
    W->sem_rels++;
    int r2 = cio_sem_release(&W->sem);
    if (r2 != 0)
        SFAIL("%s: sem release: %s", a->name, cio_err_name(r2));
    return rc;
}

static int su_event_wait(struct actor *a, int flags)
{
    uint64_t e0 = W->set_epoch;
    int was = cio_event_is_set(&W->ev);
    blk(a, BLK_EVENT);
    int rc = cio_event_wait(&W->ev);
    unblk(a);
    W->event_returns++;
    if (was && rc != 0)
        SFAIL("%s: wait on a set event returned %s", a->name, cio_err_name(rc));
    if (rc == 0 && !was && W->set_epoch == e0)
        SFAIL("%s: event wait returned 0 with no set since it began", a->name);
    if (rc < 0)
        expect_cancel_rc(a, "event wait", rc);
    return rc;
}

static int su_event_set(struct actor *a, int flags)
{
    int rc;
    if (chance(a, 55)) {
        W->set_epoch++;
        rc = cio_event_set(&W->ev);
    } else {
        rc = cio_event_clear(&W->ev);
    }
    if (rc != 0)
        SFAIL("%s: event set/clear: %s", a->name, cio_err_name(rc));
    return 0;
}

static int su_cond_notify(struct actor *a, int flags)
{
    blk(a, BLK_LOCK);
    int rc = cio_cond_acquire(&W->cond);
    unblk(a);
    if (rc < 0) {
        expect_cancel_rc(a, "cond acquire", rc);
        return rc;
    }
    took_lock(a);
    int n;
    if (chance(a, 15)) {
        W->tokens++;
        W->tokens_made++;
        n = cio_cond_notify_all(&W->cond);
    } else {
        int k = (int)(rnd(a) % 3);
        W->tokens += k;
        W->tokens_made += k;
        n = cio_cond_notify(&W->cond, k);
        if (n > k)
            SFAIL("%s: notify(%d) woke %d", a->name, k, n);
    }
    if (n < 0)
        SFAIL("%s: notify: %s", a->name, cio_err_name(n));
    drop_lock(a, 1);
    return 0;
}

static int cond_pred(void *arg)
{
    struct actor *a = arg;
    W->progress++;
    W->cond_returns++;
    if (W->lock_holder != -1 && W->lock_holder != a->id)
        SFAIL("%s: condition predicate runs while %s holds the lock", a->name, holder_name(W->lock_holder));
    if (cio_cond_locked(&W->cond) != 1)
        SFAIL("%s: condition predicate runs without the lock", a->name);
    if (W->tokens > 0 || W->stopping) {
        W->lock_holder = a->id;
        return 1;
    }
    W->lock_holder = -1; /* the wait releases it next, without a switch */
    return 0;
}

static int su_cond_wait(struct actor *a, int flags)
{
    blk(a, BLK_LOCK);
    int rc = cio_cond_acquire(&W->cond);
    unblk(a);
    if (rc < 0) {
        expect_cancel_rc(a, "cond acquire", rc);
        return rc;
    }
    took_lock(a);
    if (chance(a, 50)) {
        while (W->tokens == 0 && !W->stopping) {
            W->lock_holder = -1;
            blk(a, BLK_COND);
            rc = cio_cond_wait(&W->cond);
            unblk(a);
            W->cond_returns++;
            if (W->lock_holder != -1)
                SFAIL("%s: cond wait returned while %s holds the lock", a->name, holder_name(W->lock_holder));
            if (cio_cond_locked(&W->cond) != 1)
                SFAIL("%s: cond wait returned (%s) without the lock", a->name, cio_err_name(rc));
            W->lock_holder = a->id;
            if (rc < 0) {
                expect_cancel_rc(a, "cond wait", rc);
                break;
            }
        }
    } else {
        blk(a, BLK_COND);
        rc = cio_cond_wait_for(&W->cond, cond_pred, a);
        unblk(a);
        W->cond_returns++;
        if (cio_cond_locked(&W->cond) != 1)
            SFAIL("%s: cond wait_for returned (%s) without the lock", a->name, cio_err_name(rc));
        if (rc < 0) {
            expect_cancel_rc(a, "cond wait_for", rc);
            if (W->lock_holder != -1)
                SFAIL("%s: cond wait_for failed while %s holds the lock", a->name, holder_name(W->lock_holder));
            W->lock_holder = a->id;
        } else if (rc != 1 || W->lock_holder != a->id) {
            SFAIL("%s: cond wait_for returned %d, holder %s", a->name, rc, holder_name(W->lock_holder));
            W->lock_holder = a->id;
        }
    }
    if (rc >= 0 && W->tokens > 0) {
        W->tokens--;
        W->tokens_taken++;
    }
    drop_lock(a, 1);
    return rc < 0 ? rc : 0;
}

static void check_queue(struct actor *a)
{
    long qs = cio_queue_qsize(&W->q);
    if (qs < 0 || qs > W->qmax)
        SFAIL("%s: qsize %ld out of [0, %d]", a->name, qs, W->qmax);
    if (W->items_put - W->done_calls != qs)
        SFAIL("%s: %ld put, %ld task_done, but qsize %ld", a->name, W->items_put, W->done_calls, qs);
}

static int su_qput(struct actor *a, int flags)
{
    if (W->next_item >= MAX_ITEMS)
        return 0;
    long id = W->next_item++;
    int rc;
    if ((flags & F_NOWAIT) || chance(a, 35)) {
        long qs = cio_queue_qsize(&W->q);
        rc = cio_queue_put_nowait(&W->q, I2P(id + 1));
        if (rc == CIO_EQUEUEFULL) {
            if (qs < W->qmax)
                SFAIL("%s: put_nowait full with qsize %ld of %d", a->name, qs, W->qmax);
            rc = 0;
            goto out;
        }
    } else {
        blk(a, BLK_QPUT);
        rc = cio_queue_put(&W->q, I2P(id + 1));
        unblk(a);
    }
    if (rc == 0) {
        if (W->item_state[id] != 0)
            SFAIL("%s: item %ld put twice", a->name, id);
        W->item_state[id] = 1;
        W->items_put++;
    } else if (rc == CIO_EQUEUESHUTDOWN) {
        if (!W->stopping)
            SFAIL("%s: put: shut down before the end", a->name);
        rc = 0;
    } else {
        expect_cancel_rc(a, "queue put", rc);
    }
out:
    check_queue(a);
    return rc;
}

static int su_qget(struct actor *a, int flags)
{
    void *v = NULL;
    int rc;
    if ((flags & F_NOWAIT) || chance(a, 35)) {
        long qs = cio_queue_qsize(&W->q);
        rc = cio_queue_get_nowait(&W->q, &v);
        if (rc == CIO_EQUEUEEMPTY) {
            if (qs != 0)
                SFAIL("%s: get_nowait empty with qsize %ld", a->name, qs);
            rc = 0;
            goto out;
        }
    } else {
        blk(a, BLK_QGET);
        rc = cio_queue_get(&W->q, &v);
        unblk(a);
    }
    if (rc == 0) {
        long id = P2I(v) - 1;
        if (id < 0 || id >= W->next_item) {
            SFAIL("%s: got an item %ld never made", a->name, id);
        } else {
            if (W->item_state[id] != 1)
                SFAIL("%s: got item %ld in state %d (not queued)", a->name, id, W->item_state[id]);
            W->item_state[id] = 2;
        }
        W->items_got++;
        int r2 = cio_queue_task_done(&W->q);
        if (r2 != 0)
            SFAIL("%s: task_done: %s", a->name, cio_err_name(r2));
        W->done_calls++;
    } else if (rc == CIO_EQUEUESHUTDOWN) {
        if (!W->stopping)
            SFAIL("%s: get: shut down before the end", a->name);
        rc = 0;
    } else {
        expect_cancel_rc(a, "queue get", rc);
    }
out:
    check_queue(a);
    return rc;
}

/* join, always under a timeout of its own. */
static int su_qjoin(struct actor *a, int flags)
{
    cio_timeout_t to;
    int rc = cio_timeout_enter(&to, small_positive(a));
    if (rc != 0) {
        SFAIL("%s: timeout_enter: %s", a->name, cio_err_name(rc));
        return 0;
    }
    a->in_scope++;
    rc = cio_queue_join(&W->q);
    a->in_scope--;
    rc = cio_timeout_exit(&to, rc);
    if (rc != 0 && rc != -ETIMEDOUT && rc != -ECANCELED)
        SFAIL("%s: join: %s", a->name, cio_err_name(rc));
    return rc;
}

static int su_barrier(struct actor *a, int flags)
{
    blk(a, BLK_BARRIER);
    int rc = cio_barrier_wait(&W->barrier);
    unblk(a);
    if (rc >= 0) {
        if (rc >= W->parties)
            SFAIL("%s: barrier index %d of %d parties", a->name, rc, W->parties);
        W->barrier_passes++;
        return 0;
    }
    if (rc == CIO_EBROKENBARRIER) {
        if (!W->stopping)
            SFAIL("%s: the barrier broke before the end", a->name);
        return 0;
    }
    expect_cancel_rc(a, "barrier wait", rc);
    return rc;
}

static int su_sleep(struct actor *a, int flags)
{
    return chance(a, 50) ? cio_yield() : cio_sleep(small_positive(a));
}

enum { S_SLEEP, S_LOCK, S_SEM, S_EVWAIT, S_EVSET, S_CNOTIFY, S_CWAIT, S_QPUT, S_QGET, S_QJOIN, S_BARRIER, S__N };
static int (*const simple_fns[S__N])(struct actor *, int) = {
    su_sleep, su_lock,  su_sem,  su_event_wait, su_event_set, su_cond_notify,
    su_cond_wait, su_qput, su_qget, su_qjoin, su_barrier,
};

/* A simple unit that can wait, for the timeout wrappers. */
static int pick_waiting_simple(struct actor *a)
{
    static const unsigned char k[] = {S_SLEEP, S_LOCK, S_SEM,     S_EVWAIT, S_EVWAIT, S_CWAIT, S_CWAIT,
                                      S_QPUT,  S_QGET, S_QGET,    S_CNOTIFY, S_QJOIN, S_BARRIER};
    return k[rnd(a) % sizeof k];
}

/* ------------------------------------------------------------ sub-tasks */

enum { O_PAUSE, O_LOCK, O_SEM, O_EVENT, O_QPUT, O_QGET, O_NESTED, O__N };

static struct sub *new_sub(struct actor *parent, int owner, int depth)
{
    if (W->nsubs >= MAX_SUBS)
        return NULL;
    int i = W->nsubs++;
    struct sub *s = &W->subs[i];
    memset(s, 0, sizeof *s);
    s->a.id = MAX_WORKERS + i;
    s->a.widx = -1;
    s->a.rng = sm64(&parent->rng);
    snprintf(s->a.name, sizeof s->a.name, "s%d(w%d)", i, owner);
    s->owner = owner;
    s->depth = depth;
    s->nops = (int)(rnd(&s->a) % 4);
    for (int k = 0; k < s->nops; k++) {
        int op = (int)(rnd(&s->a) % (O__N - 1));
        if (depth == 1 && chance(&s->a, 6))
            op = O_NESTED;
        s->ops[k] = (unsigned char)op;
    }
    s->fail = chance(&s->a, 15);
    s->swallow = chance(&s->a, 15);
    ST.subs++;
    return s;
}

static int sub_main(void *arg, void **result);

/* Create a sub-task; the registry keeps the reference. */
static cio_task_t *spawn_sub(struct actor *parent, struct sub *s)
{
    cio_task_opts_t o = {.name = s->a.name, .eager = chance(parent, 15)};
    if (o.eager)
        ST.eager++;
    cio_task_t *t = NULL;
    TRACE("%s creates %s%s", parent->name, s->a.name, o.eager ? " (eager)" : "");
    int rc = cio_loop_create_task(W->loop, sub_main, s, &o, &t);
    if (rc < 0) {
        SFAIL("%s: create_task: %s", parent->name, cio_err_name(rc));
        s->unused = 1;
        return NULL;
    }
    s->task = t;
    return t;
}

static int sub_nested(struct sub *s)
{
    struct actor *a = &s->a;
    s->relaxed = 1;
    s->nkids = 0;
    cio_task_t *ts[2];
    int n = 0, k = 1 + (int)(rnd(a) % 2);
    for (int i = 0; i < k; i++) {
        struct sub *c = new_sub(a, s->owner, 2);
        if (!c)
            break;
        c->parent = s;
        if (!(ts[n] = spawn_sub(a, c)))
            break;
        c->exposed = 1;
        s->kids[s->nkids++] = c;
        n++;
    }
    if (!n)
        return 0;
    int rcs[2];
    blk(a, BLK_CHILD);
    int rc = cio_gather(ts, (size_t)n, NULL, rcs, chance(a, 50) ? CIO_RETURN_EXCEPTIONS : 0);
    unblk(a);
    return rc;
}

static int sub_event_timed(struct actor *a)
{
    cio_timeout_t to;
    int rc = cio_timeout_enter(&to, small_positive(a));
    if (rc != 0) {
        SFAIL("%s: timeout_enter: %s", a->name, cio_err_name(rc));
        return 0;
    }
    a->in_scope++;
    rc = su_event_wait(a, 0);
    a->in_scope--;
    return cio_timeout_exit(&to, rc);
}

static int sub_main(void *arg, void **result)
{
    struct sub *s = arg;
    struct actor *a = &s->a;
    s->started = 1;
    TRACE("%s: starts (%d ops)", a->name, s->nops);
    W->progress++;
    for (int i = 0; i < s->nops; i++) {
        int rc = 0;
        s->cur_op = s->ops[i];
        TRACE("%s: op %d begins", a->name, s->ops[i]);
        switch (s->ops[i]) {
        case O_PAUSE: rc = pause_(a); break;
        case O_LOCK: rc = su_lock(a, F_NOCOND); break;
        case O_SEM: rc = su_sem(a, 0); break;
        case O_EVENT: rc = sub_event_timed(a); break;
        case O_QPUT: rc = su_qput(a, F_NOWAIT); break;
        case O_QGET: rc = su_qget(a, F_NOWAIT); break;
        case O_NESTED: rc = sub_nested(s); break;
        }
        TRACE("%s: op %d: %s", a->name, s->ops[i], cio_err_name(rc));
        if (a->sem_held || W->lock_holder == a->id)
            SFAIL("%s holds the lock or semaphore after an operation", a->name);
        W->progress++;
        if (rc == -ECANCELED) {
            s->saw_cancel = 1;
            s->finished = 1;
            if (s->swallow) {
                s->swallowed = 1;
                s->ret = 0;
                *result = s;
                return 0;
            }
            s->ret = -ECANCELED;
            return -ECANCELED;
        }
    }
    s->finished = 1;
    if (s->fail) {
        s->ret = -EIO;
        return cio_fail(-EIO, "%s fails on purpose", a->name);
    }
    s->ret = 0;
    *result = s;
    return 0;
}

/* The outcome a done sub-task must have, from its own record. */
static int sub_outcome(struct sub *s)
{
    return s->started ? s->ret : -ECANCELED;
}

static void add_usub(struct worker *w, struct sub *s)
{
    if (w->nusubs < (int)(sizeof w->usubs / sizeof w->usubs[0]))
        w->usubs[w->nusubs++] = s;
}

static int unit_foreign(struct worker *w)
{
    for (int i = 0; i < w->nusubs; i++)
        if (w->usubs[i]->requests > 0 || w->usubs[i]->desc_requests > 0)
            return 1;
    return 0;
}

/* -------------------------------------------------------- worker units */

static int u_self_cancel(struct worker *w)
{
    int r = cio_task_cancel(w->task, chance(&w->a, 30) ? "self" : NULL);
    if (r != 1)
        SFAIL("%s: cancel of itself returned %d", w->a.name, r);
    w->requests++;
    w->expect++;
    ST.cancel_requests++;
    int rc = chance(&w->a, 50) ? cio_yield() : cio_sleep(0.0002);
    if (rc != -ECANCELED)
        SFAIL("%s: after cancelling itself its next wait returned %s", w->a.name, cio_err_name(rc));
    return rc;
}

static int u_cancel_other(struct worker *w)
{
    if (W->nworkers_made < 2)
        return 0;
    int j = (int)(rnd(&w->a) % (uint32_t)W->nworkers_made);
    if (chance(&w->a, 50)) {
        /* a parked one: cancels racing with wake-ups are the interesting ones */
        for (int k = 0; k < W->nworkers_made; k++) {
            int c = (j + k) % W->nworkers_made;
            if (c != w->a.widx && W->workers[c].a.blocked && W->workers[c].a.blocked != BLK_CHILD) {
                j = c;
                break;
            }
        }
    }
    if (j == w->a.widx)
        j = (j + 1) % W->nworkers_made;
    struct worker *o = &W->workers[j];
    int was = cio_future_done(o->task);
    int r = cio_task_cancel(o->task, chance(&w->a, 30) ? "chaos" : NULL);
    if (r != !was)
        SFAIL("%s: cancel of %s (done=%d) returned %d", w->a.name, o->a.name, was, r);
    if (r == 1) {
        o->requests++;
        o->expect++;
        ST.cancel_requests++;
    }
    return 0;
}

static int u_cancel_sub(struct worker *w)
{
    if (W->nsubs == 0)
        return 0;
    int span = W->nsubs < 64 ? W->nsubs : 64;
    struct sub *s = &W->subs[W->nsubs - 1 - (int)(rnd(&w->a) % (uint32_t)span)];
    if (!s->task || s->unused)
        return 0;
    int was = cio_future_done(s->task);
    int r = cio_task_cancel(s->task, NULL);
    if (r != !was)
        SFAIL("%s: cancel of %s (done=%d) returned %d", w->a.name, s->a.name, was, r);
    if (r == 1) {
        s->requests++;
        for (struct sub *p = s->parent; p; p = p->parent)
            p->desc_requests++;
        ST.cancel_requests++;
    }
    return 0;
}

static int u_timeout(struct worker *w)
{
    struct actor *a = &w->a;
    cio_timeout_t to, to2;
    double d = small_delay(a);
    int how = (int)(rnd(a) % 4), rc;
    double when = cio_loop_time(W->loop) + d;
    rc = how == 0 ? cio_timeout_enter_at(&to, when) : cio_timeout_enter(&to, d);
    if (rc != 0) {
        SFAIL("%s: timeout_enter: %s", a->name, cio_err_name(rc));
        return 0;
    }
    if (how == 1) {
        double nw = chance(a, 30) ? INFINITY : cio_loop_time(W->loop) + small_positive(a);
        rc = cio_timeout_reschedule(&to, nw);
        if (rc != 0)
            SFAIL("%s: timeout_reschedule: %s", a->name, cio_err_name(rc));
    }
    int nested = chance(a, 25);
    if (nested) {
        /* an inner scope: sometimes the very same deadline */
        rc = chance(a, 40) ? cio_timeout_enter_at(&to2, cio_timeout_when(&to))
                           : cio_timeout_enter(&to2, small_delay(a));
        if (rc != 0) {
            SFAIL("%s: inner timeout_enter: %s", a->name, cio_err_name(rc));
            nested = 0;
        }
    }
    /* A scope rescheduled to INFINITY bounds nothing: waits in it are
     * untimed and count as parked. */
    int bounded = isfinite(cio_timeout_when(&to)) || (nested && isfinite(cio_timeout_when(&to2)));
    a->in_scope += bounded;
    int inner = simple_fns[pick_waiting_simple(a)](a, 0);
    int inner_raw = inner;
    if (nested) {
        inner = cio_timeout_exit(&to2, inner);
        if (inner == -ETIMEDOUT && !cio_timeout_expired(&to2) && inner_raw != -ETIMEDOUT)
            SFAIL("%s: inner scope made a timeout that did not expire", a->name);
    }
    a->in_scope -= bounded;
    int equal = nested && cio_timeout_when(&to2) == cio_timeout_when(&to);
    rc = cio_timeout_exit(&to, inner);
    int expired = cio_timeout_expired(&to);
    if (expired && rc != -ETIMEDOUT && rc != -ECANCELED)
        SFAIL("%s: an expired scope returned %s", a->name, cio_err_name(rc));
    if (!expired && rc != inner)
        SFAIL("%s: a scope that did not expire changed %s into %s", a->name, cio_err_name(inner), cio_err_name(rc));
    if (rc == -ETIMEDOUT && !expired && !(nested && cio_timeout_expired(&to2)) && inner_raw != -ETIMEDOUT)
        SFAIL("%s: -ETIMEDOUT though no scope expired", a->name);
    if (equal && expired && cio_timeout_expired(&to2) && inner == -ETIMEDOUT && inner_raw != -ETIMEDOUT)
        SFAIL("%s: equal nested deadlines: the inner scope reported the timeout", a->name);
    return rc;
}

struct wfc {
    struct actor *a;
    int k, ran, inner;
};

static int wfc_fn(void *arg, void **result)
{
    struct wfc *x = arg;
    x->ran = 1;
    x->a->in_scope++;
    x->inner = simple_fns[x->k](x->a, 0);
    x->a->in_scope--;
    *result = x->inner == 0 ? x : NULL;
    return x->inner;
}

static int u_wait_for_call(struct worker *w)
{
    struct actor *a = &w->a;
    struct wfc x = {a, pick_waiting_simple(a), 0, 0};
    double d = small_delay(a);
    void *v = (void *)1;
    int rc = cio_wait_for_call(wfc_fn, &x, d, &v);
    if (d <= 0 && (rc != -ETIMEDOUT || x.ran))
        SFAIL("%s: wait_for_call with timeout %g: %s, ran %d", a->name, d, cio_err_name(rc), x.ran);
    if (rc == 0 && v != &x)
        SFAIL("%s: wait_for_call returned 0 without the value", a->name);
    if (rc < 0 && v != NULL)
        SFAIL("%s: wait_for_call failed (%s) but left a value", a->name, cio_err_name(rc));
    if (rc == -ETIMEDOUT && x.ran && x.inner != -ECANCELED && x.inner != -ETIMEDOUT)
        SFAIL("%s: wait_for_call timed out but the call returned %s", a->name, cio_err_name(x.inner));
    if (x.ran && rc != -ETIMEDOUT && rc != x.inner)
        SFAIL("%s: wait_for_call returned %s, the call %s", a->name, cio_err_name(rc), cio_err_name(x.inner));
    return rc;
}

static int u_shield(struct worker *w)
{
    struct actor *a = &w->a;
    struct sub *s = new_sub(a, a->widx, 1);
    if (!s)
        return 0;
    cio_task_t *t = spawn_sub(a, s);
    if (!t)
        return 0;
    add_usub(w, s);
    void *v = NULL;
    blk(a, BLK_CHILD);
    int rc = cio_shield(t, &v);
    unblk(a);
    int done = cio_future_done(t);
    if (rc == 0 && (!done || v != s))
        SFAIL("%s: shield returned 0, inner done %d, value %p", a->name, done, v);
    if (rc != -ECANCELED && !done)
        SFAIL("%s: shield returned %s with the inner still running", a->name, cio_err_name(rc));
    if (done && rc != cio_future_exception(t) && rc != -ECANCELED)
        SFAIL("%s: shield returned %s, inner outcome %s", a->name, cio_err_name(rc),
              cio_err_name(cio_future_exception(t)));
    if (!done && w->nleft < 4 && chance(a, 70))
        w->left[w->nleft++] = s;
    return rc;
}

/* One to four sub-tasks of a unit, started: how many (0: none could be). */
static int spawn_unit_subs(struct worker *w, cio_task_t *ts[4], struct sub *ss[4])
{
    struct actor *a = &w->a;
    int n = 0, k = 1 + (int)(rnd(a) % 4);
    for (int i = 0; i < k; i++) {
        struct sub *s = new_sub(a, a->widx, 1);
        if (!s || !(ts[n] = spawn_sub(a, s)))
            break;
        ss[n++] = s;
        add_usub(w, s);
    }
    return n;
}

static int u_wait(struct worker *w)
{
    struct actor *a = &w->a;
    cio_task_t *ts[4];
    struct sub *ss[4];
    int n = spawn_unit_subs(w, ts, ss);
    if (!n)
        return 0;
    static const int modes[] = {CIO_FIRST_COMPLETED, CIO_FIRST_EXCEPTION, CIO_ALL_COMPLETED};
    int mode = modes[rnd(a) % 3];
    double timeout = chance(a, 50) ? INFINITY : small_positive(a);
    cio_future_t *done[4], *pending[4];
    size_t nd = 99, np = 99;
    blk(a, BLK_CHILD);
    int rc = cio_wait(ts, (size_t)n, timeout, mode, done, &nd, pending, &np);
    unblk(a);
    if (rc == 0) {
        if (nd + np != (size_t)n) {
            SFAIL("%s: wait: %zu done + %zu pending of %d", a->name, nd, np, n);
        } else {
            int errs = 0;
            for (size_t i = 0; i < nd; i++) {
                if (!cio_future_done(done[i]))
                    SFAIL("%s: wait put a pending task in done", a->name);
                int o = cio_future_exception(done[i]);
                errs += o < 0 && o != -ECANCELED;
            }
            for (size_t i = 0; i < np; i++)
                if (cio_future_done(pending[i]))
                    SFAIL("%s: wait put a done task in pending", a->name);
            if (timeout < 0 && mode == CIO_ALL_COMPLETED && np)
                SFAIL("%s: wait ALL_COMPLETED without timeout left %zu pending", a->name, np);
            if (timeout < 0 && mode == CIO_FIRST_COMPLETED && nd == 0)
                SFAIL("%s: wait FIRST_COMPLETED without timeout returned nothing done", a->name);
            if (timeout < 0 && mode == CIO_FIRST_EXCEPTION && np && !errs)
                SFAIL("%s: wait FIRST_EXCEPTION returned with %zu pending and no error", a->name, np);
            /* pending ones: leave them, cancel them, or keep them for later */
            for (size_t i = 0; i < np; i++) {
                struct sub *s = NULL;
                for (int j = 0; j < n; j++)
                    if (ts[j] == pending[i])
                        s = ss[j];
                if (!s)
                    continue;
                uint32_t r = rnd(a) % 10;
                if (r < 3) {
                    int c = cio_task_cancel(pending[i], NULL);
                    if (c != 1)
                        SFAIL("%s: cancel of pending %s returned %d", a->name, s->a.name, c);
                    else
                        s->requests++;
                } else if (r < 7 && w->nleft < 4) {
                    w->left[w->nleft++] = s;
                }
            }
        }
    } else if (rc != -ECANCELED) {
        SFAIL("%s: wait returned %s", a->name, cio_err_name(rc));
    }
    return rc;
}

static int u_as_completed(struct worker *w)
{
    struct actor *a = &w->a;
    cio_task_t *ts[4];
    struct sub *ss[4];
    int n = spawn_unit_subs(w, ts, ss);
    if (!n)
        return 0;
    cio_as_completed_t *it = NULL;
    double timeout = chance(a, 50) ? INFINITY : small_positive(a);
    int rc = cio_as_completed_new(ts, (size_t)n, timeout, &it);
    if (rc != 0) {
        SFAIL("%s: as_completed_new: %s", a->name, cio_err_name(rc));
        return 0;
    }
    int handed = 0, late = 0, seen[4] = {0, 0, 0, 0};
    for (;;) {
        cio_future_t *f = NULL;
        blk(a, BLK_CHILD);
        rc = cio_as_completed_next(it, &f);
        unblk(a);
        if (rc == 1) {
            int j = 0;
            while (j < n && ts[j] != f)
                j++;
            if (j == n || seen[j]++)
                SFAIL("%s: as_completed handed back a task twice or one not given", a->name);
            else if (!cio_future_done(f))
                SFAIL("%s: as_completed handed back a pending task", a->name);
            handed++;
        } else if (rc == -ETIMEDOUT) {
            if (timeout < 0)
                SFAIL("%s: as_completed without timeout timed out", a->name);
            late++;
        } else {
            break;
        }
    }
    if (rc == 0 && handed + late != n)
        SFAIL("%s: as_completed: %d handed + %d late of %d", a->name, handed, late, n);
    if (rc != 0 && rc != -ECANCELED)
        SFAIL("%s: as_completed_next: %s", a->name, cio_err_name(rc));
    int fr = cio_as_completed_free(it);
    if (fr != 0)
        SFAIL("%s: as_completed_free: %s", a->name, cio_err_name(fr));
    for (int j = 0; j < n; j++)
        if (!cio_future_done(ts[j]) && w->nleft < 4 && chance(a, 50))
            w->left[w->nleft++] = ss[j];
    return rc;
}

static int u_gather(struct worker *w)
{
    struct actor *a = &w->a;
    cio_task_t *ts[5];
    struct sub *ss[4];
    cio_call_t calls[4];
    int form = (int)(rnd(a) % 3);
    int flags = chance(a, 50) ? CIO_RETURN_EXCEPTIONS : 0;
    int n = 0, k = 1 + (int)(rnd(a) % 4);
    for (int i = 0; i < k; i++) {
        struct sub *s = new_sub(a, a->widx, 1);
        if (!s)
            break;
        s->exposed = 1;
        if (form == 2) {
            s->calls = 1;
            calls[n] = (cio_call_t){sub_main, s};
        } else if (!(ts[n] = spawn_sub(a, s))) {
            break;
        }
        ss[n++] = s;
        add_usub(w, s);
    }
    if (!n)
        return 0;
    size_t m = (size_t)n;
    if (form != 2 && chance(a, 10))
        ts[m++] = ts[0]; /* the same task twice: awaited once */
    void *res[5];
    int rcs[5];
    for (int i = 0; i < 5; i++) {
        res[i] = (void *)1;
        rcs[i] = 12345;
    }
    int rc;
    blk(a, BLK_CHILD);
    if (form == 0) {
        rc = cio_gather(ts, m, res, rcs, flags);
    } else if (form == 1) {
        cio_future_t *g = NULL;
        rc = cio_gather_start(ts, m, flags, &g);
        if (rc != 0) {
            unblk(a);
            SFAIL("%s: gather_start: %s", a->name, cio_err_name(rc));
            return 0;
        }
        rc = cio_await(g, NULL);
        unblk(a);
        if (!cio_future_done(g))
            SFAIL("%s: await of a gather returned with it pending", a->name);
        if (cio_gather_results(g, res, rcs) != 0)
            SFAIL("%s: gather_results failed", a->name);
        cio_unref(g);
    } else {
        rc = cio_gather_calls(calls, m, res, rcs, flags);
    }
    unblk(a);
    if (flags & CIO_RETURN_EXCEPTIONS) {
        if (rc != 0 && rc != -ECANCELED)
            SFAIL("%s: gather with return_exceptions returned %s", a->name, cio_err_name(rc));
    } else if (rc != 0 && rc != -ECANCELED && rc != -EIO) {
        SFAIL("%s: gather returned %s", a->name, cio_err_name(rc));
    }
    if (rc == 0) {
        for (size_t i = 0; i < m; i++) {
            struct sub *s = ss[i < (size_t)n ? i : 0];
            if (!s->finished && s->started)
                SFAIL("%s: gather returned 0 with %s still running", a->name, s->a.name);
            int o = sub_outcome(s);
            if (rcs[i] != o)
                SFAIL("%s: gather rcs[%zu] = %s, %s's outcome %s", a->name, i, cio_err_name(rcs[i]), s->a.name,
                      cio_err_name(o));
            if (o == 0 && res[i] != s)
                SFAIL("%s: gather results[%zu] is not %s's value", a->name, i, s->a.name);
            if (!(flags & CIO_RETURN_EXCEPTIONS) && o != 0)
                SFAIL("%s: gather returned 0 but %s ended %s", a->name, s->a.name, cio_err_name(o));
        }
    } else if (rc == -EIO) {
        int found = 0;
        for (int i = 0; i < n; i++)
            found |= ss[i]->finished && ss[i]->ret == -EIO;
        if (!found)
            SFAIL("%s: gather returned EIO but no child failed", a->name);
    }
    return rc;
}

static int tg_add(struct worker *w, cio_taskgroup_t *tg, struct sub **kids, int *nk)
{
    struct sub *s = new_sub(&w->a, w->a.widx, 1);
    if (!s)
        return 0;
    cio_task_opts_t o = {.name = s->a.name, .eager = chance(&w->a, 15)};
    if (o.eager)
        ST.eager++;
    cio_task_t *t = NULL;
    TRACE("%s creates %s in a taskgroup%s", w->a.name, s->a.name, o.eager ? " (eager)" : "");
    int rc = cio_taskgroup_create_task_ex(tg, sub_main, s, &o, &t);
    if (rc == 0) {
        s->task = cio_ref(t);
        s->exposed = 1;
        kids[(*nk)++] = s;
        add_usub(w, s);
        return 0;
    }
    s->unused = 1;
    if (rc != CIO_EINVALSTATE) {
        SFAIL("%s: taskgroup_create_task: %s", w->a.name, cio_err_name(rc));
        return rc;
    }
    int err = 0;
    for (int i = 0; i < *nk; i++)
        if (cio_future_done(kids[i]->task)) {
            int x = cio_future_exception(kids[i]->task);
            err |= x < 0 && x != -ECANCELED;
        }
    if (!err)
        SFAIL("%s: taskgroup refused a task with no failed child", w->a.name);
    return rc;
}

static int u_tg(struct worker *w, int req0)
{
    struct actor *a = &w->a;
    cio_taskgroup_t *tg = cio_taskgroup_new();
    if (!tg) {
        SFAIL("%s: taskgroup_new failed", a->name);
        return 0;
    }
    struct sub *kids[8];
    int nk = 0, k = 1 + (int)(rnd(a) % 3);
    for (int i = 0; i < k; i++)
        tg_add(w, tg, kids, &nk);
    int body_rc = 0;
    switch (rnd(a) % 5) {
    case 0: break;
    case 1: body_rc = pause_(a); break;
    case 2:
        body_rc = cio_sleep(small_positive(a));
        for (int i = 0, m = 1 + (int)(rnd(a) % 2); i < m && nk < 6; i++)
            tg_add(w, tg, kids, &nk);
        break;
    case 3: {
        int r = pause_(a);
        body_rc = r < 0 ? r : -ENOENT;
        break;
    }
    case 4: body_rc = cio_sleep(0.002); break;
    }
    if (body_rc != 0 && body_rc != -ECANCELED && body_rc != -ENOENT)
        SFAIL("%s: taskgroup body: %s", a->name, cio_err_name(body_rc));
    blk(a, BLK_CHILD);
    int rc = cio_taskgroup_exit(tg, body_rc);
    unblk(a);
    int req_inc = w->requests != req0;
    int expected = body_rc < 0 && body_rc != -ECANCELED;
    int body_err = expected;
    for (int i = 0; i < nk; i++) {
        cio_task_t *t = kids[i]->task;
        if (!cio_future_done(t)) {
            SFAIL("%s: taskgroup exited with %s still running", a->name, kids[i]->a.name);
            continue;
        }
        int o = cio_future_exception(t);
        if (o != sub_outcome(kids[i]))
            SFAIL("%s: %s outcome %s, it returned %s", a->name, kids[i]->a.name, cio_err_name(o),
                  cio_err_name(sub_outcome(kids[i])));
        expected += o < 0 && o != -ECANCELED;
    }
    int ec = cio_taskgroup_error_count(tg);
    if (ec != expected)
        SFAIL("%s: taskgroup lists %d errors, %d expected (rc %s)", a->name, ec, expected, cio_err_name(rc));
    for (int i = 0; i < ec; i++) {
        int code = 0;
        cio_task_t *t = NULL;
        if (cio_taskgroup_error(tg, i, &code, &t, NULL) != 0) {
            SFAIL("%s: taskgroup_error(%d) failed", a->name, i);
            continue;
        }
        if (code == -ECANCELED || code >= 0)
            SFAIL("%s: taskgroup listed %s as an error", a->name, cio_err_name(code));
        if (t == w->task) {
            if (!body_err || code != body_rc)
                SFAIL("%s: taskgroup listed the body with %s (body returned %s)", a->name, cio_err_name(code),
                      cio_err_name(body_rc));
        } else if (!t || !cio_future_done(t) || cio_future_exception(t) != code) {
            SFAIL("%s: taskgroup error %d (%s) does not match its task", a->name, i, cio_err_name(code));
        }
    }
    ST.tg_errors += ec;
    if (expected > 0 && rc != CIO_ETASKGROUP)
        SFAIL("%s: taskgroup with %d errors returned %s", a->name, expected, cio_err_name(rc));
    if (expected == 0 && rc != (req_inc ? -ECANCELED : 0))
        SFAIL("%s: taskgroup without errors returned %s (cancel requests during it: %d)", a->name, cio_err_name(rc),
              req_inc);
    for (int i = 0; i < nk; i++)
        if (cio_future_done(kids[i]->task) && cio_future_cancelled(kids[i]->task) && !expected && !req_inc &&
            body_rc == 0 && kids[i]->requests == 0 && kids[i]->desc_requests == 0)
            SFAIL("%s: taskgroup child %s cancelled with no failure and no cancel", a->name, kids[i]->a.name);
    int fr = cio_taskgroup_free(tg);
    if (fr != 0)
        SFAIL("%s: taskgroup_free: %s", a->name, cio_err_name(fr));
    return rc;
}

static int u_wait_for(struct worker *w, int req0)
{
    struct actor *a = &w->a;
    struct sub *s = new_sub(a, a->widx, 1);
    if (!s)
        return 0;
    cio_task_t *t = spawn_sub(a, s);
    if (!t)
        return 0;
    s->exposed = 1;
    add_usub(w, s);
    int started0 = s->started;
    double d = small_delay(a);
    void *v = (void *)1;
    blk(a, BLK_CHILD);
    int rc = cio_wait_for(t, d, &v);
    unblk(a);
    int done = cio_future_done(t);
    int req_inc = w->requests != req0;
    if (!done && !(d <= 0 && rc == -ECANCELED && req_inc))
        SFAIL("%s: wait_for(%g) returned %s with the inner still running", a->name, d, cio_err_name(rc));
    if (rc == 0 && v != s)
        SFAIL("%s: wait_for returned 0 without the inner's value", a->name);
    /* -ETIMEDOUT with the inner done but not cancelled is asyncio 3.12's
     * race too: the inner ended, and the deadline fired before the waiter
     * resumed (timeout() + await: the result is dropped). */
    if (rc == -ETIMEDOUT && d <= 0 && !cio_future_cancelled(t))
        SFAIL("%s: wait_for(%g) timed out but the inner was not cancelled", a->name, d);
    /* timeout <= 0 cancels the inner and waits (asyncio's _cancel_and_wait):
     * its only suspension; a cancel of the caller there is the caller's. */
    if (d <= 0 && req_inc && rc != -ECANCELED)
        SFAIL("%s: wait_for(%g) swallowed a cancel of the caller (returned %s)", a->name, d, cio_err_name(rc));
    if (d <= 0 && !started0 && s->started)
        SFAIL("%s: wait_for(%g) started a task that had not started", a->name, d);
    if (done && rc != -ETIMEDOUT && rc != cio_future_exception(t) && !(rc == -ECANCELED && req_inc))
        SFAIL("%s: wait_for returned %s, inner outcome %s", a->name, cio_err_name(rc),
              cio_err_name(cio_future_exception(t)));
    return rc;
}

static int u_leftover(struct worker *w, int req0)
{
    struct actor *a = &w->a;
    if (!w->nleft)
        return 0;
    int i = (int)(rnd(a) % (uint32_t)w->nleft);
    struct sub *s = w->left[i];
    w->left[i] = w->left[--w->nleft];
    add_usub(w, s);
    cio_task_t *t = s->task;
    s->exposed = 1;
    int use_wf = chance(a, 40);
    void *v = NULL;
    blk(a, BLK_CHILD);
    int rc = use_wf ? cio_wait_for(t, small_positive(a), &v) : cio_await(t, &v);
    unblk(a);
    int req_inc = w->requests != req0;
    if (!cio_future_done(t))
        SFAIL("%s: %s of %s returned %s with it still running", a->name, use_wf ? "wait_for" : "await", s->a.name,
              cio_err_name(rc));
    else if (rc == -ETIMEDOUT ? !use_wf
                              : rc != cio_future_exception(t) && !(rc == -ECANCELED && req_inc))
        SFAIL("%s: awaiting %s returned %s, its outcome %s", a->name, s->a.name, cio_err_name(rc),
              cio_err_name(cio_future_exception(t)));
    if (rc == 0 && v != s)
        SFAIL("%s: awaiting %s returned 0 without its value", a->name, s->a.name);
    return rc;
}

static int run_unit(struct worker *w, int u, int req0)
{
    struct actor *a = &w->a;
    switch (u) {
    case U_SLEEP: return su_sleep(a, 0);
    case U_SELF_CANCEL: return u_self_cancel(w);
    case U_CANCEL_OTHER: return u_cancel_other(w);
    case U_CANCEL_SUB: return u_cancel_sub(w);
    case U_LOCK: return su_lock(a, 0);
    case U_SEM: return su_sem(a, 0);
    case U_EVENT_WAIT: return su_event_wait(a, 0);
    case U_EVENT_SET: return su_event_set(a, 0);
    case U_COND_NOTIFY: return su_cond_notify(a, 0);
    case U_COND_WAIT: return su_cond_wait(a, 0);
    case U_QPUT: return su_qput(a, 0);
    case U_QGET: return su_qget(a, 0);
    case U_QJOIN: return su_qjoin(a, 0);
    case U_BARRIER: return su_barrier(a, 0);
    case U_TIMEOUT: return u_timeout(w);
    case U_WAIT_FOR_CALL: return u_wait_for_call(w);
    case U_SHIELD: return u_shield(w);
    case U_WAIT: return u_wait(w);
    case U_AS_COMPLETED: return u_as_completed(w);
    case U_GATHER: return u_gather(w);
    case U_TG: return u_tg(w, req0);
    case U_WAIT_FOR: return u_wait_for(w, req0);
    case U_LEFTOVER: return u_leftover(w, req0);
    }
    return 0;
}

static int pick_unit(struct worker *w)
{
    uint32_t r = rnd(&w->a) % (uint32_t)W->wtotal;
    for (int u = 0; u < U__N; u++) {
        if (r < (uint32_t)W->weights[u])
            return u;
        r -= (uint32_t)W->weights[u];
    }
    return U_SLEEP;
}

static int worker_main(void *arg, void **result)
{
    struct worker *w = arg;
    struct actor *a = &w->a;
    cio_task_t *self = cio_current_task();
    w->started = 1;
    if (self != w->task)
        SFAIL("%s: current_task is not its task", a->name);
    if (cio_task_cancelling(self) != w->expect)
        SFAIL("%s: starts with cancelling %d, expected %d", a->name, cio_task_cancelling(self), w->expect);
    for (w->ops_done = 0; w->ops_done < w->nops && !W->stopping; w->ops_done++) {
        while (W->calm) {
            int req0 = w->requests;
            blk(a, BLK_CALM);
            int rc = cio_event_wait(&W->calm_ev);
            unblk(a);
            if (rc == -ECANCELED && w->requests != req0) {
                /* cancelled by another worker just as the checkpoint ended */
                if (w->expect > 0) {
                    w->expect--;
                    w->uncancels++;
                    if (cio_task_uncancel(self) != w->expect)
                        SFAIL("%s: uncancel did not return %d", a->name, w->expect);
                }
                continue;
            }
            if (rc != 0) {
                if (!W->aborted)
                    SFAIL("%s: wait for the end of a checkpoint: %s", a->name, cio_err_name(rc));
                w->finished = 1;
                w->ret = rc;
                return rc;
            }
        }
        int u = pick_unit(w);
        int req0 = w->requests;
        w->unit = u;
        w->nusubs = 0;
        ST.units[u]++;
        TRACE("%s: unit %s begins", a->name, units[u].name);
        int rc = run_unit(w, u, req0);
        TRACE("%s: unit %s: %s", a->name, units[u].name, cio_err_name(rc));
        W->progress++;
        w->unit = -1;
        int req_inc = w->requests != req0;
        int foreign = unit_foreign(w);
        if (a->in_scope || a->blocked)
            SFAIL("%s: %s left scope %d / blocked %d", a->name, units[u].name, a->in_scope, a->blocked);
        if (a->sem_held || W->lock_holder == a->id)
            SFAIL("%s holds the lock or semaphore after %s", a->name, units[u].name);
        if (rc != 0 && rc != -ECANCELED && rc != -ETIMEDOUT && rc != -EIO && rc != CIO_ETASKGROUP)
            SFAIL("%s: %s returned %s", a->name, units[u].name, cio_err_name(rc));
        if (rc == -ECANCELED && !req_inc && !foreign)
            SFAIL("%s: %s returned ECANCELED with no cancel request", a->name, units[u].name);
        if (units[u].strict && req_inc && rc != -ECANCELED)
            SFAIL("%s: a cancel request during %s was not delivered (it returned %s)", a->name, units[u].name,
                  cio_err_name(rc));
        if ((u == U_GATHER || u == U_TG) && req_inc && rc == 0)
            SFAIL("%s: %s returned 0 though the worker was cancelled during it", a->name, units[u].name);
        int c = cio_task_cancelling(self);
        if (c != w->expect)
            SFAIL("%s: after %s (%s) cancelling is %d, expected %d (%d requests, %d uncancels)", a->name,
                  units[u].name, cio_err_name(rc), c, w->expect, w->requests, w->uncancels);
        if (rc == -ETIMEDOUT)
            ST.unit_timedout++;
        if (rc == -ECANCELED) {
            ST.unit_cancelled++;
            w->cancels_seen++;
            if (chance(a, w->exit_on_cancel)) {
                ST.worker_exits++;
                w->finished = 1;
                w->ret = -ECANCELED;
                return -ECANCELED;
            }
            if (w->expect > 0) {
                w->expect--;
                w->uncancels++;
                ST.uncancels++;
                int left = cio_task_uncancel(self);
                if (left != w->expect)
                    SFAIL("%s: uncancel returned %d, expected %d", a->name, left, w->expect);
            }
        }
    }
    w->finished = 1;
    w->ret = 0;
    return 0;
}

/* ------------------------------------------------------------ the main */

static void exc_handler(cio_loop_t *loop, const cio_exc_context_t *ctx, void *ud)
{
    const char *name = NULL;
    if (ctx->future)
        name = cio_task_get_name(ctx->future);
    SFAIL("exception handler called: %s (%s)%s%s", ctx->message ? ctx->message : "?", cio_err_name(ctx->error),
          name ? " task " : "", name ? name : "");
}

static void dump_state(const char *why)
{
    if (W->nfail > 25)
        return;
    fprintf(stderr,
            "  state at %s: lock locked=%d holder=%s; sem value=%d held=%d; event set=%d; tokens=%ld; "
            "qsize=%ld/%d; barrier %d/%d waiting; tasks alive=%d\n",
            why, cio_lock_locked(&W->lock), holder_name(W->lock_holder), cio_sem_value(&W->sem), W->sem_held,
            cio_event_is_set(&W->ev), W->tokens, cio_queue_qsize(&W->q), W->qmax, cio_barrier_n_waiting(&W->barrier),
            W->parties, cio_all_tasks(W->loop, NULL, 0));
    int shown = 0;
    for (int i = 0; i < W->nworkers_made && shown < 30; i++) {
        struct worker *w = &W->workers[i];
        if (cio_future_done(w->task))
            continue;
        shown++;
        fprintf(stderr, "    %s: op %d/%d unit %s blocked on %s, cancelling %d\n", w->a.name, w->ops_done, w->nops,
                w->unit >= 0 ? units[w->unit].name : "-", blk_names[w->a.blocked], cio_task_cancelling(w->task));
    }
    static const char *const op_names[] = {"pause", "lock", "semaphore", "event", "put_nowait", "get_nowait",
                                           "nested-gather"};
    fprintf(stderr, "    semaphore initial value %d\n", W->sem_init);
    shown = 0;
    for (int i = 0; i < W->nsubs && shown < 30; i++) {
        struct sub *s = &W->subs[i];
        if (s->unused || s->finished || (s->task && cio_future_done(s->task)))
            continue;
        shown++;
        fprintf(stderr, "    %s: %s, op %s, parked on %s, cancel requests %d, cancelling %d\n", s->a.name,
                s->started ? "running" : "not started", s->started ? op_names[s->cur_op] : "-",
                blk_names[s->a.blocked], s->requests, s->task ? cio_task_cancelling(s->task) : -1);
    }
}

static int alive_tasks(void);

/* After a failure: cancel everything left so that the run can end. */
static void emergency(void)
{
    W->aborted = 1;
    cio_task_t *self = cio_current_task();
    for (int round = 0; round < 100; round++) {
        cio_task_t *ts[64];
        int n = cio_all_tasks(W->loop, ts, 64);
        if (n <= 1)
            return;
        for (int i = 0; i < n && i < 64; i++)
            if (ts[i] != self)
                cio_task_cancel(ts[i], "emergency");
        cio_sleep(0.01);
        cio_task_uncancel(self);
    }
    /* Tasks that ignore cancellation for a second: the loop lost them (a
     * corrupted ready queue).  cio_run's shutdown would wait forever. */
    fprintf(stderr, "test_random_sched.c: seed %" PRIu64 ": %d task(s) cannot be ended; the loop is wedged, exiting\n",
            W->seed, alive_tasks() - 1);
    printf("FAIL t_random_schedule: seed %" PRIu64 " wedged the loop; replay with: CIO_SCHED_SEED=%" PRIu64
           " ./test_random_sched\n",
           W->seed, W->seed);
    fflush(stdout);
    fflush(stderr);
    _exit(1);
}

static int alive_tasks(void)
{
    return cio_all_tasks(W->loop, NULL, 0);
}

static int sub_done(struct sub *s)
{
    return s->task ? cio_future_done(s->task) : s->finished;
}

/* Why an actor parked at quiescence should not be: NULL if it may be. */
static const char *lost_reason(struct actor *a, struct sub *const *kids, int nkids, long qs)
{
    switch (a->blocked) {
    case BLK_LOCK:
        return cio_lock_locked(&W->lock) ? NULL : "waits for the lock, which is free";
    case BLK_SEM:
        return cio_sem_value(&W->sem) > 0 ? "waits for the semaphore, which has units" : NULL;
    case BLK_EVENT:
        return W->set_epoch != a->blk_epoch || cio_event_is_set(&W->ev)
                   ? "still waits for the event though it was set since"
                   : NULL;
    case BLK_COND:
        return W->tokens > 0 ? "still waits on the condition though tokens are available" : NULL;
    case BLK_QGET:
        return qs > 0 ? "still waits to get though the queue has items" : NULL;
    case BLK_QPUT:
        return qs < W->qmax ? "still waits to put though the queue has room" : NULL;
    case BLK_CHILD:
        for (int i = 0; i < nkids; i++)
            if (!sub_done(kids[i]))
                return NULL;
        return nkids ? "still waits for its sub-tasks, which are all done" : NULL;
    }
    return NULL;
}

/* While the workers run: a waiter that stays parked for many iterations
 * although what it waits for is available, with no progress of its kind,
 * was never woken. */
#define WATCH_LIMIT 50
struct watch {
    int streak[BLK__N];
    long sig[BLK__N];
};

static int watch_step(struct watch *wt)
{
    int cond[BLK__N] = {0}, any = 0, locked = cio_lock_locked(&W->lock);
    long sig[BLK__N] = {0}, qs = cio_queue_qsize(&W->q);
    cond[BLK_QGET] = qs > 0 && W->parked[BLK_QGET] > 0;
    sig[BLK_QGET] = W->items_got;
    cond[BLK_QPUT] = qs < W->qmax && W->parked[BLK_QPUT] > 0;
    sig[BLK_QPUT] = W->items_put;
    cond[BLK_LOCK] = !locked && W->parked[BLK_LOCK] > 0;
    sig[BLK_LOCK] = W->lock_acqs + W->cond_returns; /* woken condition waiters take the lock too */
    cond[BLK_SEM] = cio_sem_value(&W->sem) > 0 && W->parked[BLK_SEM] > 0;
    sig[BLK_SEM] = W->sem_acqs;
    cond[BLK_EVENT] = cio_event_is_set(&W->ev) && W->parked[BLK_EVENT] > 0;
    sig[BLK_EVENT] = W->event_returns;
    cond[BLK_COND] = W->tokens > 0 && !locked && W->parked[BLK_COND] > 0;
    sig[BLK_COND] = W->cond_returns + W->tokens_taken;
    for (int k = 0; k < BLK__N; k++) {
        wt->streak[k] = cond[k] ? (sig[k] == wt->sig[k] ? wt->streak[k] + 1 : 1) : 0;
        wt->sig[k] = sig[k];
        any |= cond[k];
        if (wt->streak[k] >= WATCH_LIMIT && !W->watch_reported) {
            W->watch_reported = 1;
            SFAIL("lost wake-up: %d task(s) parked on the %s for %d iterations while it was available "
                  "(qsize %ld/%d, lock locked %d, sem value %d, event set %d, tokens %ld)",
                  W->parked[k], blk_names[k], WATCH_LIMIT, qs, W->qmax, locked, cio_sem_value(&W->sem),
                  cio_event_is_set(&W->ev), W->tokens);
            dump_state("watch");
        }
    }
    return any;
}

static int parked_total(void)
{
    int n = 0;
    for (int k = 1; k < BLK__N; k++)
        n += W->parked[k];
    return n;
}

/* Wait until every task but main is parked and nothing has moved for
 * several iterations. */
static int settle(struct watch *wt, double t0)
{
    unsigned long last = ~0UL;
    int stable = 0;
    for (;;) {
        int suspect = watch_step(wt);
        int parked = parked_total(), alive = alive_tasks();
        if (alive == 1 + parked && W->progress == last) {
            if (++stable >= 6)
                return 0;
        } else {
            stable = 0;
        }
        last = W->progress;
        if (now_s() - t0 > QUIET_LIMIT) {
            SFAIL("no quiescence after %g s: a task is stuck (%d tasks alive, %d parked)", QUIET_LIMIT, alive - 1,
                  parked);
            dump_state("no quiescence");
            return -1;
        }
        if ((stable || suspect ? cio_yield() : cio_sleep(0.0002)) == -ECANCELED) {
            SFAIL("main cancelled (watchdog) while waiting for quiescence");
            dump_state("watchdog");
            return -1;
        }
    }
}

static void check_quiescent(void);

/* Let the workers run until every task but main is parked in an untimed
 * wait.  Meanwhile watch for lost wake-ups, and every few milliseconds hold
 * every worker at its next unit boundary (a checkpoint), let everything
 * settle and check that nobody parked should have been woken. */
static int run_phase(struct actor *r)
{
    struct watch wt;
    memset(&wt, 0, sizeof wt);
    double t0 = now_s();
    for (;;) {
        double until = now_s() + 0.002 + 0.001 * (rnd(r) % 12);
        do {
            int suspect = watch_step(&wt);
            if ((suspect ? cio_yield() : cio_sleep(0.0005)) == -ECANCELED) {
                SFAIL("main cancelled (watchdog) while the workers run");
                return -1;
            }
        } while (now_s() < until && (alive_tasks() > 1 + parked_total() || W->parked[BLK_CALM]));
        W->calm = 1;
        cio_event_clear(&W->calm_ev);
        if (settle(&wt, t0) < 0)
            return -1;
        int final = W->parked[BLK_CALM] == 0; /* nothing can move any more */
        check_quiescent();
        ST.checkpoints++;
        W->calm = 0;
        cio_event_set(&W->calm_ev);
        if (final)
            return 0;
    }
}

/* Nobody may be parked in a wait that should have ended. */
static void check_quiescent(void)
{
    int bad = 0;
    if (cio_lock_locked(&W->lock) != 0 || W->lock_holder != -1) {
        SFAIL("at quiescence the lock is held (locked %d, holder %s)", cio_lock_locked(&W->lock),
              holder_name(W->lock_holder));
        bad = 1;
    }
    if (cio_sem_value(&W->sem) != W->sem_init || W->sem_held != 0) {
        SFAIL("at quiescence the semaphore value is %d of %d (%d held)", cio_sem_value(&W->sem), W->sem_init,
              W->sem_held);
        bad = 1;
    }
    if (W->parked[BLK_BARRIER] >= W->parties || cio_barrier_n_waiting(&W->barrier) != W->parked[BLK_BARRIER]) {
        SFAIL("lost wake-up: %d tasks parked at a barrier of %d parties, which says %d wait",
              W->parked[BLK_BARRIER], W->parties, cio_barrier_n_waiting(&W->barrier));
        bad = 1;
    }
    long qs = cio_queue_qsize(&W->q);
    for (int i = 0; i < W->nworkers_made + W->nsubs; i++) {
        struct actor *a;
        struct sub *const *kids;
        int nkids;
        if (i < W->nworkers_made) {
            struct worker *w = &W->workers[i];
            if (cio_future_done(w->task))
                continue;
            a = &w->a;
            kids = w->usubs;
            nkids = w->nusubs;
        } else {
            struct sub *s = &W->subs[i - W->nworkers_made];
            if (s->unused || !s->started || s->finished)
                continue;
            a = &s->a;
            kids = s->kids;
            nkids = s->nkids;
        }
        ST.quiet_blocked[a->blocked]++;
        const char *lost = lost_reason(a, kids, nkids, qs);
        if (lost) {
            SFAIL("lost wake-up: %s %s (tokens %ld, qsize %ld/%d)", a->name, lost, W->tokens, qs, W->qmax);
            bad = 1;
        }
    }
    if (bad)
        dump_state("quiescence");
}

/* Release everyone parked in an untimed wait. */
static int release_all(void)
{
    W->stopping = 1;
    W->set_epoch++;
    if (cio_event_set(&W->ev) != 0)
        SFAIL("event_set failed");
    cio_timeout_t to;
    int rc = cio_timeout_enter(&to, 1.0);
    if (rc == 0)
        rc = cio_timeout_exit(&to, cio_cond_acquire(&W->cond));
    if (rc != 0) {
        SFAIL("main could not take the condition's lock: %s", cio_err_name(rc));
        return -1;
    }
    if (W->lock_holder != -1)
        SFAIL("main took the lock while %s holds it", holder_name(W->lock_holder));
    W->lock_holder = MAIN_ID;
    if (cio_cond_notify_all(&W->cond) < 0)
        SFAIL("notify_all failed");
    W->lock_holder = -1;
    if (cio_cond_release(&W->cond) != 0)
        SFAIL("main: cond release failed");
    rc = cio_queue_shutdown(&W->q, 0, NULL, NULL);
    if (rc != 0)
        SFAIL("queue_shutdown (graceful) returned %d", rc);
    rc = cio_barrier_abort(&W->barrier);
    if (rc != 0)
        SFAIL("barrier_abort: %s", cio_err_name(rc));
    size_t np = 0;
    rc = cio_wait(W->wtasks, (size_t)W->nworkers_made, FINAL_LIMIT, CIO_ALL_COMPLETED, NULL, NULL, NULL, &np);
    if (rc != 0 || np != 0) {
        SFAIL("%zu worker(s) never finished after everyone was released (%s)", np, cio_err_name(rc));
        dump_state("release");
        return -1;
    }
    double t0 = now_s();
    while (alive_tasks() > 1) {
        if (now_s() - t0 > FINAL_LIMIT || cio_sleep(0.001) < 0) {
            SFAIL("%d task(s) still alive after the workers ended", alive_tasks() - 1);
            dump_state("release");
            return -1;
        }
    }
    return 0;
}

static void final_checks(void)
{
    /* workers */
    for (int i = 0; i < W->nworkers_made; i++) {
        struct worker *w = &W->workers[i];
        cio_task_t *t = w->task;
        if (!cio_future_done(t)) {
            SFAIL("%s is not done", w->a.name);
            continue;
        }
        int o = cio_future_exception(t);
        if (!w->started) {
            if (o != -ECANCELED || w->requests == 0)
                SFAIL("%s never started: outcome %s, %d cancel requests", w->a.name, cio_err_name(o), w->requests);
        } else if (!w->finished || o != w->ret) {
            SFAIL("%s: outcome %s, it returned %s (finished %d)", w->a.name, cio_err_name(o), cio_err_name(w->ret),
                  w->finished);
        }
        int c = cio_task_cancelling(t);
        if (c != w->expect)
            SFAIL("%s: final cancelling %d, expected %d (%d requests, %d uncancels)", w->a.name, c, w->expect,
                  w->requests, w->uncancels);
        if (w->a.sem_held)
            SFAIL("%s ended holding %d semaphore unit(s)", w->a.name, w->a.sem_held);
    }
    /* sub-tasks */
    for (int i = 0; i < W->nsubs; i++) {
        struct sub *s = &W->subs[i];
        if (s->unused)
            continue;
        if (s->started && !s->finished)
            SFAIL("%s started but never returned", s->a.name);
        if (s->a.sem_held)
            SFAIL("%s ended holding the semaphore", s->a.name);
        if (s->started) {
            ST.subs_cancelled += s->ret == -ECANCELED;
            ST.subs_failed += s->ret == -EIO;
            ST.subs_swallowed += s->swallowed;
        } else {
            ST.subs_cancelled++;
        }
        if (!s->task)
            continue;
        if (!cio_future_done(s->task)) {
            SFAIL("%s is not done", s->a.name);
            continue;
        }
        int o = cio_future_exception(s->task);
        if (o != sub_outcome(s))
            SFAIL("%s: outcome %s, it returned %s (started %d)", s->a.name, cio_err_name(o),
                  cio_err_name(sub_outcome(s)), s->started);
        if (s->relaxed)
            continue;
        int c = cio_task_cancelling(s->task);
        int should = s->saw_cancel || !s->started;
        if (should ? c < 1 : c != 0)
            SFAIL("%s: cancelling %d (saw a cancel %d, started %d, swallowed %d, outcome %s)", s->a.name, c,
                  s->saw_cancel, s->started, s->swallowed, cio_err_name(o));
        if (!s->exposed && c != s->requests)
            SFAIL("%s was never awaited with forwarding, yet cancelling %d != %d explicit request(s)", s->a.name, c,
                  s->requests);
    }
    /* the primitives */
    if (W->lock_holder != -1 || cio_lock_locked(&W->lock) != 0)
        SFAIL("the lock is still held (%s)", holder_name(W->lock_holder));
    else if (cio_lock_try_acquire(&W->lock) != 0 || cio_lock_release(&W->lock) != 0)
        SFAIL("the free lock cannot be taken and released");
    if (W->lock_acqs != W->lock_rels)
        SFAIL("%ld lock acquisitions, %ld releases", W->lock_acqs, W->lock_rels);
    if (W->sem_held != 0 || cio_sem_value(&W->sem) != W->sem_init)
        SFAIL("semaphore value %d (%d held), initial %d", cio_sem_value(&W->sem), W->sem_held, W->sem_init);
    else if (cio_sem_release(&W->sem) != -EOVERFLOW || cio_sem_value(&W->sem) != W->sem_init)
        SFAIL("the bounded semaphore accepted a release above its value");
    if (W->tokens_made != W->tokens_taken + W->tokens || W->tokens < 0)
        SFAIL("condition tokens: %ld made, %ld taken, %ld left", W->tokens_made, W->tokens_taken, W->tokens);
    /* the queue: what is left, then every item accounted for */
    long drained = 0;
    for (;;) {
        void *v;
        int rc = cio_queue_get_nowait(&W->q, &v);
        if (rc != 0) {
            if (rc != CIO_EQUEUESHUTDOWN)
                SFAIL("get_nowait on the drained, shut-down queue: %s", cio_err_name(rc));
            break;
        }
        long id = P2I(v) - 1;
        if (id < 0 || id >= W->next_item || W->item_state[id] != 1)
            SFAIL("drained item %ld in state %d", id, id >= 0 && id < W->next_item ? W->item_state[id] : -1);
        else
            W->item_state[id] = 3;
        drained++;
        cio_queue_task_done(&W->q);
        W->done_calls++;
    }
    long queued_left = 0;
    for (long i = 0; i < W->next_item; i++)
        queued_left += W->item_state[i] == 1;
    if (queued_left)
        SFAIL("%ld item(s) put were neither got nor left in the queue", queued_left);
    if (W->items_put != W->items_got + drained)
        SFAIL("%ld items put, %ld got, %ld left in the queue", W->items_put, W->items_got, drained);
    int rc = cio_queue_join(&W->q);
    if (rc != 0)
        SFAIL("join on the emptied queue: %s", cio_err_name(rc));
    if (cio_queue_task_done(&W->q) != -EOVERFLOW)
        SFAIL("one task_done too many was accepted");
    ST.items += W->items_put;
    ST.barrier_passes += W->barrier_passes;
    ST.tokens += W->tokens_made;
}

static int sched_main(void *arg, void **result)
{
    struct actor r = {.rng = W->seed ^ 0x5DEECE66DULL, .widx = -1};
    snprintf(r.name, sizeof r.name, "main");
    if (cio_get_running_loop(&W->loop) != 0) {
        SFAIL("no running loop");
        return 0;
    }
    cio_loop_set_exception_handler(W->loop, exc_handler, NULL);
    cio_lock_init(&W->lock);
    cio_bounded_sem_init(&W->sem, W->sem_init);
    cio_event_init(&W->ev);
    cio_cond_init(&W->cond, &W->lock);
    cio_queue_init(&W->q, W->qmax);
    cio_barrier_init(&W->barrier, W->parties);
    cio_event_init(&W->calm_ev);
    cio_event_set(&W->calm_ev);
    W->lock_holder = -1;

    for (int i = 0; i < W->nworkers; i++) {
        struct worker *w = &W->workers[i];
        w->a.id = i;
        w->a.widx = i;
        w->a.rng = sm64(&r.rng);
        snprintf(w->a.name, sizeof w->a.name, "w%d", i);
        w->nops = 1 + (int)(rnd(&w->a) % (uint32_t)W->maxops);
        w->exit_on_cancel = W->exit_pct;
        w->unit = -1;
        cio_task_opts_t o = {.name = w->a.name};
        int rc = cio_loop_create_task(W->loop, worker_main, w, &o, &w->task);
        if (rc != 0) {
            SFAIL("create worker: %s", cio_err_name(rc));
            break;
        }
        W->wtasks[i] = w->task;
        W->nworkers_made++;
    }
    /* a few are cancelled before they start */
    for (int i = 0; i < W->nworkers_made; i++)
        if (chance(&r, 3)) {
            struct worker *w = &W->workers[i];
            if (cio_task_cancel(w->task, NULL) != 1)
                SFAIL("cancel of a new worker did not return 1");
            w->requests++;
            w->expect++;
            ST.cancel_requests++;
        }

    if (run_phase(&r) != 0)
        emergency();
    if (!W->aborted && release_all() != 0)
        emergency();
    if (!W->aborted)
        final_checks();
    else
        emergency();

    for (int i = 0; i < W->nworkers_made; i++)
        cio_unref(W->workers[i].task);
    for (int i = 0; i < W->nsubs; i++)
        if (W->subs[i].task && !W->subs[i].unused)
            cio_unref(W->subs[i].task);
    int rc = cio_queue_destroy(&W->q);
    if (rc != 0)
        SFAIL("queue_destroy: %s", cio_err_name(rc));
    return 0;
}

static const char *skip_units; /* CIO_SCHED_SKIP: unit names never to run */

static int skipped(const char *name)
{
    size_t n = strlen(name);
    for (const char *p = skip_units; p && *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && strncmp(p, name, n) == 0)
            return 1;
        p = e ? e + 1 : p + len;
    }
    return 0;
}

static void configure(uint64_t seed)
{
    struct actor r = {.rng = seed};
    W->seed = seed;
    W->nworkers = 50 + (int)(rnd(&r) % 151);
    W->maxops = 5 + (int)(rnd(&r) % 26);
    W->qmax = 1 + (int)(rnd(&r) % 6);
    W->sem_init = 1 + (int)(rnd(&r) % 3);
    W->parties = 2 + (int)(rnd(&r) % 3);
    W->exit_pct = (int)(rnd(&r) % 40);
    W->wtotal = 0;
    for (int u = 0; u < U__N; u++) {
        W->weights[u] = units[u].weight * (int)(rnd(&r) % 4);
        if (skipped(units[u].name))
            W->weights[u] = 0;
        W->wtotal += W->weights[u];
    }
    if (W->wtotal == 0 || (W->weights[U_SLEEP] == 0 && !skipped("sleep"))) {
        W->weights[U_SLEEP] = units[U_SLEEP].weight;
        W->wtotal += W->weights[U_SLEEP];
    }
}

static int verbose;

/* One seed; returns 1 if it failed. */
static int run_seed(uint64_t seed)
{
    W = calloc(1, sizeof *W);
    if (!W) {
        FAILF("out of memory");
        return 1;
    }
    configure(seed);
    int failed_before = test_failed;
    test_failed = 0;
    long allocs = atomic_load(&test_live_allocs);
    double t0 = now_s();
    int rc = run_limited(sched_main, NULL, NULL);
    double dt = now_s() - t0;
    if (rc != 0)
        SFAIL("cio_run returned %s", cio_err_name(rc));
    long leaked = atomic_load(&test_live_allocs) - allocs;
    if (leaked != 0)
        SFAIL("%ld allocation(s) leaked", leaked);
    int failed = test_failed;
    if (verbose || failed)
        printf("  seed %" PRIu64 ": %d workers, %d ops max, %d sub-tasks, %ld items, queue %d, sem %d: %s (%.3f s)\n",
               seed, W->nworkers, W->maxops, W->nsubs, W->items_put, W->qmax, W->sem_init, failed ? "FAIL" : "ok",
               dt);
    if (failed)
        printf("  replay with: CIO_SCHED_SEED=%" PRIu64 " ./test_random_sched\n", seed);
    fflush(stdout);
    ST.seeds++;
    if (dt > ST.max_seed_s)
        ST.max_seed_s = dt;
    test_failed = failed_before || failed;
    free(W);
    W = NULL;
    return failed;
}

static uint64_t env_u64(const char *name, uint64_t dflt)
{
    const char *s = getenv(name);
    return s && *s ? strtoull(s, NULL, 0) : dflt;
}

static void t_random_schedule(void)
{
    verbose = (int)env_u64("CIO_SCHED_VERBOSE", 0);
    trace = (int)env_u64("CIO_SCHED_TRACE", 0);
    skip_units = getenv("CIO_SCHED_SKIP");
    int keep_going = (int)env_u64("CIO_SCHED_KEEP_GOING", 0);
    memset(&ST, 0, sizeof ST);
    double t0 = now_s();
    int nfailed = 0;
    if (getenv("CIO_SCHED_SEED") && *getenv("CIO_SCHED_SEED")) {
        nfailed = run_seed(env_u64("CIO_SCHED_SEED", 1));
    } else {
        uint64_t base = env_u64("CIO_SCHED_BASE", 1), n = env_u64("CIO_SCHED_SEEDS", SEEDS_DEFAULT);
        for (uint64_t i = 0; i < n; i++)
            if (run_seed(base + i) && (nfailed++, !keep_going))
                break;
    }
    printf("  %ld seed(s) in %.1f s (slowest %.3f s), %d failed\n", ST.seeds, now_s() - t0, ST.max_seed_s, nfailed);
    long total = 0;
    for (int u = 0; u < U__N; u++)
        total += ST.units[u];
    printf("  %ld units:", total);
    for (int u = 0; u < U__N; u++)
        printf(" %s=%ld", units[u].name, ST.units[u]);
    printf("\n  %ld cancel requests, %ld units ended ECANCELED (%ld uncancelled, %ld workers exited), %ld ETIMEDOUT\n",
           ST.cancel_requests, ST.unit_cancelled, ST.uncancels, ST.worker_exits, ST.unit_timedout);
    printf("  %ld sub-tasks (%ld eager): %ld cancelled, %ld failed, %ld swallowed a cancel; %ld taskgroup errors\n",
           ST.subs, ST.eager, ST.subs_cancelled, ST.subs_failed, ST.subs_swallowed, ST.tg_errors);
    printf("  %ld queue items, %ld condition tokens, %ld barrier passes; %ld checkpoints, parked at them:", ST.items,
           ST.tokens, ST.barrier_passes, ST.checkpoints);
    for (int k = 0; k < BLK__N; k++)
        printf(" %s=%ld", blk_names[k], ST.quiet_blocked[k]);
    printf("\n");
    /* The run exercised what it claims to. */
    if (ST.seeds >= 20 && !nfailed) {
        for (int u = 0; u < U__N; u++)
            if (ST.units[u] == 0 && !skipped(units[u].name))
                FAILF("unit %s never ran", units[u].name);
        CHECK(ST.unit_cancelled > 0);
        CHECK(ST.unit_timedout > 0);
        CHECK(ST.subs_failed > 0);
        CHECK(ST.subs_swallowed > 0);
        CHECK(ST.tg_errors > 0);
        CHECK(ST.barrier_passes > 0);
        CHECK(ST.quiet_blocked[BLK_EVENT] + ST.quiet_blocked[BLK_COND] + ST.quiet_blocked[BLK_QGET] +
                  ST.quiet_blocked[BLK_QPUT] >
              0);
    }
}

static const struct test_case cases[] = {
    TEST(t_random_schedule),
};

int main(int argc, char **argv)
{
    return run_tests(argc, argv, cases, NCASES(cases));
}
