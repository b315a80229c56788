/* Composition: gather, wait, wait_for, shield, as_completed, timeout scopes
 * and TaskGroup, built as asyncio builds them on the task's cancel count.
 *
 * They watch futures through internal done-registrations (struct cio__reg,
 * a link and a notify function) that run inside the completion and only
 * update counters and wake the waiting task through the ready queue; where
 * asyncio reports through a done callback (gather, wait, shield,
 * as_completed, TaskGroup), the notify queues the report instead.
 * Registrations that live on a waiting task's stack are removed before the
 * wait returns, so nothing ever points into a finished frame. */
#include "internal.h"

#include <errno.h>
#include <math.h>
#include <string.h>

static int check_inputs(cio_future_t *const *fs, size_t n, cio_loop_t **loop)
{
    if (n && !fs)
        return -EINVAL;
    for (size_t i = 0; i < n; i++) {
        if (cio__future_check(fs[i]))
            return -EINVAL;
        if (*loop && fs[i]->loop != *loop)
            return CIO_EWRONGLOOP;
        *loop = fs[i]->loop;
    }
    return 0;
}

static void set_timer(cio_loop_t *loop, struct cio__timer *t, int64_t when, void (*fire)(struct cio__timer *))
{
    t->when = when;
    t->fire = fire;
    cio__heap_push(&loop->timers, t);
}

/* INFINITY is asyncio's timeout=None (deadline -1: none); a timeout <= 0 is
 * a deadline already past, as asyncio's call_later(timeout): the wait still
 * sees what is done already, then times out. */
static int timeout_to_deadline(double timeout, int64_t *deadline)
{
    if (isnan(timeout))
        return -EINVAL;
    if (isinf(timeout) && timeout > 0) {
        *deadline = -1;
        return 0;
    }
    int64_t d;
    cio__double_to_ns(timeout, &d);
    int64_t now = cio__now_ns();
    *deadline = d > 0 ? now + d : now; /* >= 0: -1 means none */
    return 0;
}

/* ------------------------------------------------------------- gather */

/* One per position of the input.  A child's completion takes its outcome
 * (a result at once, while the child is at hand, so the gather can let it
 * go) and queues the slot; the slot's turn in the ready queue is asyncio's
 * _done_callback, so the gather completes when asyncio's would. */
struct gather_slot {
    union {
        struct cio__reg reg; /* on the child's done list */
        struct cio__cb cb;   /* then on the ready queue */
    };
    struct cio__gather *g;
    union {
        cio_future_t *child; /* a reference, until taken */
        void *result;        /* once taken */
    };
    int rc;        /* once taken: the outcome's code */
    uint8_t taken; /* the outcome is in result and rc; the child let go */
    uint8_t watch; /* registered: 0 for a repeat of an earlier position */
};

struct cio__gather {
    struct cio_future_s fut;
    size_t n, nunique, nfinished;
    int flags;
    int cancel_requested;
    struct gather_slot *slots; /* n */
};

static struct cio__gather *gather_of(cio_future_t *f)
{
    return cio__container_of(f, struct cio__gather, fut);
}

void cio__gather_free_parts(cio_future_t *f)
{
    struct cio__gather *g = gather_of(f);
    for (size_t i = 0; i < g->n; i++)
        if (!g->slots[i].taken)
            cio__future_unref(g->slots[i].child);
    cio__big_free(g->slots);
}

/* The outcome into the slot, and the child let go, unless the gather's
 * reference is its last: a child is never freed from inside its own
 * completion (it stays until the gather is freed). */
static void gather_take(struct gather_slot *s)
{
    cio_future_t *c = s->child;
    if (c->obj.refs > 1) {
        s->rc = cio_future_result(c, &s->result);
        s->taken = 1;
        c->obj.refs--;
    }
}

static void gather_child_run(struct cio__cb *cb)
{
    struct gather_slot *s = cio__container_of(cb, struct gather_slot, cb);
    struct cio__gather *g = s->g;
    g->nfinished++;
    cio_future_t *child = s->taken ? NULL : s->child; /* taken here: a result */
    uint8_t state = child ? child->state : CIO__RESULT;
    if (state == CIO__ERROR)
        child->retrieved = 1; /* the gather takes care of it */
    if (g->fut.state == CIO__PENDING) {
        if (!(g->flags & CIO_RETURN_EXCEPTIONS) && state != CIO__RESULT) {
            /* The first failure reaches the awaiter; siblings go on.  A child
             * cancelled on its own counts as a -ECANCELED error: the gather
             * is done with it, not cancelled. */
            char *m = child->message ? cio__strdup(child->message) : NULL;
            cio__future_complete(&g->fut, CIO__ERROR, state == CIO__CANCELLED ? -ECANCELED : child->rc, NULL, m);
        } else if (g->nfinished == g->nunique) {
            if (g->cancel_requested) /* with the last child's cancel message, as asyncio */
                cio__future_complete(&g->fut, CIO__ERROR, -ECANCELED, NULL,
                                     state == CIO__CANCELLED && child->message ? cio__strdup(child->message) : NULL);
            else
                cio__future_complete(&g->fut, CIO__RESULT, 0, NULL, NULL);
        }
    }
    if (child)
        gather_take(s);
    if (g->nfinished == g->nunique) {
        g->fut.retrieved = 1; /* the per-child outcomes are the real report */
        cio__future_unref(&g->fut); /* the registrations' reference */
    }
}

/* Inside the child's completion: a result is taken now, while the child is
 * at hand (a failure's message is read later, from the child); the slot
 * waits its turn in the ready queue. */
