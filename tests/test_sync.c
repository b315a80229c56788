/* Synchronization: Lock, Event, Condition, Semaphore, BoundedSemaphore and
 * Barrier — asyncio's semantics, including the cancellation corners.
 *
 * Every ordering asserted here was first observed on CPython's asyncio with
 * the equivalent program (3.11, 3.12 and 3.13 agree except where a comment
 * says "3.13": the Condition's hand-on of a cancelled notification).  A
 * waiter task logs what it saw; the main task drives the scenario one loop
 * iteration at a time with cio_sleep(0). */
#include "harness.h"

#include <stdarg.h>
#include <stdint.h>

/* ---------------------------------------------------------------- helpers */

static void logfmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logfmt(const char *fmt, ...)
{
    char buf[96];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    log_event(buf);
}

static cio_task_t *spawn(cio_coro_fn *fn, void *arg)
{
    cio_task_t *t = NULL;
    int rc = cio_loop_create_task(cio_future_get_loop(cio_current_task()), fn, arg, NULL, &t);
    if (rc < 0)
        FAILF("cio_loop_create_task: %s", cio_err_name(rc));
    return t;
}

/* Await t with a generous limit, so that a lost wake-up fails the case
 * instead of hanging it; drop the reference; return the task's outcome.
 * When the wait itself fails (out of memory), t is cancelled and awaited:
 * it never outlives the caller's frame. */
static int finish(cio_task_t *t)
{
    if (!t)
        return -EINVAL;
    int rc = cio_wait_for(t, 10.0, NULL);
    if (rc == -ETIMEDOUT)
        FAILF("task %s did not finish within 10 s (a lost wake-up?)", cio_task_get_name(t));
    reap_tasks(&t, 1);
    return rc;
}

/* After the first steps: a task already done could not start (out of
 * memory), and its partners would wait for it forever.  Reports it: 1 if
 * so. */
static int ended_early(cio_task_t *const *ts, int n)
{
    for (int i = 0; i < n; i++)
        if (ts[i] && cio_future_done(ts[i]) == 1) {
            FAILF("task %d ended early: %s", i, cio_err_name(cio_future_exception(ts[i])));
            return 1;
        }
    return 0;
}

/* Let the loop run up to n iterations until *flag reaches want. */
static void run_until(const int *flag, int want, int n)
{
    for (int i = 0; i < n && *flag < want; i++)
        cio_sleep(0);
}

static int body_log(void *arg, void **result)
{
    log_event(arg);
    return 0;
}

static const char *outcome(int rc)
{
    return rc == 0 ? "" : rc == -ECANCELED ? "-cancelled" : rc == CIO_EBROKENBARRIER ? "-broken" : "-error";
}

/* =================================================================== Lock */

/* How many tasks believe they hold the lock under test right now. */
static int holders;

struct lock_user {
    cio_lock_t *lock;
    const char *name;
    int nsleep; /* iterations spent inside the critical section */
    int rc;     /* what acquire returned */
};

static int body_lock_user(void *arg, void **result)
{
    struct lock_user *u = arg;
    int rc = u->rc = cio_lock_acquire(u->lock);
    if (rc < 0) {
        logfmt("%s%s", u->name, outcome(rc));
        return rc;
    }
    holders++;
    CHECK_INT(holders, 1); /* never held twice */
    CHECK_INT(cio_lock_locked(u->lock), 1);
    log_event(u->name);
    for (int i = 0; i < u->nsleep; i++)
        cio_sleep(0);
    holders--;
    CHECK_RC(cio_lock_release(u->lock), 0);
    return 0;
}

static cio_lock_t static_lock = CIO_LOCK_INIT;

static int m_lock_basics(void *arg, void **result)
{
    cio_lock_t *l = &static_lock;
    CHECK_INT(cio_lock_locked(l), 0);
    CHECK_RC(cio_lock_release(l), CIO_EINVALSTATE); /* "Lock is not acquired." */
    cio_task_t *b = spawn(body_log, "b");
    CHECK_RC(cio_lock_acquire(l), 0); /* free: no suspension, b has not run */
    log_event("acquired");
    CHECK_INT(cio_lock_locked(l), 1);
    CHECK_RC(cio_lock_try_acquire(l), -EAGAIN); /* not reentrant */
    CHECK_RC(cio_lock_release(l), 0);
    CHECK_INT(cio_lock_locked(l), 0);
    CHECK_RC(cio_lock_release(l), CIO_EINVALSTATE);
    CHECK_INT(cio_lock_locked(l), 0);
    CHECK_RC(cio_lock_try_acquire(l), 0);
    CHECK_INT(cio_lock_locked(l), 1);
    CHECK_RC(cio_lock_release(l), 0);
    CHECK_RC(finish(b), 0);

    /* cio_lock_init on garbage storage gives a free lock. */
    cio_lock_t l2;
    memset(&l2, 0xA5, sizeof l2);
    CHECK_RC(cio_lock_init(&l2), 0);
    CHECK_INT(cio_lock_locked(&l2), 0);
    CHECK_RC(cio_lock_acquire(&l2), 0);
    CHECK_INT(cio_lock_locked(&l2), 1);
    CHECK_RC(cio_lock_release(&l2), 0);
    return 0;
}

static void t_lock_basics(void)
{
    CHECK_RC(cio_run(m_lock_basics, NULL, NULL), 0);
    CHECK_ORDER("acquired b");
}

/* Releases wake the waiters in FIFO order; a newcomer that arrives while
 * the lock is free but promised to a waiter queues behind all of them.
 * asyncio: "locked=0 w1 w2 w3 n end-locked=0". */
static int m_lock_fifo(void *arg, void **result)
{
    cio_lock_t l;
    cio_lock_init(&l);
    CHECK_RC(cio_lock_acquire(&l), 0);
    holders = 1;
    struct lock_user u[4] = {
        {&l, "w1", 1, 1}, {&l, "w2", 1, 1}, {&l, "w3", 1, 1}, {&l, "n", 1, 1},
    };
    cio_task_t *t[4];
    for (int i = 0; i < 3; i++)
        t[i] = spawn(body_lock_user, &u[i]);
    cio_sleep(0); /* all three are queued */
    CHECK_INT(cio_lock_locked(&l), 1);
    t[3] = spawn(body_lock_user, &u[3]); /* its first step runs after the release */
    holders = 0;
    CHECK_RC(cio_lock_release(&l), 0);
    CHECK_INT(cio_lock_locked(&l), 0); /* as asyncio: free, though w1 is chosen */
    int rc = cio_lock_try_acquire(&l);
    CHECK_RC(rc, -EAGAIN); /* no barging past the queued waiters */
    if (rc == 0)
        cio_lock_release(&l);
    for (int i = 0; i < 4; i++)
        CHECK_RC(finish(t[i]), 0);
    CHECK_INT(cio_lock_locked(&l), 0);
    CHECK_RC(cio_lock_try_acquire(&l), 0);
    CHECK_RC(cio_lock_release(&l), 0);
    return 0;
}

static void t_lock_fifo_no_barging(void)
{
    CHECK_RC(cio_run(m_lock_fifo, NULL, NULL), 0);
    CHECK_ORDER("w1 w2 w3 n");
}

/* One waiter, chosen by release() and not yet run: the chosen waiter is no
 * longer in any queue, yet a newcomer must still not take the lock.
 * asyncio: "locked=0 w1 n". */
static int m_lock_single_waiter(void *arg, void **result)
{
    cio_lock_t l;
    cio_lock_init(&l);
    CHECK_RC(cio_lock_acquire(&l), 0);
    holders = 1;
    struct lock_user w = {&l, "w1", 0, 1}, n = {&l, "n", 0, 1};
    cio_task_t *tw = spawn(body_lock_user, &w);
    cio_sleep(0);
    holders = 0;
    CHECK_RC(cio_lock_release(&l), 0);
    CHECK_INT(cio_lock_locked(&l), 0);
    int rc = cio_lock_try_acquire(&l);
    CHECK_RC(rc, -EAGAIN);
    if (rc == 0)
        cio_lock_release(&l);
    cio_task_t *tn = spawn(body_lock_user, &n);
    CHECK_RC(finish(tw), 0);
    CHECK_RC(finish(tn), 0);
    CHECK_INT(cio_lock_locked(&l), 0);
    return 0;
}

static void t_lock_chosen_waiter_not_overtaken(void)
{
    CHECK_RC(cio_run(m_lock_single_waiter, NULL, NULL), 0);
    CHECK_ORDER("w1 n");
}

/* A waiter cancelled while queued leaves the queue; the lock stays with its
 * holder.  asyncio: "w2-cancelled locked=1 w1 w3". */
static int m_lock_cancel_queued(void *arg, void **result)
{
    cio_lock_t l;
    cio_lock_init(&l);
    CHECK_RC(cio_lock_acquire(&l), 0);
    holders = 1;
    struct lock_user u[3] = {{&l, "w1", 1, 1}, {&l, "w2", 1, 1}, {&l, "w3", 1, 1}};
    cio_task_t *t[3];
    for (int i = 0; i < 3; i++)
        t[i] = spawn(body_lock_user, &u[i]);
    cio_sleep(0);
    CHECK_INT(cio_task_cancel(t[1], NULL), 1);
    cio_sleep(0);
    CHECK_INT(cio_future_done(t[1]), 1);
    CHECK_INT(cio_future_cancelled(t[1]), 1);
    CHECK_INT(cio_lock_locked(&l), 1); /* still ours */
    holders = 0;
    CHECK_RC(cio_lock_release(&l), 0);
    CHECK_RC(finish(t[0]), 0);
    CHECK_RC(finish(t[1]), -ECANCELED);
    CHECK_RC(finish(t[2]), 0);
    CHECK_RC(u[1].rc, -ECANCELED);
    CHECK_INT(cio_lock_locked(&l), 0);
    return 0;
}

static void t_lock_cancel_queued_waiter(void)
{
    CHECK_RC(cio_run(m_lock_cancel_queued, NULL, NULL), 0);
    CHECK_ORDER("w2-cancelled w1 w3");
}

/* A waiter cancelled after release() chose it, before it ran: its acquire
 * returns -ECANCELED without the lock, which passes to the next waiter; a
 * newcomer still queues behind.  With a single waiter the lock ends free.
 * asyncio: "w1-cancelled w2 n end-locked=0 s-cancelled locked=0". */
