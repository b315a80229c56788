/* Lock, Event, Condition, Semaphore, BoundedSemaphore, Barrier.
 *
 * Each lives in the caller's storage and follows asyncio's algorithm (Python
 * 3.12/3.13 locks.py) step for step, with one change of representation:
 * asyncio keeps a waiter's future in the deque until the waiting task runs
 * again, done or cancelled; here a waiter leaves the list as soon as it is
 * chosen (woken) or cancelled, and `nwoken` counts the chosen ones whose
 * tasks have not run yet.  Chosen waiters always form a prefix of asyncio's
 * deque, so "the first waiter is done" is `nwoken > 0` and "the first
 * waiter that is not done" is the list's head.
 */
#include "internal.h"

#include <errno.h>
#include <string.h>

/* The part every primitive starts with. */
struct sync_hdr {
    uint64_t magic;
    cio_loop_t *loop; /* loop of the current waiters */
    struct cio__wlist waiters;
    uint32_t nwoken;  /* chosen, not yet resumed */
    uint32_t flag;    /* lock: locked; event: set */
};

struct lock {
    struct sync_hdr h;
};

struct cond {
    struct sync_hdr h;
    struct lock *lock; /* NULL: own */
    struct lock own;
};

struct sem {
    struct sync_hdr h;
    int64_t value;
    int64_t bound; /* -1: unbounded */
};

enum { B_FILLING, B_DRAINING, B_RESETTING, B_BROKEN };
struct barrier {
    uint64_t magic;
    struct cond cond;
    int32_t parties, state, count, pad;
};

_Static_assert(sizeof(struct lock) <= sizeof(cio_lock_t), "cio_lock_t too small");
_Static_assert(sizeof(struct sync_hdr) <= sizeof(cio_event_t), "cio_event_t too small");
_Static_assert(sizeof(struct cond) <= sizeof(cio_cond_t), "cio_cond_t too small");
_Static_assert(sizeof(struct sem) <= sizeof(cio_sem_t), "cio_sem_t too small");
_Static_assert(sizeof(struct barrier) <= sizeof(cio_barrier_t), "cio_barrier_t too small");
/* The static initializers write these words. */
_Static_assert(offsetof(struct cond, lock) == 5 * 8 && offsetof(struct cond, own) == 6 * 8, "CIO_COND_INIT");
_Static_assert(offsetof(struct sem, value) == 5 * 8 && offsetof(struct sem, bound) == 6 * 8, "CIO_SEM_INIT");

/* --------------------------------------------------------------- waiting */

static int waiter_cancel(struct cio__task *t)
{
    struct cio__waiter *w = t->wait->obj;
    if (w->woken || !w->list)
        return 0; /* chosen, or cancelled already: delivered when it resumes */
    cio__wlist_remove(w);
    cio__task_wake(t, -ECANCELED);
    return 1;
}

int cio__waiter_suspend(struct cio__task *t, struct cio__waiter *w)
{
    int rc = cio__task_suspend(t, waiter_cancel, w);
    if (w->list) /* woken some other way: leave no dangling record */
        cio__wlist_remove(w);
    return rc;
}

static inline int hdr_idle(const struct sync_hdr *h)
{
    return !h->waiters.head && !h->nwoken;
}

/* Wait in h's list; 0 when chosen, -ECANCELED.  *woken tells whether it had
 * been chosen (a cancel after that must hand the wake-up on). */
static int hdr_wait(struct sync_hdr *h, struct cio__task *t, int *woken)
{
    struct cio__waiter w;
    cio__wlist_push(&h->waiters, &w, t);
    int rc = cio__waiter_suspend(t, &w);
    if (w.woken)
        h->nwoken--;
    *woken = w.woken;
    return rc;
}

static inline int hdr_wake_first(struct sync_hdr *h)
{
    if (!cio__wlist_wake_first(&h->waiters))
        return 0;
    h->nwoken++;
    return 1;
}

/* The common checks before a wait: a task, and waiters of its loop only. */
static inline int wait_prologue(struct sync_hdr *h, struct cio__task **t)
{
    *t = cio__tls.task;
    if (!*t)
        return CIO_ENOTASK;
    return cio__sync_loop_check(&h->loop, hdr_idle(h));
}

/* ------------------------------------------------------------------ Lock */

static inline struct lock *lock_of(const cio_lock_t *l)
{
    struct lock *k = (struct lock *)(uintptr_t)l;
    return k && k->h.magic == CIO__MAGIC_LOCK_ ? k : NULL;
}

int cio_lock_init(cio_lock_t *l)
{
    if (!l)
        return -EINVAL;
    memset(l, 0, sizeof *l);
    ((struct lock *)l)->h.magic = CIO__MAGIC_LOCK_;
    return 0;
}