static void gather_child_done(struct cio__reg *reg)
{
    struct gather_slot *s = cio__container_of(reg, struct gather_slot, reg);
    if (s->child->state == CIO__RESULT)
        gather_take(s);
    s->cb.run = gather_child_run;
    cio__loop_schedule(s->g->fut.loop, &s->cb);
}

int cio__gather_cancel(cio_future_t *f, const char *msg)
{
    struct cio__gather *g = gather_of(f);
    if (f->state != CIO__PENDING)
        return 0;
    /* The children's ends reach the gather through the ready queue, after
     * this sets cancel_requested, even those the loop completes here. */
    int ret = 0;
    for (size_t i = 0; i < g->n; i++) {
        cio_future_t *c = g->slots[i].taken ? NULL : g->slots[i].child;
        int rc = c ? cio_future_cancel(c, msg) : 0;
        if (rc == -ENOMEM && msg) /* no copy of the message: cancelled without it, not left running */
            rc = cio_future_cancel(c, NULL);
        if (rc == 1)
            ret = 1;
    }
    if (ret)
        g->cancel_requested = 1;
    return ret;
}

int cio_gather_start(cio_future_t *const *aws, size_t n, int flags, cio_future_t **out)
{
    if (out)
        *out = NULL;
    if (!out || (flags & ~CIO_RETURN_EXCEPTIONS) || (n && !aws))
        return -EINVAL;
    cio_loop_t *loop = cio__tls.running;
    if (!loop && n) {
        if (cio__future_check(aws[0]))
            return -EINVAL;
        loop = aws[0]->loop;
    }
    if (!loop)
        return CIO_ENOLOOP;
    struct cio__gather *g = cio__calloc(sizeof *g);
    if (!g)
        return -ENOMEM;
    if (n && !(g->slots = n <= SIZE_MAX / sizeof *g->slots ? cio__big_alloc(n * sizeof *g->slots) : NULL)) {
        cio__free(g);
        return -ENOMEM;
    }
    /* One pass checks, references and watches the children: many children
     * are more than the caches hold, and each pass over them costs a miss
     * per child.  A child given twice is watched once: its last watch would
     * be this gather's (nothing else runs meanwhile).  A child already done
     * is watched for the moment too, so that a repeat of it is seen. */
    size_t i, ndone = 0;
    int rc = 0;
    for (i = 0; i < n; i++) {
        cio_future_t *c = aws[i];
        if (i + 8 < n)
            __builtin_prefetch(aws[i + 8], 1);
        if (cio__future_check(c)) {
            rc = -EINVAL;
            break;
        }
        if (c->loop != loop) {
            rc = CIO_EWRONGLOOP;
            break;
        }
        struct gather_slot *s = &g->slots[i];
        s->g = g;
        s->child = c;
        s->rc = 0;
        s->taken = 0;
        s->watch = 0;
        c->obj.refs++;
        struct cio__reg **pp = &c->cbs, *last = NULL;
        while (*pp)
            pp = &(last = *pp)->next;
        if (last && last->notify == gather_child_done &&
            cio__container_of(last, struct gather_slot, reg)->g == g)
            continue;
        s->watch = 1;
        s->reg.next = NULL;
        s->reg.notify = gather_child_done;
        *pp = &s->reg;
        g->nunique++;
        if (c->state != CIO__PENDING)
            ndone++;
    }
    if (rc < 0) {
        while (i-- > 0) {
            struct gather_slot *s = &g->slots[i];
            if (s->watch)
                cio__future_del_reg(s->child, &s->reg);
            s->child->obj.refs--; /* the caller's own reference remains */
        }
        cio__big_free(g->slots);
        cio__free(g);
        return rc;
    }
    cio__future_init(&g->fut, loop, CIO__MAGIC_FUTURE);
    g->fut.kind = CIO__KIND_GATHER;
    g->n = n;
    g->flags = flags;
    *out = &g->fut;
    if (g->nunique == 0) {
        cio__future_complete(&g->fut, CIO__RESULT, 0, NULL, NULL);
        return 0;
    }
    g->fut.obj.refs++; /* held until every registration has fired */
    /* A child already done is reported through the ready queue, as asyncio's
     * add_done_callback on a done future. */
    for (i = 0; ndone && i < n; i++) {
        struct gather_slot *s = &g->slots[i];
        if (s->watch && s->child->state != CIO__PENDING) {
            cio__future_del_reg(s->child, &s->reg);
            ndone--;
            gather_child_done(&s->reg);
        }
    }
    return 0;
}

int cio_gather_results(cio_future_t *f, void **results, int *rcs)
{
    if (cio__future_check(f) || f->kind != CIO__KIND_GATHER)
        return -EINVAL;
    struct cio__gather *g = gather_of(f);
    for (size_t i = 0; i < g->n; i++) {
        struct gather_slot *s = &g->slots[i];
        cio_future_t *c = s->taken ? NULL : s->child;
        void *v = c ? NULL : s->result;
        int rc = !c ? s->rc : c->state == CIO__PENDING ? CIO_EINVALSTATE : cio_future_result(c, &v);
        if (results)
            results[i] = v;
        if (rcs)
            rcs[i] = rc;
    }
    return 0;
}

int cio_gather(cio_future_t *const *aws, size_t n, void **results, int *rcs, int flags)
{
    if (!cio__tls.task)
        return CIO_ENOTASK;
    if (n == 0)
        return aws || !n ? 0 : -EINVAL;
    cio_future_t *g;
    int rc = cio_gather_start(aws, n, flags, &g);
    if (rc < 0)
        return rc;
    rc = cio_await(g, NULL);
    if (results || rcs)
        cio_gather_results(g, results, rcs);
    cio_unref(g);
    return rc;
}