static int m_lock_cancel_chosen(void *arg, void **result)
{
    cio_lock_t l;
    cio_lock_init(&l);
    CHECK_RC(cio_lock_acquire(&l), 0);
    holders = 1;
    struct lock_user u[3] = {{&l, "w1", 1, 1}, {&l, "w2", 1, 1}, {&l, "n", 1, 1}};
    cio_task_t *t[3];
    t[0] = spawn(body_lock_user, &u[0]);
    t[1] = spawn(body_lock_user, &u[1]);
    cio_sleep(0);
    holders = 0;
    CHECK_RC(cio_lock_release(&l), 0);       /* w1 is chosen... */
    CHECK_INT(cio_task_cancel(t[0], NULL), 1); /* ...and cancelled before it runs */
    t[2] = spawn(body_lock_user, &u[2]);
    CHECK_RC(finish(t[0]), -ECANCELED);
    CHECK_RC(u[0].rc, -ECANCELED);
    CHECK_RC(finish(t[1]), 0);
    CHECK_RC(finish(t[2]), 0);
    CHECK_INT(cio_lock_locked(&l), 0);

    CHECK_RC(cio_lock_acquire(&l), 0);
    holders = 1;
    struct lock_user s = {&l, "s", 0, 1};
    cio_task_t *ts = spawn(body_lock_user, &s);
    cio_sleep(0);
    holders = 0;
    CHECK_RC(cio_lock_release(&l), 0);
    CHECK_INT(cio_task_cancel(ts, NULL), 1);
    CHECK_RC(finish(ts), -ECANCELED);
    CHECK_INT(cio_lock_locked(&l), 0); /* not lost to the cancelled waiter */
    CHECK_RC(cio_lock_try_acquire(&l), 0);
    CHECK_RC(cio_lock_release(&l), 0);
    return 0;
}

static void t_lock_cancel_chosen_waiter_hands_on(void)
{
    CHECK_RC(cio_run(m_lock_cancel_chosen, NULL, NULL), 0);
    CHECK_ORDER("w1-cancelled w2 n s-cancelled");
}

/* Any task or callback may release. */
static int cb_release_lock(void *arg)
{
    log_event("cb-release");
    CHECK_RC(cio_lock_release(arg), 0);
    return 0;
}

static int m_lock_release_from_callback(void *arg, void **result)
{
    cio_loop_t *loop = NULL;
    CHECK_RC(cio_get_running_loop(&loop), 0);
    cio_lock_t l;
    cio_lock_init(&l);
    CHECK_RC(cio_lock_acquire(&l), 0);
    struct lock_user w = {&l, "w", 0, 1};
    cio_task_t *t = spawn(body_lock_user, &w);
    REQ(t);
    cio_sleep(0);
    REQ_RC(cio_call_soon(loop, cb_release_lock, &l, NULL));
    CHECK_RC(finish(t), 0);
    CHECK_INT(cio_lock_locked(&l), 0);
    return 0;
out:
    reap_tasks(&t, 1);
    return 0;
}

static void t_lock_release_from_callback(void)
{
    holders = 0;
    CHECK_RC(cio_run(m_lock_release_from_callback, NULL, NULL), 0);
    CHECK_ORDER("cb-release w");
}

/* ================================================================== Event */

struct ev_waiter {
    cio_event_t *ev;
    const char *name;
    int rc;
    int set_seen; /* is_set() when it resumed */
};

static int body_event_waiter(void *arg, void **result)
{
    struct ev_waiter *w = arg;
    w->rc = cio_event_wait(w->ev);
    w->set_seen = cio_event_is_set(w->ev);
    logfmt("%s%s", w->name, outcome(w->rc));
    return w->rc;
}

static cio_event_t static_event = CIO_EVENT_INIT;

static int m_event_basics(void *arg, void **result)
{
    cio_event_t *e = &static_event;
    CHECK_INT(cio_event_is_set(e), 0);
    CHECK_RC(cio_event_set(e), 0);
    CHECK_INT(cio_event_is_set(e), 1);
    CHECK_RC(cio_event_set(e), 0); /* idempotent */
    CHECK_INT(cio_event_is_set(e), 1);
    cio_task_t *b = spawn(body_log, "b");
    CHECK_RC(cio_event_wait(e), 0); /* set: returns at once, b has not run */
    log_event("after-wait");
    CHECK_RC(finish(b), 0);
    CHECK_RC(cio_event_clear(e), 0);
    CHECK_INT(cio_event_is_set(e), 0);
    CHECK_RC(cio_event_clear(e), 0);
    CHECK_INT(cio_event_is_set(e), 0);

    cio_event_t e2;
    memset(&e2, 0xA5, sizeof e2);
    CHECK_RC(cio_event_init(&e2), 0);
    CHECK_INT(cio_event_is_set(&e2), 0);
    return 0;
}

static void t_event_basics(void)
{
    CHECK_RC(cio_run(m_event_basics, NULL, NULL), 0);
    CHECK_ORDER("after-wait b"); /* asyncio: "after-wait b" */
}

/* set() wakes every waiter; they resume in later iterations in the order
 * they began waiting, after a task created just before set().
 * asyncio: "set early w1 w2 w3". */
static int m_event_set_order(void *arg, void **result)
{
    cio_event_t e;
    cio_event_init(&e);
    struct ev_waiter w[3] = {{&e, "w1", 1, 0}, {&e, "w2", 1, 0}, {&e, "w3", 1, 0}};
    cio_task_t *t[3];
    for (int i = 0; i < 3; i++)
        t[i] = spawn(body_event_waiter, &w[i]);
    cio_sleep(0);
    cio_sleep(0);
    for (int i = 0; i < 3; i++)
        CHECK_INT(cio_future_done(t[i]), 0);
    cio_task_t *early = spawn(body_log, "early");
    CHECK_RC(cio_event_set(&e), 0);
    log_event("set"); /* the waiters resume in a later iteration */
    for (int i = 0; i < 3; i++) {
        CHECK_RC(finish(t[i]), 0);
        CHECK_INT(w[i].set_seen, 1);
    }
    CHECK_RC(finish(early), 0);
    return 0;
}

static void t_event_set_wakes_all_in_order(void)
{
    CHECK_RC(cio_run(m_event_set_order, NULL, NULL), 0);
    CHECK_ORDER("set early w1 w2 w3");
}

/* clear() right after set() does not take back the wake-ups; a later
 * waiter waits for the next set(). */
static int m_event_clear(void *arg, void **result)
{
    cio_event_t e;
    cio_event_init(&e);
    struct ev_waiter w[3] = {{&e, "w1", 1, 1}, {&e, "w2", 1, 1}, {&e, "w3", 1, 1}};
    cio_task_t *t[3];
    t[0] = spawn(body_event_waiter, &w[0]);
    t[1] = spawn(body_event_waiter, &w[1]);
    cio_sleep(0);
    CHECK_RC(cio_event_set(&e), 0);
    CHECK_RC(cio_event_clear(&e), 0);
    CHECK_RC(finish(t[0]), 0);
    CHECK_RC(finish(t[1]), 0);
    CHECK_INT(w[0].set_seen, 0); /* woken, though the flag was cleared */
    CHECK_INT(w[1].set_seen, 0);
    t[2] = spawn(body_event_waiter, &w[2]);
    for (int i = 0; i < 5; i++)
        cio_sleep(0);
    CHECK_INT(cio_future_done(t[2]), 0);
    log_event("set2");
    CHECK_RC(cio_event_set(&e), 0);
    CHECK_RC(finish(t[2]), 0);
    CHECK_INT(w[2].set_seen, 1);
    return 0;
}

static void t_event_clear_keeps_woken_waiters(void)
{
    CHECK_RC(cio_run(m_event_clear, NULL, NULL), 0);
    CHECK_ORDER("w1 w2 set2 w3");
}

/* A waiter cancelled while waiting leaves; one cancelled after set() woke
 * it, before it ran, still gets the cancellation (asyncio raises
 * CancelledError there too).  asyncio: "w2-cancelled w1 w3-cancelled". */
static int m_event_cancel(void *arg, void **result)
{
    cio_event_t e;
    cio_event_init(&e);
    struct ev_waiter w[3] = {{&e, "w1", 1, 0}, {&e, "w2", 1, 0}, {&e, "w3", 1, 0}};
    cio_task_t *t[3];
    for (int i = 0; i < 3; i++)
        t[i] = spawn(body_event_waiter, &w[i]);
    cio_sleep(0);
    CHECK_INT(cio_task_cancel(t[1], NULL), 1);
    cio_sleep(0);
    CHECK_INT(cio_future_done(t[1]), 1);
    CHECK_INT(cio_future_done(t[0]), 0);
    CHECK_RC(cio_event_set(&e), 0);
    CHECK_INT(cio_task_cancel(t[2], NULL), 1);
    CHECK_RC(cio_event_clear(&e), 0);
    CHECK_RC(finish(t[0]), 0);
    CHECK_RC(finish(t[1]), -ECANCELED);
    CHECK_RC(finish(t[2]), -ECANCELED);
    CHECK_RC(w[1].rc, -ECANCELED);
    CHECK_RC(w[2].rc, -ECANCELED);
    return 0;
}

static void t_event_cancel_waiter(void)
{
    CHECK_RC(cio_run(m_event_cancel, NULL, NULL), 0);
    CHECK_ORDER("w2-cancelled w1 w3-cancelled");
}

/* ============================================================== Condition */

struct cond_waiter {
    cio_cond_t *c;
    const char *name;
    int log_wait;      /* log "<name>-wait" before waiting */
    int rc;            /* what wait returned */
    int locked_after;  /* cio_cond_locked() when wait returned */
    int *woke;         /* counter bumped when wait returned, or NULL */
};

static int body_cond_waiter(void *arg, void **result)
{
    struct cond_waiter *w = arg;
    int rc = cio_cond_acquire(w->c);
    if (rc < 0)
        return rc;
    holders++;
    if (w->log_wait)
        logfmt("%s-wait", w->name);
    holders--;
    rc = w->rc = cio_cond_wait(w->c);
    holders++;
    CHECK_INT(holders, 1);
    w->locked_after = cio_cond_locked(w->c);
    logfmt("%s%s", w->name, rc == 0 ? "-woke" : outcome(rc));
    if (w->woke)
        (*w->woke)++;
    holders--;
    CHECK_RC(cio_cond_release(w->c), 0);
    return rc;
}

static int pred_false(void *arg)
{
    return 0;
}