/* asyncio's _wake_up_first: the first waiter, unless already chosen. */
static void lock_wake_first(struct lock *k)
{
    if (!k->h.nwoken)
        hdr_wake_first(&k->h);
}

static int lock_acquire(struct lock *k)
{
    if (!k->h.flag && hdr_idle(&k->h)) {
        k->h.flag = 1;
        return 0;
    }
    struct cio__task *t;
    int rc = wait_prologue(&k->h, &t);
    if (rc < 0)
        return rc;
    int woken;
    rc = hdr_wait(&k->h, t, &woken);
    if (rc < 0) {
        /* Chosen and then cancelled, or cancelled in the queue: if the lock
         * is free, make sure the next waiter runs. */
        if (!k->h.flag)
            lock_wake_first(k);
        return rc;
    }
    k->h.flag = 1;
    return 0;
}

static int lock_release(struct lock *k)
{
    if (!k->h.flag)
        return CIO_EINVALSTATE;
    int rc = cio__sync_loop_check(&k->h.loop, hdr_idle(&k->h));
    if (rc < 0)
        return rc;
    k->h.flag = 0;
    lock_wake_first(k);
    return 0;
}

int cio_lock_acquire(cio_lock_t *l)
{
    struct lock *k = lock_of(l);
    return k ? lock_acquire(k) : -EINVAL;
}

int cio_lock_try_acquire(cio_lock_t *l)
{
    struct lock *k = lock_of(l);
    if (!k)
        return -EINVAL;
    if (k->h.flag || !hdr_idle(&k->h))
        return -EAGAIN;
    k->h.flag = 1;
    return 0;
}

int cio_lock_release(cio_lock_t *l)
{
    struct lock *k = lock_of(l);
    return k ? lock_release(k) : -EINVAL;
}

int cio_lock_locked(const cio_lock_t *l)
{
    struct lock *k = lock_of(l);
    return k ? (int)k->h.flag : -EINVAL;
}

/* ----------------------------------------------------------------- Event */

static inline struct sync_hdr *event_of(const cio_event_t *e)
{
    struct sync_hdr *h = (struct sync_hdr *)(uintptr_t)e;
    return h && h->magic == CIO__MAGIC_EVENT_ ? h : NULL;
}

int cio_event_init(cio_event_t *e)
{
    if (!e)
        return -EINVAL;
    memset(e, 0, sizeof *e);
    ((struct sync_hdr *)e)->magic = CIO__MAGIC_EVENT_;
    return 0;
}

int cio_event_wait(cio_event_t *e)
{
    struct sync_hdr *h = event_of(e);
    if (!h)
        return -EINVAL;
    if (h->flag)
        return 0;
    struct cio__task *t;
    int rc = wait_prologue(h, &t);
    if (rc < 0)
        return rc;
    int woken;
    return hdr_wait(h, t, &woken);
}

int cio_event_set(cio_event_t *e)
{
    struct sync_hdr *h = event_of(e);
    if (!h)
        return -EINVAL;
    if (h->flag)
        return 0;
    int rc = cio__sync_loop_check(&h->loop, hdr_idle(h));
    if (rc < 0)
        return rc;
    h->flag = 1;
    while (hdr_wake_first(h)) {
    }
    return 0;
}

int cio_event_clear(cio_event_t *e)
{
    struct sync_hdr *h = event_of(e);
    if (!h)
        return -EINVAL;
    h->flag = 0;
    return 0;
}

int cio_event_is_set(const cio_event_t *e)
{
    struct sync_hdr *h = event_of(e);
    return h ? (int)h->flag : -EINVAL;
}

/* ------------------------------------------------------------- Condition */

static inline struct cond *cond_of(const cio_cond_t *c)
{
    struct cond *k = (struct cond *)(uintptr_t)c;
    return k && k->h.magic == CIO__MAGIC_COND_ ? k : NULL;
}

static inline struct lock *cond_lock(struct cond *c)
{
    return c->lock ? c->lock : &c->own;
}

static void cond_init(struct cond *c, struct lock *lock)
{
    memset(c, 0, sizeof *c);
    c->h.magic = CIO__MAGIC_COND_;
    c->own.h.magic = CIO__MAGIC_LOCK_;
    c->lock = lock;
}

int cio_cond_init(cio_cond_t *c, cio_lock_t *lock)
{
    if (!c)
        return -EINVAL;
    struct lock *k = NULL;
    if (lock && !(k = lock_of(lock)))
        return -EINVAL;
    memset(c, 0, sizeof *c);
    cond_init((struct cond *)c, k);
    return 0;
}

int cio_cond_acquire(cio_cond_t *c)
{
    struct cond *k = cond_of(c);
    return k ? lock_acquire(cond_lock(k)) : -EINVAL;
}

int cio_cond_release(cio_cond_t *c)
{
    struct cond *k = cond_of(c);
    return k ? lock_release(cond_lock(k)) : -EINVAL;
}