int cio_gather_calls(const cio_call_t *calls, size_t n, void **results, int *rcs, int flags)
{
    if (!cio__tls.task)
        return CIO_ENOTASK;
    if (n && !calls)
        return -EINVAL;
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!calls[i].fn)
            return -EINVAL;
    cio_task_t **ts = cio__malloc(n * sizeof *ts);
    if (!ts)
        return -ENOMEM;
    cio_loop_t *loop = cio__tls.task->fut.loop;
    int rc = 0;
    size_t made = 0;
    for (; made < n; made++)
        if ((rc = cio_loop_create_task(loop, calls[made].fn, calls[made].arg, NULL, &ts[made])) < 0)
            break;
    cio_future_t *g = NULL;
    if (rc == 0)
        rc = cio_gather_start(ts, n, flags, &g);
    if (rc == 0) {
        rc = cio_await(g, NULL);
        if (results || rcs)
            cio_gather_results(g, results, rcs);
        cio_unref(g);
    } else {
        /* A call not made, or no gather to watch them: none runs (the
         * caller's arguments must not outlive this call). */
        for (size_t i = 0; i < made; i++)
            cio_task_cancel(ts[i], NULL);
    }
    for (size_t i = 0; i < made; i++)
        cio_unref(ts[i]);
    cio__free(ts);
    return rc;
}

/* --------------------------------------------------------------- wait */

/* As asyncio's _wait: a done callback on every future, queued as asyncio's
 * (_on_completion), counts and wakes the waiting task; futures already done
 * are counted through the queue too.  The callbacks may still be queued
 * when the wait returns (a timeout, a cancel, the first of several), so
 * their block outlives the call until the last has run. */
struct waitblk {
    struct cio__task *task; /* NULL once the wait has returned */
    size_t remaining, queued;
    int return_when;
    int woken;
    struct cio__timer timer;
    struct cio__fcb recs[]; /* one per position */
};

static void wait_wake(struct waitblk *w, int rc)
{
    if (w->woken)
        return;
    w->woken = 1;
    if (w->timer.idx != CIO__TIMER_NONE)
        cio__heap_remove(&w->task->fut.loop->timers, &w->timer);
    cio__task_wake(w->task, rc);
}

static void wait_run(struct cio__cb *cb)
{
    struct cio__fcb *r = cio__container_of(cb, struct cio__fcb, cb);
    struct waitblk *w = r->arg;
    w->queued--;
    if (!w->task) {
        if (w->queued == 0)
            cio__free(w); /* the last of a wait that has returned */
        return;
    }
    w->remaining--;
    if (w->remaining == 0 || w->return_when == CIO_FIRST_COMPLETED ||
        (w->return_when == CIO_FIRST_EXCEPTION && r->fut->state == CIO__ERROR))
        wait_wake(w, 0);
}

static void wait_queue(cio_loop_t *loop, struct cio__fcb *r)
{
    struct waitblk *w = r->arg;
    w->queued++;
    r->cb.run = wait_run;
    cio__loop_schedule(loop, &r->cb);
}

static void wait_notify(struct cio__reg *reg)
{
    struct cio__fcb *r = CIO__FCB(reg);
    wait_queue(r->fut->loop, r);
}

static void wait_fire(struct cio__timer *t)
{
    struct waitblk *w = cio__container_of(t, struct waitblk, timer);
    wait_wake(w, 0);
}

static int wait_cancel(struct cio__task *t)
{
    struct waitblk *w = t->wait->obj;
    if (w->woken)
        return 0;
    wait_wake(w, -ECANCELED);
    return 1;
}

int cio_wait(cio_future_t *const *fs, size_t n, double timeout, int return_when, cio_future_t **done,
             size_t *ndone, cio_future_t **pending, size_t *npending)
{
    if (ndone)
        *ndone = 0;
    if (npending)
        *npending = 0;
    if (n == 0 || !fs || return_when < CIO_FIRST_COMPLETED || return_when > CIO_ALL_COMPLETED)
        return -EINVAL;
    struct cio__task *t = cio__tls.task;
    if (!t)
        return CIO_ENOTASK;
    cio_loop_t *loop = t->fut.loop;
    int64_t deadline = -1;
    int rc = check_inputs(fs, n, &loop);
    if (rc == 0 && loop != t->fut.loop)
        rc = CIO_EWRONGLOOP;
    if (rc == 0)
        rc = timeout_to_deadline(timeout, &deadline);
    if (rc < 0)
        return rc;
    struct waitblk *w = n <= (SIZE_MAX - sizeof *w) / sizeof w->recs[0] ? cio__calloc(sizeof *w + n * sizeof w->recs[0])
                                                                       : NULL;
    if (!w || (deadline >= 0 && cio__heap_reserve(&loop->timers, 1) < 0)) {
        cio__free(w);
        return -ENOMEM;
    }
    w->task = t;
    w->return_when = return_when;
    w->remaining = n;
    w->timer.idx = CIO__TIMER_NONE;
    for (size_t i = 0; i < n; i++) {
        struct cio__fcb *r = &w->recs[i];
        r->reg.notify = wait_notify;
        r->arg = w;
        r->fut = fs[i];
        if (fs[i]->state == CIO__PENDING)
            cio__future_add_reg(fs[i], &r->reg);
        else
            wait_queue(loop, r); /* asyncio's add_done_callback on a done future */
    }
    if (deadline >= 0)
        set_timer(loop, &w->timer, deadline, wait_fire);
    rc = cio__task_suspend(t, wait_cancel, w);
    if (w->timer.idx != CIO__TIMER_NONE)
        cio__heap_remove(&loop->timers, &w->timer);
    for (size_t i = 0; i < n; i++)
        if (fs[i]->state == CIO__PENDING)
            cio__future_del_reg(fs[i], &w->recs[i].reg);
    w->task = NULL;
    if (w->queued == 0)
        cio__free(w);
    size_t nd = 0, np = 0;
    for (size_t i = 0; i < n; i++) {
        if (fs[i]->state != CIO__PENDING) {
            if (done)
                done[nd] = fs[i];
            nd++;
        } else {
            if (pending)
                pending[np] = fs[i];
            np++;
        }
    }
    if (ndone)
        *ndone = nd;
    if (npending)
        *npending = np;
    return rc < 0 ? rc : 0;
}