static int m_cond_requires_lock(void *arg, void **result)
{
    cio_cond_t c;
    CHECK_RC(cio_cond_init(&c, NULL), 0);
    CHECK_INT(cio_cond_locked(&c), 0);
    CHECK_RC(cio_cond_wait(&c), CIO_EINVALSTATE);
    CHECK_RC(cio_cond_wait_for(&c, pred_false, NULL), CIO_EINVALSTATE);
    CHECK_RC(cio_cond_notify(&c, 1), CIO_EINVALSTATE);
    CHECK_RC(cio_cond_notify_all(&c), CIO_EINVALSTATE);
    CHECK_RC(cio_cond_release(&c), CIO_EINVALSTATE);
    CHECK_INT(cio_cond_locked(&c), 0);
    CHECK_RC(cio_cond_acquire(&c), 0);
    CHECK_INT(cio_cond_locked(&c), 1);
    CHECK_RC(cio_cond_notify(&c, -1), -EINVAL);
    CHECK_RC(cio_cond_notify(&c, 1), 0); /* nobody waits */
    CHECK_RC(cio_cond_notify(&c, 0), 0);
    CHECK_RC(cio_cond_notify_all(&c), 0);
    CHECK_INT(cio_cond_locked(&c), 1);
    CHECK_RC(cio_cond_release(&c), 0);
    CHECK_INT(cio_cond_locked(&c), 0);
    return 0;
}

static void t_cond_requires_lock(void)
{
    CHECK_RC(cio_run(m_cond_requires_lock, NULL, NULL), 0);
}

/* notify(2) wakes the first two, who return only once the notifier has
 * released the lock; notify_all the rest.  asyncio: "w1-wait w2-wait
 * w3-wait w4-wait notified release w1-woke w2-woke notify-all w3-woke
 * w4-woke". */
static int m_cond_notify(void *arg, void **result)
{
    cio_cond_t c;
    cio_cond_init(&c, NULL);
    int woke = 0;
    struct cond_waiter w[4] = {
        {&c, "w1", 1, 1, 0, &woke}, {&c, "w2", 1, 1, 0, &woke},
        {&c, "w3", 1, 1, 0, &woke}, {&c, "w4", 1, 1, 0, &woke},
    };
    cio_task_t *t[4];
    for (int i = 0; i < 4; i++)
        t[i] = spawn(body_cond_waiter, &w[i]);
    cio_sleep(0);
    CHECK_INT(cio_cond_locked(&c), 0); /* every waiter released it */
    CHECK_RC(cio_cond_acquire(&c), 0);
    CHECK_RC(cio_cond_notify(&c, 2), 2);
    log_event("notified");
    for (int i = 0; i < 5; i++)
        cio_sleep(0); /* we hold the lock: nobody returns */
    CHECK_INT(woke, 0);
    CHECK_INT(cio_future_done(t[0]), 0);
    log_event("release");
    CHECK_RC(cio_cond_release(&c), 0);
    run_until(&woke, 2, 50);
    for (int i = 0; i < 5; i++)
        cio_sleep(0);
    CHECK_INT(woke, 2); /* only the two notified */
    CHECK_INT(cio_future_done(t[2]), 0);
    log_event("notify-all");
    CHECK_RC(cio_cond_acquire(&c), 0);
    CHECK_RC(cio_cond_notify_all(&c), 2);
    CHECK_RC(cio_cond_notify(&c, 5), 0); /* already notified: not counted again */
    CHECK_RC(cio_cond_release(&c), 0);
    for (int i = 0; i < 4; i++) {
        CHECK_RC(finish(t[i]), 0);
        CHECK_INT(w[i].locked_after, 1);
    }
    CHECK_INT(cio_cond_locked(&c), 0);
    return 0;
}

static void t_cond_notify_n_fifo_after_release(void)
{
    holders = 0;
    CHECK_RC(cio_run(m_cond_notify, NULL, NULL), 0);
    CHECK_ORDER("w1-wait w2-wait w3-wait w4-wait notified release w1-woke w2-woke notify-all w3-woke w4-woke");
}

/* Cancelled while waiting for a notify: wait still re-acquires the lock
 * before returning -ECANCELED, so it returns only after the holder lets go.
 * asyncio: "done=0 released w-cancelled-locked=1". */
static int m_cond_cancel_waiting(void *arg, void **result)
{
    cio_cond_t c;
    cio_cond_init(&c, NULL);
    struct cond_waiter w = {&c, "w", 0, 1, 0, NULL};
    cio_task_t *t = spawn(body_cond_waiter, &w);
    cio_sleep(0);
    CHECK_RC(cio_cond_acquire(&c), 0);
    holders++;
    CHECK_INT(cio_task_cancel(t, NULL), 1);
    for (int i = 0; i < 5; i++)
        cio_sleep(0);
    CHECK_INT(cio_future_done(t), 0); /* it needs the lock we hold */
    log_event("released");
    holders--;
    CHECK_RC(cio_cond_release(&c), 0);
    CHECK_RC(finish(t), -ECANCELED);
    CHECK_RC(w.rc, -ECANCELED);
    CHECK_INT(w.locked_after, 1); /* returned with the lock held */
    CHECK_INT(cio_cond_locked(&c), 0);
    return 0;
}

static void t_cond_wait_cancelled_reacquires_lock(void)
{
    holders = 0;
    CHECK_RC(cio_run(m_cond_cancel_waiting, NULL, NULL), 0);
    CHECK_ORDER("released w-cancelled");
}

/* Notified, then cancelled while it waits to re-acquire the lock: it still
 * takes the lock before it returns -ECANCELED.  asyncio: "done=0 released
 * w-cancelled-locked=1". */
static int m_cond_cancel_reacquire(void *arg, void **result)
{
    cio_cond_t c;
    cio_cond_init(&c, NULL);
    struct cond_waiter w = {&c, "w", 0, 1, 0, NULL};
    cio_task_t *t = spawn(body_cond_waiter, &w);
    cio_sleep(0);
    CHECK_RC(cio_cond_acquire(&c), 0);
    holders++;
    CHECK_RC(cio_cond_notify(&c, 1), 1);
    cio_sleep(0); /* w is woken and now waits for the lock */
    cio_sleep(0);
    CHECK_INT(cio_task_cancel(t, NULL), 1);
    for (int i = 0; i < 5; i++)
        cio_sleep(0);
    CHECK_INT(cio_future_done(t), 0);
    log_event("released");
    holders--;
    CHECK_RC(cio_cond_release(&c), 0);
    CHECK_RC(finish(t), -ECANCELED);
    CHECK_RC(w.rc, -ECANCELED);
    CHECK_INT(w.locked_after, 1);
    CHECK_INT(cio_cond_locked(&c), 0);
    return 0;
}

static void t_cond_cancel_during_reacquire(void)
{
    holders = 0;
    CHECK_RC(cio_run(m_cond_cancel_reacquire, NULL, NULL), 0);
    CHECK_ORDER("released w-cancelled");
}

/* 3.13: a waiter cancelled after notify() chose it passes the notification
 * to the next waiter — one, not all.  asyncio 3.13: "w1-cancelled w2-woke
 * w3-done=0 w3-woke" (3.11/3.12 lose the notification: w2 hangs). */
static int m_cond_cancel_notified(void *arg, void **result)
{
    cio_cond_t c;
    cio_cond_init(&c, NULL);
    struct cond_waiter w[3] = {{&c, "w1", 0, 1, 0, NULL}, {&c, "w2", 0, 1, 0, NULL}, {&c, "w3", 0, 1, 0, NULL}};
    cio_task_t *t[3];
    for (int i = 0; i < 3; i++)
        t[i] = spawn(body_cond_waiter, &w[i]);
    cio_sleep(0);
    CHECK_RC(cio_cond_acquire(&c), 0);
    CHECK_RC(cio_cond_notify(&c, 1), 1);
    CHECK_INT(cio_task_cancel(t[0], NULL), 1);
    CHECK_RC(cio_cond_release(&c), 0);
    CHECK_RC(finish(t[0]), -ECANCELED);
    CHECK_INT(w[0].locked_after, 1);
    CHECK_RC(finish(t[1]), 0); /* the notification went on to w2 */
    for (int i = 0; i < 5; i++)
        cio_sleep(0);
    CHECK_INT(cio_future_done(t[2]), 0); /* and only to w2 */
    CHECK_RC(cio_cond_acquire(&c), 0);
    CHECK_RC(cio_cond_notify_all(&c), 1);
    CHECK_RC(cio_cond_release(&c), 0);
    CHECK_RC(finish(t[2]), 0);
    CHECK_INT(cio_cond_locked(&c), 0);
    return 0;
}

static void t_cond_cancelled_after_notify_passes_it_on(void)
{
    holders = 0;
    CHECK_RC(cio_run(m_cond_cancel_notified, NULL, NULL), 0);
    CHECK_ORDER("w1-cancelled w2-woke w3-woke");
}

/* wait_for(predicate): checked first, then after every wake-up, always
 * with the lock held; returns the predicate's value. */
struct wf_state {
    cio_cond_t *c;
    int count;   /* the shared state */
    int calls;   /* predicate calls */
    int bad_lock; /* predicate called without the lock */
    int rc;
    int ret;     /* what a constant predicate returns */
};

static int pred_count_ge3(void *arg)
{
    struct wf_state *s = arg;
    s->calls++;
    if (cio_cond_locked(s->c) != 1)
        s->bad_lock++;
    return s->count >= 3 ? 42 : 0;
}

static int pred_const(void *arg)
{
    struct wf_state *s = arg;
    s->calls++;
    return s->ret;
}

static int body_wait_for(void *arg, void **result)
{
    struct wf_state *s = arg;
    int rc = cio_cond_acquire(s->c);
    if (rc < 0)
        return rc;
    rc = s->rc = cio_cond_wait_for(s->c, pred_count_ge3, s);
    CHECK_INT(cio_cond_locked(s->c), 1);
    logfmt("wf=%d", rc);
    cio_cond_release(s->c);
    return rc < 0 ? rc : 0;
}