int cio_cond_locked(const cio_cond_t *c)
{
    struct cond *k = cond_of(c);
    return k ? (int)cond_lock(k)->h.flag : -EINVAL;
}

static int cond_notify(struct cond *c, int n)
{
    int k = 0;
    while (k < n && hdr_wake_first(&c->h))
        k++;
    return k;
}

static int cond_wait(struct cond *c)
{
    struct lock *lk = cond_lock(c);
    if (!lk->h.flag)
        return CIO_EINVALSTATE;
    struct cio__task *t;
    int rc = wait_prologue(&c->h, &t);
    if (rc == 0)
        rc = cio__sync_loop_check(&lk->h.loop, hdr_idle(&lk->h));
    if (rc < 0)
        return rc;
    lk->h.flag = 0;
    lock_wake_first(lk);
    int woken;
    int err = hdr_wait(&c->h, t, &woken);
    /* Take the lock again, even when cancelled: a cancel here only sets
     * the error returned once the lock is held. */
    while ((rc = lock_acquire(lk)) == -ECANCELED)
        err = rc;
    if (rc < 0)
        return rc; /* cannot happen from the loop's own task */
    if (err < 0) {
        /* This task may have been notified and will not act on it: wake
         * another (a spurious wake-up at worst; 3.13). */
        cond_notify(c, 1);
        return err;
    }
    return 0;
}

int cio_cond_wait(cio_cond_t *c)
{
    struct cond *k = cond_of(c);
    return k ? cond_wait(k) : -EINVAL;
}

/* Wait until pred(arg) is non-zero; returns its value or a wait's error. */
static int cond_wait_for(struct cond *c, cio_pred_fn *pred, void *arg)
{
    int r;
    while ((r = pred(arg)) == 0) {
        int rc = cond_wait(c);
        if (rc < 0)
            return rc;
    }
    return r;
}

int cio_cond_wait_for(cio_cond_t *c, cio_pred_fn *pred, void *arg)
{
    struct cond *k = cond_of(c);
    return k && pred ? cond_wait_for(k, pred, arg) : -EINVAL;
}

int cio_cond_notify(cio_cond_t *c, int n)
{
    struct cond *k = cond_of(c);
    if (!k || n < 0)
        return -EINVAL;
    if (!cond_lock(k)->h.flag)
        return CIO_EINVALSTATE;
    int rc = cio__sync_loop_check(&k->h.loop, hdr_idle(&k->h));
    return rc < 0 ? rc : cond_notify(k, n);
}

int cio_cond_notify_all(cio_cond_t *c)
{
    return cio_cond_notify(c, 0x7fffffff);
}

/* ------------------------------------------------------------- Semaphore */

static inline struct sem *sem_of(const cio_sem_t *s)
{
    struct sem *k = (struct sem *)(uintptr_t)s;
    return k && k->h.magic == CIO__MAGIC_SEM_ ? k : NULL;
}

static int sem_init(cio_sem_t *s, int value, int bounded)
{
    if (!s || value < 0)
        return -EINVAL;
    memset(s, 0, sizeof *s);
    struct sem *k = (struct sem *)s;
    k->h.magic = CIO__MAGIC_SEM_;
    k->value = value;
    k->bound = bounded ? value : -1;
    return 0;
}

int cio_sem_init(cio_sem_t *s, int value)
{
    return sem_init(s, value, 0);
}

int cio_bounded_sem_init(cio_sem_t *s, int value)
{
    return sem_init(s, value, 1);
}

/* asyncio: value == 0, or any waiter not cancelled. */
static inline int sem_locked(const struct sem *k)
{
    return k->value <= 0 || !hdr_idle(&k->h);
}

/* _wake_up_next: hand one unit to the first waiter. */
static int sem_wake_next(struct sem *k)
{
    if (!k->h.waiters.head)
        return 0;
    k->value--;
    return hdr_wake_first(&k->h);
}

int cio_sem_acquire(cio_sem_t *s)
{
    struct sem *k = sem_of(s);
    if (!k)
        return -EINVAL;
    if (!sem_locked(k)) {
        k->value--;
        return 0;
    }
    struct cio__task *t;
    int rc = wait_prologue(&k->h, &t);
    if (rc < 0)
        return rc;
    int woken;
    rc = hdr_wait(&k->h, t, &woken);
    if (rc < 0 && woken)
        k->value++; /* handed a unit it will not use */
    /* Waiters that came meanwhile had to queue: wake as many as allowed. */
    while (k->value > 0 && sem_wake_next(k)) {
    }
    return rc;
}

int cio_sem_try_acquire(cio_sem_t *s)
{
    struct sem *k = sem_of(s);
    if (!k)
        return -EINVAL;
    if (sem_locked(k))
        return -EAGAIN;
    k->value--;
    return 0;
}