/* ------------------------------------------------------------- shield */

/* As asyncio's shield: an outer future of its own, so a cancel of the
 * outer (of a task awaiting it) cancels only that.  The inner's end is
 * passed to the outer by a done callback queued as asyncio's
 * (_inner_done_callback), which holds a reference to each; when the outer
 * ends first, a registration on it takes the callback off the inner
 * (_outer_done_callback) and queues the release of both. */
struct shield_link {
    struct cio__fcb r;     /* first: on the inner (fut), arg the outer */
    struct cio__reg oreg;  /* on the outer */
};

static void shield_run(struct cio__cb *cb)
{
    struct cio__fcb *r = cio__container_of(cb, struct cio__fcb, cb);
    cio_future_t *inner = r->fut, *outer = r->arg;
    if (outer->state != CIO__PENDING) {
        if (inner->state == CIO__ERROR)
            inner->retrieved = 1; /* asyncio's inner.exception(): nobody else is told */
    } else if (inner->state == CIO__CANCELLED) {
        cio__future_complete(outer, CIO__CANCELLED, -ECANCELED, NULL, NULL);
    } else if (inner->state == CIO__ERROR) {
        inner->retrieved = 1;
        char *m = inner->message ? cio__strdup(inner->message) : NULL;
        cio__future_complete(outer, CIO__ERROR, inner->rc, NULL, m);
    } else {
        cio__future_complete(outer, CIO__RESULT, 0, inner->result, NULL);
    }
    cio__free(r); /* the whole link */
    cio__future_unref(inner);
    cio__future_unref(outer);
}

static void shield_drop(struct cio__cb *cb)
{
    struct cio__fcb *r = cio__container_of(cb, struct cio__fcb, cb);
    cio_future_t *inner = r->fut, *outer = r->arg;
    cio__free(r);
    cio__future_unref(inner);
    cio__future_unref(outer);
}

/* The outer ended (inside its completion: only unlink and schedule). */
static void shield_outer_notify(struct cio__reg *reg)
{
    struct shield_link *l = cio__container_of(reg, struct shield_link, oreg);
    cio_future_t *inner = l->r.fut, *outer = l->r.arg;
    if (inner->state != CIO__PENDING)
        return; /* the inner's callback is queued, or ran: it releases the link */
    cio__future_del_reg(inner, &l->r.reg);
    l->r.cb.run = shield_drop;
    cio__loop_schedule(outer->loop, &l->r.cb);
}

static int shield_make(cio_future_t *f, cio_future_t **out)
{
    cio_future_t *outer;
    int rc = cio_loop_create_future(f->loop, &outer);
    if (rc < 0)
        return rc;
    struct shield_link *l = cio__calloc(sizeof *l);
    if (!l) {
        cio__future_unref(outer);
        return -ENOMEM;
    }
    l->r.cb.run = shield_run;
    l->r.fut = f;
    l->r.arg = outer;
    f->obj.refs++;
    outer->obj.refs++; /* the link's */
    cio__future_add_reg(f, &l->r.reg);
    l->oreg.notify = shield_outer_notify;
    cio__future_add_reg(outer, &l->oreg);
    *out = outer;
    return 0;
}

int cio_shield(cio_future_t *f, void **result)
{
    if (result)
        *result = NULL;
    int rc = cio__await_check(f);
    if (rc < 0)
        return rc;
    if (f->state != CIO__PENDING)
        return cio_future_result(f, result); /* an inner already done is returned directly */
    cio_future_t *outer;
    if ((rc = shield_make(f, &outer)) < 0)
        return rc;
    rc = cio_await(outer, result); /* a cancel of the awaiter cancels the outer only */
    cio__future_unref(outer);
    return rc;
}

int cio_shield_future(cio_future_t *f, cio_future_t **out)
{
    if (out)
        *out = NULL;
    if (cio__future_check(f) || !out)
        return -EINVAL;
    if (f->loop->closed)
        return CIO_ELOOPCLOSED;
    int rc = cio__debug_thread_check(f->loop, "cio_shield_future");
    if (rc < 0)
        return rc;
    if (f->state != CIO__PENDING) { /* asyncio returns the inner itself */
        *out = cio_ref(f);
        return 0;
    }
    return shield_make(f, out);
}

/* ------------------------------------------------------ timeout scopes */

enum { TO_ENTERED = 1, TO_EXPIRING, TO_EXPIRED, TO_EXITED };
#define CIO__TIMEOUT_MAGIC 0x54696d65u /* "Time" */

/* Whether a scope is entered is known from its task's list of entered
 * scopes (kept in the task's stack header), never from the struct's own
 * bytes: a scope's memory is often a reused stack slot, and a compiler may
 * drop the last stores to a scope that dies right after its exit. */