static int m_cond_wait_for(void *arg, void **result)
{
    cio_cond_t c;
    cio_cond_init(&c, NULL);
    struct wf_state s = {.c = &c};
    cio_task_t *t = spawn(body_wait_for, &s);
    cio_sleep(0);
    CHECK_INT(s.calls, 1);
    for (int k = 1; k <= 3; k++) {
        CHECK_RC(cio_cond_acquire(&c), 0);
        s.count = k;
        logfmt("count=%d", k);
        CHECK_RC(cio_cond_notify_all(&c), 1);
        CHECK_RC(cio_cond_release(&c), 0);
        run_until(&s.calls, k + 1, 50);
    }
    CHECK_RC(finish(t), 0);
    CHECK_RC(s.rc, 42);
    CHECK_INT(s.calls, 4); /* once at first, once per wake-up */
    CHECK_INT(s.bad_lock, 0);

    /* True at once: no wait at all (b has not run when it returns). */
    struct wf_state k = {.c = &c, .ret = 7};
    cio_task_t *b = spawn(body_log, "b");
    CHECK_RC(cio_cond_acquire(&c), 0);
    CHECK_RC(cio_cond_wait_for(&c, pred_const, &k), 7);
    log_event("at-once");
    CHECK_INT(cio_cond_locked(&c), 1);
    /* A negative value is the predicate's error, returned as is. */
    k.ret = -EIO;
    CHECK_RC(cio_cond_wait_for(&c, pred_const, &k), -EIO);
    CHECK_INT(cio_cond_locked(&c), 1);
    CHECK_INT(k.calls, 2);
    CHECK_RC(cio_cond_release(&c), 0);
    CHECK_RC(finish(b), 0);
    return 0;
}

static void t_cond_wait_for_predicate(void)
{
    CHECK_RC(cio_run(m_cond_wait_for, NULL, NULL), 0);
    CHECK_ORDER("count=1 count=2 count=3 wf=42 at-once b");
}

/* wait_for cancelled: -ECANCELED, with the lock held again. */
static int m_cond_wait_for_cancel(void *arg, void **result)
{
    cio_cond_t c;
    cio_cond_init(&c, NULL);
    struct wf_state s = {.c = &c};
    cio_task_t *t = spawn(body_wait_for, &s);
    cio_sleep(0);
    CHECK_INT(cio_task_cancel(t, NULL), 1);
    CHECK_RC(finish(t), -ECANCELED);
    CHECK_RC(s.rc, -ECANCELED);
    CHECK_INT(cio_cond_locked(&c), 0); /* the body released it */
    return 0;
}

static void t_cond_wait_for_cancelled(void)
{
    CHECK_RC(cio_run(m_cond_wait_for_cancel, NULL, NULL), 0);
    CHECK_ORDER("wf=-125");
}

/* Two conditions over one cio_lock_t: the lock operations are the same
 * lock, the notifications are separate. */
static int m_cond_shared_lock(void *arg, void **result)
{
    cio_lock_t l;
    cio_lock_init(&l);
    cio_cond_t c1, c2;
    CHECK_RC(cio_cond_init(&c1, &l), 0);
    CHECK_RC(cio_cond_init(&c2, &l), 0);
    CHECK_RC(cio_cond_acquire(&c1), 0);
    CHECK_INT(cio_lock_locked(&l), 1);
    CHECK_INT(cio_cond_locked(&c2), 1);
    CHECK_RC(cio_lock_try_acquire(&l), -EAGAIN);
    CHECK_RC(cio_lock_release(&l), 0);
    CHECK_INT(cio_cond_locked(&c1), 0);
    CHECK_INT(cio_cond_locked(&c2), 0);
    CHECK_RC(cio_lock_acquire(&l), 0);
    CHECK_RC(cio_cond_release(&c2), 0);
    CHECK_INT(cio_lock_locked(&l), 0);

    struct cond_waiter w1 = {&c1, "c1", 0, 1, 0, NULL}, w2 = {&c2, "c2", 0, 1, 0, NULL};
    cio_task_t *t1 = spawn(body_cond_waiter, &w1);
    cio_task_t *t2 = spawn(body_cond_waiter, &w2);
    cio_sleep(0);
    CHECK_INT(cio_lock_locked(&l), 0);
    CHECK_RC(cio_lock_acquire(&l), 0);
    CHECK_RC(cio_cond_notify(&c2, 5), 1); /* only c2's waiter */
    CHECK_RC(cio_lock_release(&l), 0);
    CHECK_RC(finish(t2), 0);
    for (int i = 0; i < 5; i++)
        cio_sleep(0);
    CHECK_INT(cio_future_done(t1), 0);
    CHECK_RC(cio_lock_acquire(&l), 0);
    CHECK_RC(cio_cond_notify(&c1, 1), 1);
    CHECK_RC(cio_lock_release(&l), 0);
    CHECK_RC(finish(t1), 0);
    CHECK_INT(w1.locked_after, 1);
    CHECK_INT(w2.locked_after, 1);
    CHECK_INT(cio_lock_locked(&l), 0);
    return 0;
}

static void t_cond_shared_lock(void)
{
    holders = 0;
    CHECK_RC(cio_run(m_cond_shared_lock, NULL, NULL), 0);
    CHECK_ORDER("c2-woke c1-woke");
}

static cio_cond_t static_cond = CIO_COND_INIT;

static int m_cond_static_init(void *arg, void **result)
{
    cio_cond_t *c = &static_cond;
    CHECK_INT(cio_cond_locked(c), 0);
    struct cond_waiter w = {c, "w", 0, 1, 0, NULL};
    cio_task_t *t = spawn(body_cond_waiter, &w);
    cio_sleep(0);
    CHECK_RC(cio_cond_acquire(c), 0);
    CHECK_INT(cio_cond_locked(c), 1);
    CHECK_RC(cio_cond_notify(c, 1), 1);
    log_event("notified");
    CHECK_RC(cio_cond_release(c), 0);
    CHECK_RC(finish(t), 0);
    CHECK_INT(w.locked_after, 1);
    CHECK_INT(cio_cond_locked(c), 0);
    return 0;
}

static void t_cond_static_initializer(void)
{
    holders = 0;
    CHECK_RC(cio_run(m_cond_static_init, NULL, NULL), 0);
    CHECK_ORDER("notified w-woke");
}

/* ============================================================== Semaphore */

struct sem_user {
    cio_sem_t *s;
    const char *name;
    int reacquire; /* release and acquire again once inside */
    int keep;      /* keep the unit (never release) */
    int rc;
};

static int body_sem_user(void *arg, void **result)
{
    struct sem_user *u = arg;
    int rc = u->rc = cio_sem_acquire(u->s);
    if (rc < 0) {
        logfmt("%s%s", u->name, outcome(rc));
        return rc;
    }
    log_event(u->name);
    if (u->keep)
        return 0;
    if (u->reacquire) {
        CHECK_RC(cio_sem_release(u->s), 0);
        CHECK_INT(cio_sem_locked(u->s), 1); /* the unit went to the next waiter */
        rc = cio_sem_acquire(u->s);
        CHECK_RC(rc, 0);
        logfmt("%s-again", u->name);
    }
    cio_sleep(0);
    CHECK_RC(cio_sem_release(u->s), 0);
    return 0;
}

static cio_sem_t static_sem = CIO_SEM_INIT(3);

static int m_sem_basics(void *arg, void **result)
{
    cio_sem_t s;
    CHECK_RC(cio_sem_init(&s, -1), -EINVAL);
    CHECK_RC(cio_bounded_sem_init(&s, -1), -EINVAL);
    CHECK_RC(cio_sem_init(&s, 2), 0);
    CHECK_INT(cio_sem_value(&s), 2);
    CHECK_INT(cio_sem_locked(&s), 0);
    CHECK_RC(cio_sem_try_acquire(&s), 0);
    CHECK_INT(cio_sem_value(&s), 1);
    cio_task_t *b = spawn(body_log, "b");
    CHECK_RC(cio_sem_acquire(&s), 0); /* a unit is free: no suspension */
    log_event("acquired");
    CHECK_INT(cio_sem_value(&s), 0);
    CHECK_INT(cio_sem_locked(&s), 1);
    CHECK_RC(cio_sem_try_acquire(&s), -EAGAIN);
    CHECK_INT(cio_sem_value(&s), 0);
    CHECK_RC(cio_sem_release(&s), 0);
    CHECK_RC(cio_sem_release(&s), 0);
    CHECK_RC(cio_sem_release(&s), 0); /* above the initial value: allowed */
    CHECK_INT(cio_sem_value(&s), 3);
    CHECK_INT(cio_sem_locked(&s), 0);
    CHECK_RC(finish(b), 0);

    CHECK_RC(cio_sem_init(&s, 0), 0);
    CHECK_INT(cio_sem_value(&s), 0);
    CHECK_INT(cio_sem_locked(&s), 1);
    CHECK_RC(cio_sem_try_acquire(&s), -EAGAIN);

    CHECK_INT(cio_sem_value(&static_sem), 3);
    CHECK_RC(cio_sem_acquire(&static_sem), 0);
    CHECK_INT(cio_sem_value(&static_sem), 2);
    CHECK_RC(cio_sem_release(&static_sem), 0);
    CHECK_RC(cio_sem_release(&static_sem), 0); /* CIO_SEM_INIT is unbounded */
    CHECK_INT(cio_sem_value(&static_sem), 4);
    return 0;
}

static void t_sem_basics(void)
{
    CHECK_RC(cio_run(m_sem_basics, NULL, NULL), 0);
    CHECK_ORDER("acquired b");
}

/* FIFO acquisition; a task that releases and re-acquires queues behind the
 * waiters.  asyncio: "value=0 locked=1 w1 w2 w3 w1-again value=1". */
static int m_sem_fifo(void *arg, void **result)
{
    cio_sem_t s;
    cio_sem_init(&s, 1);
    CHECK_RC(cio_sem_acquire(&s), 0);
    struct sem_user u[3] = {{&s, "w1", 1, 0, 1}, {&s, "w2", 0, 0, 1}, {&s, "w3", 0, 0, 1}};
    cio_task_t *t[3];
    for (int i = 0; i < 3; i++)
        t[i] = spawn(body_sem_user, &u[i]);
    cio_sleep(0);
    CHECK_INT(cio_sem_locked(&s), 1);
    CHECK_RC(cio_sem_release(&s), 0);
    CHECK_INT(cio_sem_value(&s), 0); /* the unit is w1's already */
    CHECK_INT(cio_sem_locked(&s), 1);
    int rc = cio_sem_try_acquire(&s);
    CHECK_RC(rc, -EAGAIN);
    if (rc == 0)
        cio_sem_release(&s);
    for (int i = 0; i < 3; i++)
        CHECK_RC(finish(t[i]), 0);
    CHECK_INT(cio_sem_value(&s), 1);
    CHECK_INT(cio_sem_locked(&s), 0);
    return 0;
}

static void t_sem_fifo_reacquire_queues_behind(void)
{
    CHECK_RC(cio_run(m_sem_fifo, NULL, NULL), 0);
    CHECK_ORDER("w1 w2 w3 w1-again");
}