int cio_sem_release(cio_sem_t *s)
{
    struct sem *k = sem_of(s);
    if (!k)
        return -EINVAL;
    if (k->bound >= 0 && k->value >= k->bound)
        return -EOVERFLOW;
    int rc = cio__sync_loop_check(&k->h.loop, hdr_idle(&k->h));
    if (rc < 0)
        return rc;
    if (k->value == INT32_MAX)
        return -EOVERFLOW;
    k->value++;
    sem_wake_next(k);
    return 0;
}

int cio_sem_locked(const cio_sem_t *s)
{
    struct sem *k = sem_of(s);
    return k ? sem_locked(k) : -EINVAL;
}

int cio_sem_value(const cio_sem_t *s)
{
    struct sem *k = sem_of(s);
    return k ? (int)k->value : -EINVAL;
}

/* --------------------------------------------------------------- Barrier */

static inline struct barrier *barrier_of(const cio_barrier_t *b)
{
    struct barrier *k = (struct barrier *)(uintptr_t)b;
    return k && k->magic == CIO__MAGIC_BARRIER_ ? k : NULL;
}

int cio_barrier_init(cio_barrier_t *b, int parties)
{
    if (!b || parties < 1)
        return -EINVAL;
    memset(b, 0, sizeof *b);
    struct barrier *k = (struct barrier *)b;
    k->magic = CIO__MAGIC_BARRIER_;
    cond_init(&k->cond, NULL);
    k->parties = parties;
    k->state = B_FILLING;
    return 0;
}

static int not_draining(void *arg)
{
    struct barrier *b = arg;
    return b->state != B_DRAINING && b->state != B_RESETTING;
}

static int not_filling(void *arg)
{
    return ((struct barrier *)arg)->state != B_FILLING;
}

/* The last task out of the barrier lets the blocked ones in. */
static void barrier_exit(struct barrier *b)
{
    if (b->count == 0) {
        if (b->state == B_RESETTING || b->state == B_DRAINING)
            b->state = B_FILLING;
        cond_notify(&b->cond, 0x7fffffff);
    }
}

int cio_barrier_wait(cio_barrier_t *bb)
{
    struct barrier *b = barrier_of(bb);
    if (!b)
        return -EINVAL;
    if (!cio__tls.task)
        return CIO_ENOTASK;
    int rc = lock_acquire(&b->cond.own);
    if (rc < 0)
        return rc;
    /* Wait while the barrier drains or resets. */
    rc = cond_wait_for(&b->cond, not_draining, b);
    if (rc > 0)
        rc = b->state == B_BROKEN ? CIO_EBROKENBARRIER : 0;
    if (rc == 0) {
        int index = b->count++;
        if (index + 1 == b->parties) {
            b->state = B_DRAINING;
            cond_notify(&b->cond, 0x7fffffff);
        } else {
            rc = cond_wait_for(&b->cond, not_filling, b);
            if (rc > 0)
                rc = b->state == B_BROKEN || b->state == B_RESETTING ? CIO_EBROKENBARRIER : 0;
        }
        b->count--;
        barrier_exit(b);
        if (rc == 0)
            rc = index;
    }
    lock_release(&b->cond.own);
    return rc;
}

int cio_barrier_reset(cio_barrier_t *bb)
{
    struct barrier *b = barrier_of(bb);
    if (!b)
        return -EINVAL;
    if (!cio__tls.task)
        return CIO_ENOTASK;
    int rc = lock_acquire(&b->cond.own);
    if (rc < 0)
        return rc;
    b->state = b->count > 0 ? B_RESETTING : B_FILLING;
    cond_notify(&b->cond, 0x7fffffff);
    lock_release(&b->cond.own);
    return 0;
}

int cio_barrier_abort(cio_barrier_t *bb)
{
    struct barrier *b = barrier_of(bb);
    if (!b)
        return -EINVAL;
    if (!cio__tls.task)
        return CIO_ENOTASK;
    int rc = lock_acquire(&b->cond.own);
    if (rc < 0)
        return rc;
    b->state = B_BROKEN;
    cond_notify(&b->cond, 0x7fffffff);
    lock_release(&b->cond.own);
    return 0;
}

int cio_barrier_parties(const cio_barrier_t *bb)
{
    struct barrier *b = barrier_of(bb);
    return b ? b->parties : -EINVAL;
}

int cio_barrier_n_waiting(const cio_barrier_t *bb)
{
    struct barrier *b = barrier_of(bb);
    if (!b)
        return -EINVAL;
    return b->state == B_FILLING ? b->count : 0;
}

int cio_barrier_broken(const cio_barrier_t *bb)
{
    struct barrier *b = barrier_of(bb);
    return b ? b->state == B_BROKEN : -EINVAL;
}