struct cio__timeout {
    uint32_t magic;
    uint8_t state;
    int32_t cancelling; /* the task's count on entry */
    struct cio__task *task;
    struct cio__timeout *outer; /* the next entered scope of the task */
    double when;        /* as given, on cio_loop_time()'s clock; INFINITY: none */
    struct cio__timer timer;
    cio_handle_t *soon; /* a deadline already past: call_soon'd, as asyncio */
};
_Static_assert(sizeof(struct cio__timeout) <= sizeof(cio_timeout_t), "cio_timeout_t too small");

static void timeout_fire(struct cio__timer *tm)
{
    struct cio__timeout *to = cio__container_of(tm, struct cio__timeout, timer);
    to->state = TO_EXPIRING;
    cio_task_cancel(&to->task->fut, NULL);
}

static int timeout_soon(void *arg)
{
    struct cio__timeout *to = arg;
    timeout_fire(&to->timer);
    return 0;
}

static void timeout_disarm(struct cio__timeout *to)
{
    if (to->timer.idx != CIO__TIMER_NONE)
        cio__heap_remove(&to->task->fut.loop->timers, &to->timer);
    if (to->soon) {
        cio_handle_cancel(to->soon);
        cio_unref(to->soon);
        to->soon = NULL;
    }
}

/* A deadline already past is asyncio's call_soon(_on_timeout): it fires
 * behind what is ready now, not behind the next timer phase's batch. */
static int timeout_arm(struct cio__timeout *to)
{
    cio_loop_t *loop = to->task->fut.loop;
    timeout_disarm(to);
    if (isinf(to->when) && to->when > 0)
        return 0;
    int64_t when = cio__deadline_ns(to->when);
    if (when <= cio__now_ns())
        return cio_call_soon(loop, timeout_soon, to, &to->soon);
    if (cio__heap_reserve(&loop->timers, 1) < 0)
        return -ENOMEM;
    set_timer(loop, &to->timer, when, timeout_fire);
    return 0;
}

static int timeout_enter_s(cio_timeout_t *opaque, double when)
{
    struct cio__timeout *to = (struct cio__timeout *)opaque;
    struct cio__task *t = cio__tls.task;
    if (!t)
        return CIO_ENOTASK;
    for (struct cio__timeout *s = t->stack->scopes; s; s = s->outer)
        if (s == to)
            return CIO_EINVALSTATE; /* already entered */
    memset(to, 0, sizeof *to);
    to->timer.idx = CIO__TIMER_NONE;
    to->task = t;
    to->when = when;
    to->cancelling = t->num_cancels;
    int rc = timeout_arm(to);
    if (rc < 0)
        return rc;
    to->magic = CIO__TIMEOUT_MAGIC;
    to->state = TO_ENTERED;
    to->outer = t->stack->scopes;
    t->stack->scopes = to;
    return 0;
}

/* The scope if the current task has it entered (and unlinks it if unlink). */
static struct cio__timeout *timeout_entered(cio_timeout_t *opaque, bool unlink)
{
    struct cio__task *t = cio__tls.task;
    if (!t || !opaque)
        return NULL;
    for (struct cio__timeout **pp = &t->stack->scopes; *pp; pp = &(*pp)->outer)
        if (*pp == (struct cio__timeout *)opaque) {
            struct cio__timeout *to = *pp;
            if (unlink)
                *pp = to->outer;
            return to;
        }
    return NULL;
}

/* asyncio.timeout(delay) is timeout_at(loop.time() + delay); the deadline
 * is kept as given, so cio_timeout_when returns it exactly. */
static int when_from_abs(double when_s, double *when)
{
    if (isnan(when_s))
        return -EINVAL;
    *when = when_s;
    return 0;
}

int cio_timeout_enter(cio_timeout_t *to, double delay)
{
    if (!to || isnan(delay))
        return -EINVAL;
    return timeout_enter_s(to, isinf(delay) ? delay : cio_loop_time(NULL) + delay);
}

int cio_timeout_enter_at(cio_timeout_t *to, double when_s)
{
    double when;
    if (!to || when_from_abs(when_s, &when) < 0)
        return -EINVAL;
    return timeout_enter_s(to, when);
}

static struct cio__timeout *timeout_active(cio_timeout_t *opaque)
{
    struct cio__timeout *to = (struct cio__timeout *)opaque;
    if (!to || to->magic != CIO__TIMEOUT_MAGIC)
        return NULL;
    return to;
}

int cio_timeout_exit(cio_timeout_t *opaque, int rc)
{
    struct cio__timeout *to = timeout_entered(opaque, true);
    if (!to)
        return CIO_EINVALSTATE; /* not entered, or by another task */
    timeout_disarm(to);
    if (to->state == TO_EXPIRING) {
        to->state = TO_EXPIRED;
        if (cio_task_uncancel(&to->task->fut) <= to->cancelling && rc == -ECANCELED)
            return -ETIMEDOUT;
        return rc;
    }
    to->state = TO_EXITED;
    return rc;
}

int cio_timeout_reschedule(cio_timeout_t *opaque, double when_s)
{
    double when;
    if (!opaque || when_from_abs(when_s, &when) < 0)
        return -EINVAL;
    /* Any caller on the loop's thread, as asyncio's (another task, a plain
     * callback): the scope is found through its own bytes, which hold
     * TO_ENTERED exactly while it is entered. */
    struct cio__timeout *to = timeout_active(opaque);
    if (!to || to->state != TO_ENTERED)
        return CIO_EINVALSTATE;
    to->when = when;
    return timeout_arm(to);
}

double cio_timeout_when(cio_timeout_t *opaque)
{
    struct cio__timeout *to = timeout_active(opaque);
    if (!to)
        return NAN;
    return to->when;
}

int cio_timeout_expired(cio_timeout_t *opaque)
{
    struct cio__timeout *to = timeout_active(opaque);
    if (!to)
        return opaque ? 0 : -EINVAL;
    return to->state == TO_EXPIRING || to->state == TO_EXPIRED;
}