/* Cancelled waiters: a queued one leaves; one chosen by release() hands its
 * unit to the next waiter, or back to the semaphore.  asyncio: "w2-cancelled
 * w1 w3" and "value=0 w1-cancelled w2 value=0 w3-cancelled value=1
 * locked=0". */
static int m_sem_cancel(void *arg, void **result)
{
    cio_sem_t s;
    cio_sem_init(&s, 0);
    struct sem_user q[3] = {{&s, "q1", 0, 1, 1}, {&s, "q2", 0, 1, 1}, {&s, "q3", 0, 1, 1}};
    cio_task_t *t[3];
    for (int i = 0; i < 3; i++)
        t[i] = spawn(body_sem_user, &q[i]);
    cio_sleep(0);
    CHECK_INT(cio_task_cancel(t[1], NULL), 1);
    cio_sleep(0);
    CHECK_INT(cio_future_done(t[1]), 1);
    CHECK_INT(cio_sem_value(&s), 0);
    CHECK_RC(cio_sem_release(&s), 0);
    CHECK_RC(cio_sem_release(&s), 0);
    CHECK_RC(finish(t[0]), 0);
    CHECK_RC(finish(t[1]), -ECANCELED);
    CHECK_RC(finish(t[2]), 0);
    CHECK_INT(cio_sem_value(&s), 0); /* both units are kept by q1, q3 */

    struct sem_user c[3] = {{&s, "c1", 0, 1, 1}, {&s, "c2", 0, 1, 1}, {&s, "c3", 0, 1, 1}};
    t[0] = spawn(body_sem_user, &c[0]);
    t[1] = spawn(body_sem_user, &c[1]);
    cio_sleep(0);
    CHECK_RC(cio_sem_release(&s), 0);          /* c1 is chosen... */
    CHECK_INT(cio_task_cancel(t[0], NULL), 1); /* ...and cancelled before it runs */
    CHECK_INT(cio_sem_value(&s), 0);
    CHECK_RC(finish(t[0]), -ECANCELED);
    CHECK_RC(c[0].rc, -ECANCELED);
    CHECK_RC(finish(t[1]), 0); /* c2 got c1's unit */
    CHECK_INT(cio_sem_value(&s), 0);
    t[2] = spawn(body_sem_user, &c[2]);
    cio_sleep(0);
    CHECK_RC(cio_sem_release(&s), 0);
    CHECK_INT(cio_task_cancel(t[2], NULL), 1);
    CHECK_RC(finish(t[2]), -ECANCELED);
    CHECK_INT(cio_sem_value(&s), 1); /* back to the semaphore */
    CHECK_INT(cio_sem_locked(&s), 0);
    return 0;
}

static void t_sem_cancelled_waiters(void)
{
    CHECK_RC(cio_run(m_sem_cancel, NULL, NULL), 0);
    CHECK_ORDER("q2-cancelled q1 q3 c1-cancelled c2 c3-cancelled");
}

static cio_sem_t static_bsem = CIO_BOUNDED_SEM_INIT(1);

static int m_bounded_sem(void *arg, void **result)
{
    cio_sem_t s;
    CHECK_RC(cio_bounded_sem_init(&s, 2), 0);
    CHECK_INT(cio_sem_value(&s), 2);
    CHECK_RC(cio_sem_release(&s), -EOVERFLOW); /* "released too many times" */
    CHECK_INT(cio_sem_value(&s), 2);            /* nothing changed */
    CHECK_RC(cio_sem_acquire(&s), 0);
    CHECK_INT(cio_sem_value(&s), 1);
    CHECK_RC(cio_sem_release(&s), 0);
    CHECK_RC(cio_sem_release(&s), -EOVERFLOW);
    CHECK_INT(cio_sem_value(&s), 2);

    CHECK_RC(cio_bounded_sem_init(&s, 0), 0);
    CHECK_INT(cio_sem_locked(&s), 1);
    CHECK_RC(cio_sem_release(&s), -EOVERFLOW);
    CHECK_INT(cio_sem_value(&s), 0);

    cio_sem_t *b = &static_bsem;
    CHECK_INT(cio_sem_value(b), 1);
    CHECK_RC(cio_sem_release(b), -EOVERFLOW);
    CHECK_RC(cio_sem_acquire(b), 0);
    /* The unit travels through a waiter and comes back; one more release
     * is then too many. */
    struct sem_user u = {b, "w", 0, 0, 1};
    cio_task_t *t = spawn(body_sem_user, &u);
    cio_sleep(0);
    CHECK_RC(cio_sem_release(b), 0);
    CHECK_INT(cio_sem_value(b), 0);
    CHECK_RC(finish(t), 0);
    CHECK_INT(cio_sem_value(b), 1);
    CHECK_RC(cio_sem_release(b), -EOVERFLOW);
    CHECK_INT(cio_sem_value(b), 1);
    return 0;
}

static void t_bounded_sem(void)
{
    CHECK_RC(cio_run(m_bounded_sem, NULL, NULL), 0);
    CHECK_ORDER("w");
}

/* ================================================================ Barrier */

static int barrier_seq; /* global order in which barrier waits returned */

struct bar_user {
    cio_barrier_t *b;
    const char *name;
    int cycles;
    int delay;   /* iterations to let pass before the first wait */
    int idx[3];  /* index returned per cycle */
    int seq[3];  /* barrier_seq when it returned */
    int rc;      /* last outcome */
    int log;     /* log "<name>:<idx>" / "<name>-broken" */
};

static int body_barrier(void *arg, void **result)
{
    struct bar_user *u = arg;
    for (int i = 0; i < u->delay; i++)
        cio_sleep(0);
    for (int c = 0; c < u->cycles; c++) {
        int rc = u->rc = cio_barrier_wait(u->b);
        if (rc < 0) {
            if (u->log)
                logfmt("%s%s", u->name, outcome(rc));
            return rc;
        }
        u->idx[c] = rc;
        u->seq[c] = ++barrier_seq;
        if (u->log)
            logfmt("%s:%d", u->name, rc);
    }
    return 0;
}

/* Three tasks, three cycles.  Per cycle the indexes are 0, 1, 2; the task
 * that completes the barrier goes on without suspending, so it returns
 * first, and the others return in their order of arrival (asyncio: "c0:2
 * a0:0 b0:1 a1:2 b1:0 c1:1 b2:2 c2:0 a2:1"). */
static int m_barrier_cycles(void *arg, void **result)
{
    cio_barrier_t b;
    CHECK_RC(cio_barrier_init(&b, 3), 0);
    CHECK_INT(cio_barrier_parties(&b), 3);
    CHECK_INT(cio_barrier_n_waiting(&b), 0);
    CHECK_INT(cio_barrier_broken(&b), 0);
    barrier_seq = 0;
    struct bar_user u[3] = {
        {.b = &b, .name = "a", .cycles = 3},
        {.b = &b, .name = "b", .cycles = 3},
        {.b = &b, .name = "c", .cycles = 3, .delay = 2},
    };
    cio_task_t *t[3];
    for (int i = 0; i < 3; i++)
        t[i] = spawn(body_barrier, &u[i]);
    REQ(t[0] && t[1] && t[2]);
    cio_sleep(0);
    CHECK_INT(cio_barrier_n_waiting(&b), 2);
    REQ(!ended_early(t, 3));
    for (int i = 0; i < 3; i++) {
        int rc = finish(t[i]);
        t[i] = NULL;
        CHECK_RC(rc, 0);
        REQ(rc == 0); /* one lost: the others would wait for it forever */
    }
    CHECK_INT(cio_barrier_n_waiting(&b), 0);
    CHECK_INT(cio_barrier_broken(&b), 0);
    /* Cycle 0: arrival order a, b, c. */
    CHECK_INT(u[0].idx[0], 0);
    CHECK_INT(u[1].idx[0], 1);
    CHECK_INT(u[2].idx[0], 2);
    for (int c = 0; c < 3; c++) {
        int by_idx[3] = {-1, -1, -1};
        for (int i = 0; i < 3; i++)
            if (u[i].idx[c] >= 0 && u[i].idx[c] < 3)
                by_idx[u[i].idx[c]] = i;
        if (by_idx[0] < 0 || by_idx[1] < 0 || by_idx[2] < 0) {
            FAILF("cycle %d: indexes %d %d %d are not 0, 1, 2", c, u[0].idx[c], u[1].idx[c], u[2].idx[c]);
            continue;
        }
        int s0 = u[by_idx[0]].seq[c], s1 = u[by_idx[1]].seq[c], s2 = u[by_idx[2]].seq[c];
        if (!(s2 < s0 && s0 < s1))
            FAILF("cycle %d: returns in order idx2 #%d, idx0 #%d, idx1 #%d; expected 2, 0, 1", c, s2, s0, s1);
    }
out:
    reap_tasks(t, 3);
    return 0;
}

static void t_barrier_cycles(void)
{
    CHECK_RC(cio_run(m_barrier_cycles, NULL, NULL), 0);
}

/* reset(): the tasks waiting now get -CIO_EBROKENBARRIER, the barrier is
 * empty and usable again.  asyncio: "nw=2 after-reset nw=0 broken=0
 * t0-broken t1-broken u2:2 u0:0 u1:1". */
static int m_barrier_reset(void *arg, void **result)
{
    cio_barrier_t b;
    CHECK_RC(cio_barrier_init(&b, 3), 0);
    struct bar_user u[5] = {
        {.b = &b, .name = "t0", .cycles = 1, .log = 1}, {.b = &b, .name = "t1", .cycles = 1, .log = 1},
        {.b = &b, .name = "u0", .cycles = 1, .log = 1}, {.b = &b, .name = "u1", .cycles = 1, .log = 1},
        {.b = &b, .name = "u2", .cycles = 1, .log = 1},
    };
    cio_task_t *t[5];
    t[0] = spawn(body_barrier, &u[0]);
    t[1] = spawn(body_barrier, &u[1]);
    cio_sleep(0);
    CHECK_INT(cio_barrier_n_waiting(&b), 2);
    CHECK_RC(cio_barrier_reset(&b), 0);
    CHECK_INT(cio_barrier_n_waiting(&b), 0);
    CHECK_INT(cio_barrier_broken(&b), 0);
    CHECK_RC(finish(t[0]), CIO_EBROKENBARRIER);
    CHECK_RC(finish(t[1]), CIO_EBROKENBARRIER);
    CHECK_INT(cio_barrier_broken(&b), 0);
    CHECK_INT(cio_barrier_n_waiting(&b), 0);
    for (int i = 2; i < 5; i++)
        t[i] = spawn(body_barrier, &u[i]);
    for (int i = 2; i < 5; i++)
        CHECK_RC(finish(t[i]), 0);
    CHECK_RC(cio_barrier_reset(&b), 0); /* nobody waits: harmless */
    CHECK_INT(cio_barrier_n_waiting(&b), 0);
    return 0;
}