/* ------------------------------------------------------------ wait_for */

int cio_wait_for(cio_future_t *f, double timeout, void **result)
{
    if (result)
        *result = NULL;
    if (isnan(timeout))
        return -EINVAL;
    int rc = cio__await_check(f); /* before a timeout <= 0 cancels f: never the caller itself */
    if (rc < 0)
        return rc;
    struct cio__task *t = cio__tls.task;
    if (isinf(timeout) && timeout > 0)
        return cio_await(f, result);
    if (timeout <= 0) {
        if (f->state != CIO__PENDING)
            return cio_future_result(f, result);
        /* Cancel and wait until it has really ended (a task never started
         * never starts); a cancel of the caller meanwhile is its own. */
        int32_t before = t->num_cancels;
        cio_future_cancel(f, NULL);
        rc = cio_shield(f, result);
        /* Only the cancel of f becomes -ETIMEDOUT; a cancel of the caller
         * meanwhile stays -ECANCELED (asyncio raises CancelledError). */
        if (rc == -ECANCELED && f->state == CIO__CANCELLED && t->num_cancels == before)
            return -ETIMEDOUT;
        return rc;
    }
    cio_timeout_t to;
    if ((rc = cio_timeout_enter(&to, timeout)) < 0)
        return rc;
    rc = cio_await(f, result);
    return cio_timeout_exit(&to, rc);
}

int cio_wait_for_call(cio_coro_fn *fn, void *arg, double timeout, void **result)
{
    if (result)
        *result = NULL;
    if (!fn || isnan(timeout))
        return -EINVAL;
    if (!cio__tls.task)
        return CIO_ENOTASK;
    if (timeout <= 0)
        return -ETIMEDOUT;
    void *dummy;
    if (!result)
        result = &dummy;
    if (isinf(timeout))
        return fn(arg, result);
    cio_timeout_t to;
    int rc = cio_timeout_enter(&to, timeout);
    if (rc < 0)
        return rc;
    rc = fn(arg, result);
    rc = cio_timeout_exit(&to, rc);
    if (rc < 0)
        *result = NULL;
    return rc;
}

/* -------------------------------------------------------- as_completed */

/* As asyncio's as_completed (3.13's iterator): a done callback on each
 * distinct future, queued as asyncio's (_handle_completion), puts it on the
 * ring of done ones and wakes the task waiting in next; at the timeout the
 * rest are dropped and each next after the ring is drained gets
 * -ETIMEDOUT.  Callbacks still queued when the iterator is freed keep its
 * block until the last has run. */
struct cio_as_completed_s {
    cio_loop_t *loop;
    size_t n, handed, head, tail, queued;
    cio_future_t **fs;   /* references, distinct */
    cio_future_t **ring; /* done, in completion order */
    struct cio__fcb *recs;
    struct cio__task *waiter;
    int timed_out, freed;
    struct cio__timer timer;
};

static void ac_release(struct cio_as_completed_s *it)
{
    cio__free(it->fs);
    cio__free(it->ring);
    cio__free(it->recs);
    cio__free(it);
}

static void ac_wake(struct cio_as_completed_s *it)
{
    if (it->waiter) {
        struct cio__task *t = it->waiter;
        it->waiter = NULL;
        cio__task_wake(t, 0);
    }
}

static void ac_run(struct cio__cb *cb)
{
    struct cio__fcb *r = cio__container_of(cb, struct cio__fcb, cb);
    struct cio_as_completed_s *it = r->arg;
    it->queued--;
    if (it->freed) {
        if (it->queued == 0)
            ac_release(it);
        return;
    }
    if (it->timed_out)
        return; /* asyncio's _todo was cleared by the timeout */
    it->ring[it->tail++] = r->fut;
    if (it->tail == it->n && it->timer.idx != CIO__TIMER_NONE)
        cio__heap_remove(&it->loop->timers, &it->timer);
    ac_wake(it);
}

static void ac_queue(struct cio_as_completed_s *it, struct cio__fcb *r)
{
    it->queued++;
    r->cb.run = ac_run;
    cio__loop_schedule(it->loop, &r->cb);
}

static void ac_notify(struct cio__reg *reg)
{
    struct cio__fcb *r = CIO__FCB(reg);
    ac_queue(r->arg, r);
}

static void ac_fire(struct cio__timer *tm)
{
    struct cio_as_completed_s *it = cio__container_of(tm, struct cio_as_completed_s, timer);
    it->timed_out = 1;
    ac_wake(it);
}

static int ac_cancel(struct cio__task *t)
{
    struct cio_as_completed_s *it = t->wait->obj;
    if (it->waiter != t)
        return 0;
    it->waiter = NULL;
    cio__task_wake(t, -ECANCELED);
    return 1;
}

int cio_as_completed_new(cio_future_t *const *fs, size_t n, double timeout, cio_as_completed_t **out)
{
    if (out)
        *out = NULL;
    if (!out || (n && !fs))
        return -EINVAL;
    cio_loop_t *loop = cio__tls.running;
    int64_t deadline = -1;
    int rc = check_inputs(fs, n, &loop);
    if (rc == 0)
        rc = timeout_to_deadline(timeout, &deadline);
    if (rc < 0)
        return rc;
    if (!loop)
        return CIO_ENOLOOP;
    struct cio_as_completed_s *it = cio__calloc(sizeof *it);
    if (!it)
        return -ENOMEM;
    it->loop = loop;
    it->timer.idx = CIO__TIMER_NONE;
    if (n) {
        it->fs = cio__malloc(n * sizeof *it->fs);
        it->ring = cio__malloc(n * sizeof *it->ring);
        it->recs = cio__calloc(n * sizeof *it->recs);
    }
    if ((n && (!it->fs || !it->ring || !it->recs)) || (deadline >= 0 && cio__heap_reserve(&loop->timers, 1) < 0)) {
        ac_release(it);
        return -ENOMEM;
    }
    /* A future given twice is watched once (asyncio takes the set of them):
     * its last watch is already this iterator's.  One already done is
     * watched for the moment too, so that a repeat of it is seen, then
     * reported through the queue as asyncio's add_done_callback does. */
    size_t ndone = 0;
    for (size_t i = 0; i < n; i++) {
        cio_future_t *f = fs[i];
        struct cio__reg **pp = &f->cbs, *last = NULL;
        while (*pp)
            pp = &(last = *pp)->next;
        if (last && last->notify == ac_notify && CIO__FCB(last)->arg == it)
            continue;
        struct cio__fcb *r = &it->recs[it->n];
        it->fs[it->n++] = f;
        f->obj.refs++;
        r->reg.notify = ac_notify;
        r->arg = it;
        r->fut = f;
        *pp = &r->reg;
        ndone += f->state != CIO__PENDING;
    }
    for (size_t i = 0; ndone && i < it->n; i++)
        if (it->fs[i]->state != CIO__PENDING) {
            cio__future_del_reg(it->fs[i], &it->recs[i].reg);
            ac_queue(it, &it->recs[i]);
            ndone--;
        }
    if (deadline >= 0 && it->n)
        set_timer(loop, &it->timer, deadline, ac_fire);
    *out = it;
    return 0;
}

int cio_as_completed_next(cio_as_completed_t *it, cio_future_t **f)
{
    if (f)
        *f = NULL;
    if (!it || !f)
        return -EINVAL;
    for (;;) {
        if (it->head < it->tail) {
            *f = it->ring[it->head++];
            it->handed++;
            return 1;
        }
        if (it->handed == it->n)
            return 0;
        if (it->timed_out) {
            it->handed++;
            return -ETIMEDOUT;
        }
        struct cio__task *t = cio__tls.task;
        if (!t)
            return CIO_ENOTASK;
        if (t->fut.loop != it->loop)
            return CIO_EWRONGLOOP;
        it->waiter = t;
        int rc = cio__task_suspend(t, ac_cancel, it);
        it->waiter = NULL;
        if (rc < 0)
            return rc;
    }
}

int cio_as_completed_free(cio_as_completed_t *it)
{
    if (!it)
        return 0;
    if (it->waiter)
        return -EBUSY;
    if (it->timer.idx != CIO__TIMER_NONE)
        cio__heap_remove(&it->loop->timers, &it->timer);
    for (size_t i = 0; i < it->n; i++) {
        if (it->fs[i]->state == CIO__PENDING)
            cio__future_del_reg(it->fs[i], &it->recs[i].reg);
        cio__future_unref(it->fs[i]);
    }
    if (it->queued) {
        it->freed = 1; /* the last queued callback releases the block */
        return 0;
    }
    ac_release(it);
    return 0;
}

/* ----------------------------------------------------------- TaskGroup */

#define CIO__TG_MAGIC 0x54477270u /* "TGrp" */

struct tg_child {
    struct cio__fcb rec;
    struct tg_child *next, *prev; /* the pending list, then the done list */
};

struct tg_err {
    int code;
    cio_task_t *task; /* a reference */
    char *msg;        /* the body's error: the owner's cio_fail message (a copy), else NULL */
};

struct cio_taskgroup_s {
    uint32_t magic;
    struct cio__task *owner;
    struct tg_child *pending, *pending_tail, *done; /* pending in creation order */
    size_t npending;
    uint8_t exiting, finished, aborting, parent_cancel_requested, waiting;
    struct tg_err *errs;
    int nerr, cap, lost;
};

static void tg_record(cio_taskgroup_t *tg, int code, cio_task_t *task)
{
    if (tg->nerr == tg->cap) {
        int cap = tg->cap ? tg->cap * 2 : 4;
        struct tg_err *e = cio__realloc(tg->errs, (size_t)cap * sizeof *e);
        if (!e) {
            tg->lost++;
            return;
        }
        tg->errs = e;
        tg->cap = cap;
    }
    task->obj.refs++;
    tg->errs[tg->nerr++] = (struct tg_err){code, task, NULL};
}

static void tg_abort(cio_taskgroup_t *tg)
{
    tg->aborting = 1;
    for (struct tg_child *c = tg->pending; c; c = c->next)
        cio_task_cancel(c->rec.fut, NULL);
}

/* Runs as a done callback through the ready queue, as asyncio's
 * _on_task_done: children failing in the same iteration all get to run. */
static void tg_child_done(struct cio__cb *cb)
{
    struct tg_child *c = cio__container_of(cb, struct tg_child, rec.cb);
    struct cio__fcb *r = &c->rec;
    cio_taskgroup_t *tg = r->arg;
    cio_future_t *task = r->fut;
    /* pending -> done */
    if (c->prev)
        c->prev->next = c->next;
    else
        tg->pending = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        tg->pending_tail = c->prev;
    c->prev = NULL;
    c->next = tg->done;
    if (tg->done)
        tg->done->prev = c;
    tg->done = c;
    tg->npending--;
    if (tg->waiting && tg->npending == 0) {
        tg->waiting = 0;
        cio__task_wake(tg->owner, 0);
    }
    if (task->state != CIO__ERROR)
        return;
    task->retrieved = 1;
    tg_record(tg, task->rc, task);
    if (tg->owner->fut.state != CIO__PENDING) {
        cio__loop_report(task->loop, "task of a TaskGroup failed after its owner ended", task->rc, task->message,
                         task, NULL);
        return;
    }
    if (!tg->aborting && !tg->parent_cancel_requested) {
        tg_abort(tg);
        tg->parent_cancel_requested = 1;
        cio_task_cancel(&tg->owner->fut, NULL);
    }
}