static void t_barrier_reset_breaks_current_waiters(void)
{
    CHECK_RC(cio_run(m_barrier_reset, NULL, NULL), 0);
    CHECK_ORDER("t0-broken t1-broken u2:2 u0:0 u1:1");
}

/* abort(): current and later waits fail until reset().  asyncio:
 * "broken=1 t0-broken m-broken broken=0 u1:1 u0:0". */
static int m_barrier_abort(void *arg, void **result)
{
    cio_barrier_t b;
    CHECK_RC(cio_barrier_init(&b, 2), 0);
    struct bar_user u[3] = {
        {.b = &b, .name = "t0", .cycles = 1, .log = 1},
        {.b = &b, .name = "u0", .cycles = 1, .log = 1},
        {.b = &b, .name = "u1", .cycles = 1, .log = 1},
    };
    cio_task_t *t = spawn(body_barrier, &u[0]);
    cio_sleep(0);
    CHECK_INT(cio_barrier_n_waiting(&b), 1);
    CHECK_RC(cio_barrier_abort(&b), 0);
    CHECK_INT(cio_barrier_broken(&b), 1);
    CHECK_RC(finish(t), CIO_EBROKENBARRIER);
    int rc = cio_barrier_wait(&b); /* at once, without suspending */
    CHECK_RC(rc, CIO_EBROKENBARRIER);
    log_event(rc == CIO_EBROKENBARRIER ? "m-broken" : "m-other");
    CHECK_RC(cio_barrier_wait(&b), CIO_EBROKENBARRIER);
    CHECK_INT(cio_barrier_broken(&b), 1);
    CHECK_INT(cio_barrier_n_waiting(&b), 0);
    CHECK_RC(cio_barrier_reset(&b), 0);
    CHECK_INT(cio_barrier_broken(&b), 0);
    cio_task_t *t0 = spawn(body_barrier, &u[1]);
    cio_task_t *t1 = spawn(body_barrier, &u[2]);
    CHECK_RC(finish(t0), 0);
    CHECK_RC(finish(t1), 0);
    CHECK_INT(cio_barrier_broken(&b), 0);
    return 0;
}

static void t_barrier_abort(void)
{
    CHECK_RC(cio_run(m_barrier_abort, NULL, NULL), 0);
    CHECK_ORDER("t0-broken m-broken u1:1 u0:0");
}

/* A cancelled waiter leaves without breaking the barrier: the cycle fills
 * up with the next arrivals.  asyncio: "t0-cancelled nw=1 broken=0 t3:2
 * t1:1 t2:1" (asyncio hands t1 and t2 the same index there; only the range
 * and the last arrival's index are asserted). */
static int m_barrier_cancel(void *arg, void **result)
{
    cio_barrier_t b;
    CHECK_RC(cio_barrier_init(&b, 3), 0);
    struct bar_user u[4] = {
        {.b = &b, .name = "t0", .cycles = 1}, {.b = &b, .name = "t1", .cycles = 1},
        {.b = &b, .name = "t2", .cycles = 1}, {.b = &b, .name = "t3", .cycles = 1},
    };
    barrier_seq = 0;
    cio_task_t *t[4];
    t[0] = spawn(body_barrier, &u[0]);
    t[1] = spawn(body_barrier, &u[1]);
    cio_sleep(0);
    CHECK_INT(cio_barrier_n_waiting(&b), 2);
    CHECK_INT(cio_task_cancel(t[0], NULL), 1);
    CHECK_RC(finish(t[0]), -ECANCELED);
    CHECK_RC(u[0].rc, -ECANCELED);
    CHECK_INT(cio_barrier_n_waiting(&b), 1);
    CHECK_INT(cio_barrier_broken(&b), 0);
    t[2] = spawn(body_barrier, &u[2]);
    t[3] = spawn(body_barrier, &u[3]);
    for (int i = 1; i < 4; i++)
        CHECK_RC(finish(t[i]), 0);
    CHECK_INT(u[3].idx[0], 2);
    CHECK(u[1].idx[0] >= 0 && u[1].idx[0] <= 1);
    CHECK(u[2].idx[0] >= 0 && u[2].idx[0] <= 1);
    CHECK(u[3].seq[0] < u[1].seq[0] && u[1].seq[0] < u[2].seq[0]);
    CHECK_INT(cio_barrier_n_waiting(&b), 0);
    CHECK_INT(cio_barrier_broken(&b), 0);
    return 0;
}

static void t_barrier_cancelled_waiter_leaves(void)
{
    CHECK_RC(cio_run(m_barrier_cancel, NULL, NULL), 0);
}

static int m_barrier_single(void *arg, void **result)
{
    cio_barrier_t b;
    CHECK_RC(cio_barrier_init(&b, 0), -EINVAL);
    CHECK_RC(cio_barrier_init(&b, -3), -EINVAL);
    CHECK_RC(cio_barrier_init(&b, 1), 0);
    CHECK_INT(cio_barrier_parties(&b), 1);
    cio_task_t *t = spawn(body_log, "b");
    for (int i = 0; i < 3; i++)
        CHECK_RC(cio_barrier_wait(&b), 0); /* trips at once, every time */
    log_event("passed");
    CHECK_INT(cio_barrier_n_waiting(&b), 0);
    CHECK_RC(finish(t), 0);
    return 0;
}

static void t_barrier_bad_parties_and_single(void)
{
    CHECK_RC(cio_run(m_barrier_single, NULL, NULL), 0);
    CHECK_ORDER("passed b");
}

/* ============================================================= bad input */

static int pred_true(void *arg)
{
    return 1;
}

static int m_null_objects(void *arg, void **result)
{
    CHECK_RC(cio_lock_init(NULL), -EINVAL);
    CHECK_RC(cio_lock_acquire(NULL), -EINVAL);
    CHECK_RC(cio_lock_try_acquire(NULL), -EINVAL);
    CHECK_RC(cio_lock_release(NULL), -EINVAL);
    CHECK_RC(cio_lock_locked(NULL), -EINVAL);

    CHECK_RC(cio_event_init(NULL), -EINVAL);
    CHECK_RC(cio_event_wait(NULL), -EINVAL);
    CHECK_RC(cio_event_set(NULL), -EINVAL);
    CHECK_RC(cio_event_clear(NULL), -EINVAL);
    CHECK_RC(cio_event_is_set(NULL), -EINVAL);

    CHECK_RC(cio_cond_init(NULL, NULL), -EINVAL);
    CHECK_RC(cio_cond_acquire(NULL), -EINVAL);
    CHECK_RC(cio_cond_release(NULL), -EINVAL);
    CHECK_RC(cio_cond_locked(NULL), -EINVAL);
    CHECK_RC(cio_cond_wait(NULL), -EINVAL);
    CHECK_RC(cio_cond_wait_for(NULL, pred_true, NULL), -EINVAL);
    CHECK_RC(cio_cond_notify(NULL, 1), -EINVAL);
    CHECK_RC(cio_cond_notify_all(NULL), -EINVAL);
    cio_cond_t c;
    CHECK_RC(cio_cond_init(&c, NULL), 0);
    CHECK_RC(cio_cond_acquire(&c), 0);
    CHECK_RC(cio_cond_wait_for(&c, NULL, NULL), -EINVAL); /* no predicate */
    CHECK_INT(cio_cond_locked(&c), 1);
    CHECK_RC(cio_cond_release(&c), 0);

    CHECK_RC(cio_sem_init(NULL, 1), -EINVAL);
    CHECK_RC(cio_bounded_sem_init(NULL, 1), -EINVAL);
    CHECK_RC(cio_sem_acquire(NULL), -EINVAL);
    CHECK_RC(cio_sem_try_acquire(NULL), -EINVAL);
    CHECK_RC(cio_sem_release(NULL), -EINVAL);
    CHECK_RC(cio_sem_locked(NULL), -EINVAL);
    CHECK_RC(cio_sem_value(NULL), -EINVAL);

    CHECK_RC(cio_barrier_init(NULL, 2), -EINVAL);
    CHECK_RC(cio_barrier_wait(NULL), -EINVAL);
    CHECK_RC(cio_barrier_reset(NULL), -EINVAL);
    CHECK_RC(cio_barrier_abort(NULL), -EINVAL);
    CHECK_RC(cio_barrier_parties(NULL), -EINVAL);
    CHECK_RC(cio_barrier_n_waiting(NULL), -EINVAL);
    CHECK_RC(cio_barrier_broken(NULL), -EINVAL);
    return 0;
}

static void t_null_objects(void)
{
    CHECK_RC(cio_run(m_null_objects, NULL, NULL), 0);
}

/* Storage never initialized: zeroed, or filled with garbage.  Every call
 * refuses it (inside a task, so that no wait could block instead). */
static void check_uninitialized(int fill)
{
    cio_lock_t l;
    cio_event_t e;
    cio_cond_t c;
    cio_sem_t s;
    cio_barrier_t b;
    memset(&l, fill, sizeof l);
    memset(&e, fill, sizeof e);
    memset(&c, fill, sizeof c);
    memset(&s, fill, sizeof s);
    memset(&b, fill, sizeof b);

    CHECK_RC(cio_lock_acquire(&l), -EINVAL);
    CHECK_RC(cio_lock_try_acquire(&l), -EINVAL);
    CHECK_RC(cio_lock_release(&l), -EINVAL);
    CHECK_RC(cio_lock_locked(&l), -EINVAL);

    CHECK_RC(cio_event_wait(&e), -EINVAL);
    CHECK_RC(cio_event_set(&e), -EINVAL);
    CHECK_RC(cio_event_clear(&e), -EINVAL);
    CHECK_RC(cio_event_is_set(&e), -EINVAL);

    CHECK_RC(cio_cond_acquire(&c), -EINVAL);
    CHECK_RC(cio_cond_release(&c), -EINVAL);
    CHECK_RC(cio_cond_locked(&c), -EINVAL);
    CHECK_RC(cio_cond_wait(&c), -EINVAL);
    CHECK_RC(cio_cond_wait_for(&c, pred_true, NULL), -EINVAL);
    CHECK_RC(cio_cond_notify(&c, 1), -EINVAL);
    CHECK_RC(cio_cond_notify_all(&c), -EINVAL);
    cio_cond_t c2;
    CHECK_RC(cio_cond_init(&c2, &l), -EINVAL); /* over a lock never initialized */

    CHECK_RC(cio_sem_acquire(&s), -EINVAL);
    CHECK_RC(cio_sem_try_acquire(&s), -EINVAL);
    CHECK_RC(cio_sem_release(&s), -EINVAL);
    CHECK_RC(cio_sem_locked(&s), -EINVAL);
    CHECK_RC(cio_sem_value(&s), -EINVAL);

    CHECK_RC(cio_barrier_wait(&b), -EINVAL);
    CHECK_RC(cio_barrier_reset(&b), -EINVAL);
    CHECK_RC(cio_barrier_abort(&b), -EINVAL);
    CHECK_RC(cio_barrier_parties(&b), -EINVAL);
    CHECK_RC(cio_barrier_n_waiting(&b), -EINVAL);
    CHECK_RC(cio_barrier_broken(&b), -EINVAL);
}