cio_taskgroup_t *cio_taskgroup_new(void)
{
    if (!cio__tls.task)
        return NULL;
    cio_taskgroup_t *tg = cio__calloc(sizeof *tg);
    if (!tg)
        return NULL;
    tg->magic = CIO__TG_MAGIC;
    tg->owner = cio__tls.task;
    return tg;
}

static int tg_check(cio_taskgroup_t *tg)
{
    return tg && tg->magic == CIO__TG_MAGIC ? 0 : -EINVAL;
}

int cio_taskgroup_create_task_ex(cio_taskgroup_t *tg, cio_coro_fn *fn, void *arg, const cio_task_opts_t *opts,
                                 cio_task_t **out)
{
    if (out)
        *out = NULL;
    if (tg_check(tg) || !fn)
        return -EINVAL;
    if ((tg->exiting && tg->npending == 0) || tg->finished || tg->aborting)
        return CIO_EINVALSTATE; /* finished, or shutting down after a failure */
    struct tg_child *c = cio__calloc(sizeof *c);
    if (!c)
        return -ENOMEM;
    cio_task_t *t;
    int rc = cio_loop_create_task(tg->owner->fut.loop, fn, arg, opts, &t);
    if (rc < 0) {
        cio__free(c);
        return rc;
    }
    c->rec.cb.run = tg_child_done;
    c->rec.arg = tg;
    c->rec.fut = t; /* the group's reference */
    c->prev = tg->pending_tail;
    if (tg->pending_tail)
        tg->pending_tail->next = c;
    else
        tg->pending = c;
    tg->pending_tail = c;
    tg->npending++;
    if (t->state == CIO__PENDING)
        cio__future_add_reg(t, &c->rec.reg);
    else
        cio__loop_schedule(t->loop, &c->rec.cb); /* an eager task that already ended */
    if (out)
        *out = t;
    return 0;
}

cio_task_t *cio_taskgroup_create_task(cio_taskgroup_t *tg, cio_coro_fn *fn, void *arg)
{
    cio_task_t *t = NULL;
    cio_taskgroup_create_task_ex(tg, fn, arg, NULL, &t);
    return t;
}

static int tg_cancel_wait(struct cio__task *t)
{
    cio_taskgroup_t *tg = t->wait->obj;
    if (!tg->waiting)
        return 0;
    tg->waiting = 0;
    cio__task_wake(t, -ECANCELED);
    return 1;
}

int cio_taskgroup_exit(cio_taskgroup_t *tg, int body_rc)
{
    if (tg_check(tg))
        return -EINVAL;
    if (tg->exiting || cio__tls.task != tg->owner)
        return CIO_EINVALSTATE;
    tg->exiting = 1;
    int propagate_cancel = body_rc == -ECANCELED;
    if (body_rc < 0 && !tg->aborting)
        tg_abort(tg);
    while (tg->npending) {
        tg->waiting = 1;
        int rc = cio__task_suspend(tg->owner, tg_cancel_wait, tg);
        tg->waiting = 0;
        if (rc == -ECANCELED && !tg->aborting) {
            propagate_cancel = 1;
            tg_abort(tg);
        }
    }
    tg->finished = 1;
    if (tg->parent_cancel_requested && cio_task_uncancel(&tg->owner->fut) == 0)
        propagate_cancel = 0; /* no cancel left but the group's own */
    if (body_rc < 0 && body_rc != -ECANCELED) {
        int n = tg->nerr;
        tg_record(tg, body_rc, &tg->owner->fut);
        if (tg->nerr > n && tg->owner->fail_msg) /* the body's cio_fail text (none if no memory) */
            tg->errs[n].msg = cio__strdup(tg->owner->fail_msg);
    }
    if (tg->nerr || tg->lost)
        return CIO_ETASKGROUP;
    if (propagate_cancel)
        return -ECANCELED;
    return body_rc < 0 ? body_rc : 0;
}

int cio_taskgroup_wait(cio_taskgroup_t *tg)
{
    return cio_taskgroup_exit(tg, 0);
}

int cio_taskgroup_error_count(cio_taskgroup_t *tg)
{
    return tg_check(tg) ? -EINVAL : tg->nerr;
}

int cio_taskgroup_error(cio_taskgroup_t *tg, int i, int *code, cio_task_t **task, const char **message)
{
    if (tg_check(tg) || i < 0 || i >= tg->nerr)
        return -EINVAL;
    struct tg_err *e = &tg->errs[i];
    if (code)
        *code = e->code;
    if (task)
        *task = e->task;
    if (message)
        *message = e->task == &tg->owner->fut ? e->msg : e->task->message;
    return 0;
}

int cio_taskgroup_free(cio_taskgroup_t *tg)
{
    if (tg_check(tg))
        return -EINVAL;
    if (tg->npending)
        return -EBUSY;
    for (struct tg_child *c = tg->done; c;) {
        struct tg_child *next = c->next;
        cio__future_unref(c->rec.fut);
        cio__free(c);
        c = next;
    }
    for (int i = 0; i < tg->nerr; i++) {
        cio__future_unref(tg->errs[i].task);
        cio__free(tg->errs[i].msg);
    }
    cio__free(tg->errs);
    tg->magic = CIO__MAGIC_DEAD;
    cio__free(tg);
    return 0;
}