static int m_uninitialized(void *arg, void **result)
{
    check_uninitialized(0);
    check_uninitialized(0xA5);
    check_uninitialized(0xFF);
    /* One kind of object for another (the same size): refused by its magic. */
    cio_event_t e = CIO_EVENT_INIT;
    cio_lock_t l = CIO_LOCK_INIT;
    CHECK_RC(cio_lock_locked((cio_lock_t *)(void *)&e), -EINVAL);
    CHECK_RC(cio_lock_try_acquire((cio_lock_t *)(void *)&e), -EINVAL);
    CHECK_RC(cio_event_set((cio_event_t *)(void *)&l), -EINVAL);
    CHECK_RC(cio_event_is_set((cio_event_t *)(void *)&l), -EINVAL);
    CHECK_INT(cio_event_is_set(&e), 0);
    CHECK_INT(cio_lock_locked(&l), 0);
    return 0;
}

static void t_uninitialized_objects(void)
{
    CHECK_RC(cio_run(m_uninitialized, NULL, NULL), 0);
}

/* A wait that would block, outside a task: -CIO_ENOTASK, and nothing
 * changes.  The calls that never wait work anywhere. */
static void check_outside_task(void)
{
    cio_lock_t l;
    CHECK_RC(cio_lock_init(&l), 0);
    CHECK_RC(cio_lock_try_acquire(&l), 0);
    CHECK_RC(cio_lock_acquire(&l), CIO_ENOTASK);
    CHECK_INT(cio_lock_locked(&l), 1);

    cio_cond_t c;
    CHECK_RC(cio_cond_init(&c, &l), 0); /* over the lock we hold */
    CHECK_RC(cio_cond_wait(&c), CIO_ENOTASK);
    CHECK_INT(cio_cond_locked(&c), 1); /* not released on the way out */
    CHECK_RC(cio_cond_wait_for(&c, pred_false, NULL), CIO_ENOTASK);
    CHECK_INT(cio_cond_locked(&c), 1);
    CHECK_RC(cio_cond_notify(&c, 1), 0);
    CHECK_RC(cio_cond_notify_all(&c), 0);
    CHECK_RC(cio_lock_release(&l), 0);
    CHECK_INT(cio_lock_locked(&l), 0);

    cio_event_t e;
    CHECK_RC(cio_event_init(&e), 0);
    CHECK_RC(cio_event_wait(&e), CIO_ENOTASK);
    CHECK_RC(cio_event_set(&e), 0);
    CHECK_INT(cio_event_is_set(&e), 1);
    CHECK_RC(cio_event_clear(&e), 0);

    cio_sem_t s;
    CHECK_RC(cio_sem_init(&s, 0), 0);
    CHECK_RC(cio_sem_acquire(&s), CIO_ENOTASK);
    CHECK_INT(cio_sem_value(&s), 0);
    CHECK_RC(cio_sem_release(&s), 0);
    CHECK_INT(cio_sem_value(&s), 1);
    CHECK_RC(cio_sem_try_acquire(&s), 0);
    CHECK_INT(cio_sem_value(&s), 0);

    cio_barrier_t b;
    CHECK_RC(cio_barrier_init(&b, 2), 0);
    CHECK_RC(cio_barrier_wait(&b), CIO_ENOTASK);
    CHECK_INT(cio_barrier_n_waiting(&b), 0);
    CHECK_INT(cio_barrier_parties(&b), 2);
}

struct cb_ctx {
    cio_loop_t *loop;
    int ran;
};

static int cb_outside_task(void *arg)
{
    struct cb_ctx *x = arg;
    CHECK(cio_current_task() == NULL);
    check_outside_task();
    x->ran = 1;
    cio_loop_stop(x->loop);
    return 0;
}

static void t_wait_outside_task(void)
{
    check_outside_task(); /* plain main, no loop at all */
    cio_loop_t *loop = new_loop();
    struct cb_ctx x = {loop, 0};
    REQ_RC(cio_call_soon(loop, cb_outside_task, &x, NULL));
    CHECK_RC(cio_loop_run_forever(loop), 0); /* inside a loop callback */
    CHECK_INT(x.ran, 1);
out:
    free_loop(loop);
}

/* An object with waiters of one loop refuses waiters of another. */
struct two_loops {
    cio_event_t ev;
    cio_lock_t lock;
};

static int body_tl_holder(void *arg, void **result)
{
    struct two_loops *w = arg;
    int rc = cio_lock_acquire(&w->lock);
    if (rc < 0)
        return rc;
    log_event("holder");
    rc = cio_event_wait(&w->ev);
    cio_lock_release(&w->lock);
    return rc;
}

static int body_tl_waiter(void *arg, void **result)
{
    struct two_loops *w = arg;
    int rc = cio_lock_acquire(&w->lock);
    if (rc < 0)
        return rc;
    log_event("waiter");
    return cio_lock_release(&w->lock);
}

static int m_tl_other_loop(void *arg, void **result)
{
    struct two_loops *w = arg;
    CHECK_RC(cio_event_wait(&w->ev), CIO_EWRONGLOOP);
    CHECK_RC(cio_lock_acquire(&w->lock), CIO_EWRONGLOOP);
    CHECK_INT(cio_event_is_set(&w->ev), 0);
    CHECK_INT(cio_lock_locked(&w->lock), 1);
    log_event("refused");
    return 0;
}

static int cb_set_event(void *arg)
{
    return cio_event_set(arg);
}

static void t_waiters_of_another_loop(void)
{
    struct two_loops w;
    cio_event_init(&w.ev);
    cio_lock_init(&w.lock);
    cio_loop_t *a = new_loop();
    cio_task_t *ts[2] = {NULL, NULL};
    REQ_RC(cio_loop_create_task(a, body_tl_holder, &w, NULL, &ts[0]));
    REQ_RC(cio_loop_create_task(a, body_tl_waiter, &w, NULL, &ts[1]));
    cio_task_t *t1 = ts[0], *t2 = ts[1];
    CHECK_RC(cio_loop_stop(a), 0);
    CHECK_RC(cio_loop_run_forever(a), 0); /* one iteration: both wait */
    CHECK_INT(cio_future_done(t1), 0);
    CHECK_INT(cio_future_done(t2), 0);
    REQ(!ended_early(ts, 2)); /* else the other loop's waits would not be refused */
    CHECK_RC(cio_run(m_tl_other_loop, &w, NULL), 0); /* a second loop */
    REQ_RC(cio_call_soon(a, cb_set_event, &w.ev, NULL));
    CHECK_RC(cio_loop_run_until_complete(a, t2, NULL), 0);
    CHECK_RC(cio_loop_run_until_complete(a, t1, NULL), 0);
    CHECK_INT(cio_lock_locked(&w.lock), 0);
out:
    reap_tasks_on_loop(a, ts, 2);
    free_loop(a);
    CHECK_ORDER("holder refused waiter");
}

/* ================================================================ stress */

#define STRESS_N TEST_CROWD(10000)

static struct stress {
    cio_lock_t lock;
    cio_sem_t sem;
    int use_sem, cap;   /* a semaphore of value cap, else the lock */
    int cancel;         /* cancel waiters at random */
    int inside, max_inside, release_errors;
    int nacq;           /* acquisitions so far */
    int order[STRESS_N]; /* who acquired, in order */
    unsigned char got[STRESS_N], cancelled[STRESS_N], sleeps[STRESS_N];
    uint32_t rng;
} S;

static uint32_t rnd(void)
{
    uint32_t x = S.rng;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return S.rng = x;
}

static int body_stress(void *arg, void **result)
{
    int i = (int)(intptr_t)arg;
    int rc = S.use_sem ? cio_sem_acquire(&S.sem) : cio_lock_acquire(&S.lock);
    if (rc < 0)
        return rc;
    S.inside++;
    if (S.inside > S.max_inside)
        S.max_inside = S.inside;
    S.got[i]++;
    S.order[S.nacq++] = i;
    int out = 0;
    for (int k = 0; k < S.sleeps[i] && out == 0; k++)
        out = cio_sleep(0);
    S.inside--;
    if ((S.use_sem ? cio_sem_release(&S.sem) : cio_lock_release(&S.lock)) != 0)
        S.release_errors++;
    return out;
}

static int m_stress(void *arg, void **result)
{
    cio_task_t **ts = calloc(STRESS_N, sizeof *ts);
    if (!ts)
        return -ENOMEM;
    int n = 0;
    for (; n < STRESS_N; n++) {
        ts[n] = cio_create_task(body_stress, (void *)(intptr_t)n);
        if (!ts[n]) {
            FAILF("cio_create_task failed at %d", n);
            break;
        }
    }
    if (S.cancel) {
        int budget = STRESS_N / 10;
        for (int iter = 0; budget > 0 && iter < 100000; iter++) {
            cio_sleep(0);
            /* The next in line (often already chosen by a release), and
             * two at random. */
            for (int k = 0; k < 3 && budget > 0; k++) {
                int i = -1;
                if (k == 0) {
                    int last = S.nacq ? S.order[S.nacq - 1] : -1;
                    for (int j = last + 1; j < n && j <= last + 8; j++)
                        if (!S.cancelled[j] && !S.got[j]) {
                            i = j;
                            break;
                        }
                } else {
                    i = (int)(rnd() % (uint32_t)n);
                }
                if (i < 0 || S.cancelled[i] || cio_future_done(ts[i]))
                    continue;
                if (rnd() % 4 == 0 && k == 0)
                    continue;
                CHECK_INT(cio_task_cancel(ts[i], NULL), 1);
                S.cancelled[i] = 1;
                budget--;
            }
        }
    }
    size_t nd = 0, np = 0;
    CHECK_RC(cio_wait(ts, (size_t)n, 60.0, CIO_ALL_COMPLETED, NULL, &nd, NULL, &np), 0);
    CHECK_INT(np, 0); /* no lost wake-up */

    int bad = 0, ncancelled = 0, ngot = 0;
    for (int i = 0; i < n; i++) {
        int rc = cio_future_done(ts[i]) ? cio_future_exception(ts[i]) : CIO_EINVALSTATE;
        ncancelled += S.cancelled[i];
        ngot += S.got[i];
        int ok = S.cancelled[i] ? (rc == -ECANCELED && S.got[i] <= 1) : (rc == 0 && S.got[i] == 1);
        if (!ok && bad++ < 5)
            FAILF("task %d: outcome %s, acquired %d times, cancelled %d", i, cio_err_name(rc), S.got[i],
                  S.cancelled[i]);
    }
    CHECK_INT(bad, 0);
    CHECK_INT(ngot, S.nacq);
    /* FIFO: the queue is in creation order and a cancel only removes. */
    for (int k = 1; k < S.nacq; k++)
        if (S.order[k] <= S.order[k - 1]) {
            FAILF("acquisition %d went to task %d after task %d: not FIFO", k, S.order[k], S.order[k - 1]);
            break;
        }
    CHECK(S.max_inside <= S.cap);
    if (!S.cancel) {
        CHECK_INT(S.max_inside, S.cap);
        CHECK_INT(S.nacq, n);
        CHECK_INT(ncancelled, 0);
    } else {
        CHECK(ncancelled > 0);
        CHECK(S.nacq >= n - ncancelled);
    }
    CHECK_INT(S.inside, 0);
    CHECK_INT(S.release_errors, 0);
    if (S.use_sem) {
        CHECK_INT(cio_sem_value(&S.sem), S.cap);
        CHECK_INT(cio_sem_locked(&S.sem), 0);
    } else {
        CHECK_INT(cio_lock_locked(&S.lock), 0);
        CHECK_RC(cio_lock_try_acquire(&S.lock), 0);
        CHECK_RC(cio_lock_release(&S.lock), 0);
    }
    for (int i = 0; i < n; i++)
        cio_unref(ts[i]);
    free(ts);
    return 0;
}

static void run_stress(int use_sem, int cap, int cancel, uint32_t seed)
{
    memset(&S, 0, sizeof S);
    cio_lock_init(&S.lock);
    cio_sem_init(&S.sem, cap);
    S.use_sem = use_sem;
    S.cap = use_sem ? cap : 1;
    S.cancel = cancel;
    S.rng = seed;
    for (int i = 0; i < STRESS_N; i++)
        S.sleeps[i] = (unsigned char)(rnd() % 3);
    cio_runner_t *r = NULL;
    cio_runner_opts_t o = {.debug = -1, .stack_size = 32 * 1024};
    CHECK_RC(cio_runner_new(&o, &r), 0);
    if (!r)
        return;
    double t0 = now_s();
    CHECK_RC(cio_runner_run(r, m_stress, NULL, NULL), 0);
    CHECK(now_s() - t0 < 120.0);
    CHECK_RC(cio_runner_free(r), 0);
}

static void t_stress_lock(void)
{
    run_stress(0, 1, 0, 12345);
}

static void t_stress_lock_random_cancel(void)
{
    run_stress(0, 1, 1, 777);
}

static void t_stress_semaphore(void)
{
    run_stress(1, 5, 0, 4242);
}

static void t_stress_semaphore_random_cancel(void)
{
    run_stress(1, 5, 1, 99);
}

/* ------------------------------------------- iterations, beside a ticker */
/* How many loop iterations each wake-up takes, against a ticker that logs
 * t0..t5, one per iteration: the strings are what python3 (3.11) prints
 * for the same programs. */
static int iter_ticker(void *arg, void **result)
{
    (void)arg, (void)result;
    for (int i = 0; i < 6; i++) {
        logfmt("t%d", i);
        int rc = cio_sleep(0);
        if (rc < 0)
            return rc;
    }
    return 0;
}

struct iter_prims {
    cio_lock_t lock;
    cio_event_t event;
    cio_sem_t sem;
    cio_cond_t cond;
    cio_barrier_t barrier;
};
static struct iter_prims IP;
static int iter_which;

/* A waiter: names itself a or b, logs its name once through the primitive
 * of the current program, or name-c when cancelled there. */
static int iter_waiter(void *arg, void **result)
{
    (void)result;
    const char *name = arg;
    int rc = 0;
    switch (iter_which) {
    case 0:
    case 1:
        rc = cio_lock_acquire(&IP.lock);
        break;
    case 2:
        rc = cio_event_wait(&IP.event);
        break;
    case 3:
        rc = cio_sem_acquire(&IP.sem);
        break;
    case 4:
        if ((rc = cio_cond_acquire(&IP.cond)) == 0) {
            rc = cio_cond_wait(&IP.cond);
            cio_cond_release(&IP.cond);
        }
        break;
    case 5:
        rc = cio_barrier_wait(&IP.barrier);
        break;
    }
    if (rc < 0) {
        logfmt("%s-c", name);
        return rc;
    }
    if (iter_which == 5)
        logfmt("%s%d", name, rc);
    else
        log_event(name);
    if (iter_which <= 1)
        cio_lock_release(&IP.lock);
    return 0;
}

static int m_sync_iterations(void *arg, void **result)
{
    (void)arg, (void)result;
    cio_task_t *t = NULL, *w[2] = {NULL, NULL};
    memset(&IP, 0, sizeof IP);
    REQ_OK(cio_lock_init(&IP.lock));
    REQ_OK(cio_event_init(&IP.event));
    REQ_OK(cio_sem_init(&IP.sem, 0));
    REQ_OK(cio_cond_init(&IP.cond, NULL));
    REQ_OK(cio_barrier_init(&IP.barrier, 3));
    if (iter_which <= 1)
        REQ_OK(cio_lock_acquire(&IP.lock));
    REQ(t = spawn(iter_ticker, NULL));
    REQ_OK(cio_sleep(0));
    REQ(w[0] = spawn(iter_waiter, "a"));
    REQ(w[1] = spawn(iter_waiter, "b"));
    REQ_OK(cio_sleep(0));
    switch (iter_which) {
    case 0: /* Lock: release to two waiters */
    case 1: /* ... and the chosen one is cancelled before it runs */
        REQ_OK(cio_lock_release(&IP.lock));
        if (iter_which == 1)
            CHECK_INT(cio_task_cancel(w[0], NULL), 1);
        log_event("rel");
        break;
    case 2: /* Event.set with two waiters */
        REQ_OK(cio_event_set(&IP.event));
        log_event("set");
        break;
    case 3: /* two Semaphore releases */
        REQ_OK(cio_sem_release(&IP.sem));
        REQ_OK(cio_sem_release(&IP.sem));
        log_event("rel");
        break;
    case 4: /* Condition.notify_all */
        REQ_OK(cio_cond_acquire(&IP.cond));
        CHECK_INT(cio_cond_notify_all(&IP.cond), 2);
        log_event("notified");
        REQ_OK(cio_cond_release(&IP.cond));
        break;
    case 5: { /* the last of three parties arrives and does not wait */
        log_event("main");
        int rc = cio_barrier_wait(&IP.barrier);
        REQ_RC(rc);
        logfmt("m%d", rc);
        break;
    }
    }
    CHECK_RC(cio_await(w[0], NULL), iter_which == 1 ? -ECANCELED : 0);
    CHECK_RC(cio_await(w[1], NULL), 0);
    log_event("end");
    CHECK_RC(cio_await(t, NULL), 0);
out:
    reap_tasks(w, 2);
    reap_tasks(&t, 1);
    return 0;
}

static void t_sync_wakes_when_asyncio_does(void)
{
    static const char *want[] = {
        "t0 t1 rel t2 a t3 b end t4 t5",   "t0 t1 rel t2 a-c t3 b end t4 t5",
        "t0 t1 set t2 a b t3 end t4 t5",   "t0 t1 rel t2 a b t3 end t4 t5",
        "t0 t1 notified t2 a b t3 end t4 t5", "t0 t1 main m2 t2 a0 b1 t3 end t4 t5",
    };
    for (iter_which = 0; iter_which < (int)(sizeof want / sizeof *want); iter_which++) {
        log_reset();
        CHECK_RC(cio_run(m_sync_iterations, NULL, NULL), 0);
        CHECK_ORDER(want[iter_which]);
    }
}

static const struct test_case cases[] = {
    TEST(t_lock_basics),
    TEST(t_lock_fifo_no_barging),
    TEST(t_lock_chosen_waiter_not_overtaken),
    TEST(t_lock_cancel_queued_waiter),
    TEST(t_lock_cancel_chosen_waiter_hands_on),
    TEST(t_lock_release_from_callback),
    TEST(t_event_basics),
    TEST(t_event_set_wakes_all_in_order),
    TEST(t_event_clear_keeps_woken_waiters),
    TEST(t_event_cancel_waiter),
    TEST(t_cond_requires_lock),
    TEST(t_cond_notify_n_fifo_after_release),
    TEST(t_cond_wait_cancelled_reacquires_lock),
    TEST(t_cond_cancel_during_reacquire),
    TEST(t_cond_cancelled_after_notify_passes_it_on),
    TEST(t_cond_wait_for_predicate),
    TEST(t_cond_wait_for_cancelled),
    TEST(t_cond_shared_lock),
    TEST(t_cond_static_initializer),
    TEST(t_sem_basics),
    TEST(t_sem_fifo_reacquire_queues_behind),
    TEST(t_sem_cancelled_waiters),
    TEST(t_bounded_sem),
    TEST(t_barrier_cycles),
    TEST(t_barrier_reset_breaks_current_waiters),
    TEST(t_barrier_abort),
    TEST(t_barrier_cancelled_waiter_leaves),
    TEST(t_barrier_bad_parties_and_single),
    TEST(t_null_objects),
    TEST(t_uninitialized_objects),
    TEST(t_wait_outside_task),
    TEST(t_waiters_of_another_loop),
    TEST(t_sync_wakes_when_asyncio_does),
    TEST(t_stress_lock),
    TEST(t_stress_lock_random_cancel),
    TEST(t_stress_semaphore),
    TEST(t_stress_semaphore_random_cancel),
};

int main(int argc, char **argv)
{
    return run_tests(argc, argv, cases, NCASES(cases));
}
