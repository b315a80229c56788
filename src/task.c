/* Tasks: a coroutine on its own stack, driven by the loop.
 *
 * A task's step is an entry of the ready queue.  Running it switches from
 * the loop's context to the task's stack; the task runs until it suspends
 * (cio__task_suspend switches back) or its function returns (task_entry
 * records the outcome and switches back for good, and the loop returns the
 * stack to the pool).  A suspended task is resumed only by putting its step
 * on the ready queue (cio__task_wake), never from inside set_result.
 *
 * Cancellation is asyncio's: cio_task_cancel counts a request and either
 * cancels what the task waits on through the wait's cancel hook (the awaited
 * future, the sleep timer) or sets must_cancel, which the next suspension
 * point delivers as -ECANCELED.  A task that was never started and has
 * must_cancel set ends cancelled without running.
 */
#include "internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void task_step(struct cio__cb *cb);
static void task_entry(void);
static inline void batch_prefetch(struct cio__cb *n);

void cio__task_free_parts(cio_future_t *f)
{
    struct cio__task *t = cio__task_of(f);
    cio__free(t->name);
    cio__free(t->fail_msg);
    cio__free(t->dbg);
}

static int task_check(cio_task_t *f)
{
    return f && f->obj.magic == CIO__MAGIC_TASK ? 0 : -EINVAL;
}

/* asyncio's eager start: run the first step now, on the task's own stack,
 * switching back here at its first suspension (it is then woken through the
 * ready queue like any task) or at its end (it is done at creation and never
 * scheduled). */
static void eager_step(struct cio__task *t)
{
    cio_loop_t *loop = t->fut.loop;
    struct cio__task *creator = cio__tls.task;
    t->stack = cio__stack_get(&loop->stacks, t->stack_size);
    if (!t->stack) {
        cio__loop_schedule(loop, &t->step); /* the normal path reports -ENOMEM */
        return;
    }
    t->fut.tflags |= CIO__T_STARTED;
    cio__ctx_make(t->stack, task_entry);
    if (t->dbg)
        cio__debug_stack_paint(t->stack);
    t->fut.obj.refs++; /* keep it across the step, as the ready queue would */
    cio__tls.task = t;
    if (creator) {
        t->stack->ret = &creator->stack->ctx;
        t->stack->ret_stack = creator->stack;
        cio__ctx_switch(&creator->stack->ctx, &t->stack->ctx, t->stack, false);
    } else {
        t->stack->ret = &loop->sched_ctx;
        t->stack->ret_stack = NULL;
        cio__ctx_switch(&loop->sched_ctx, &t->stack->ctx, t->stack, false);
    }
    cio__tls.task = creator;
    if (t->fut.tflags & CIO__T_EXITING) {
        if (t->dbg)
            cio__debug_stack_measure(t);
        cio__stack_put(&loop->stacks, t->stack);
        t->stack = NULL;
        cio__future_unref(&t->fut); /* the loop's reference */
    }
    cio__future_unref(&t->fut);
}

int cio_loop_create_task(cio_loop_t *loop, cio_coro_fn *fn, void *arg, const cio_task_opts_t *opts,
                         cio_task_t **out)
{
    return cio_loop_create_task_at(loop, fn, arg, opts, out, NULL, 0);
}

static int task_construct(cio_loop_t *loop, cio_coro_fn *fn, void *arg, const cio_task_opts_t *opts,
                          cio_task_t **out, const char *file, int line);

/* loop.create_task: through the loop's task factory if one is set (which
 * makes the task with cio_task_new), else the task is made here. */
int cio_loop_create_task_at(cio_loop_t *loop, cio_coro_fn *fn, void *arg, const cio_task_opts_t *opts,
                            cio_task_t **out, const char *file, int line)
{
    if (out)
        *out = NULL;
    if (cio__loop_check(loop) || !fn)
        return -EINVAL;
    if (loop->closed)
        return CIO_ELOOPCLOSED;
    if (!loop->task_factory)
        return task_construct(loop, fn, arg, opts, out, file, line);
    int rc = cio__debug_thread_check(loop, "cio_loop_create_task");
    if (rc < 0)
        return rc;
    const char *sf = loop->site_file;
    int sl = loop->site_line;
    loop->site_file = file; /* for cio_task_new inside the factory */
    loop->site_line = line;
    cio_task_t *t = NULL;
    rc = loop->task_factory(loop, fn, arg, opts, &t, loop->task_factory_ud);
    loop->site_file = sf;
    loop->site_line = sl;
    if (rc < 0) {
        cio_unref(t);
        return rc;
    }
    if (task_check(t)) /* the factory made no task */
        return -EINVAL;
    if (out)
        *out = t;
    else
        cio_unref(t);
    return 0;
}

int cio_task_new(cio_loop_t *loop, cio_coro_fn *fn, void *arg, const cio_task_opts_t *opts, cio_task_t **out)
{
    if (out)
        *out = NULL;
    if (cio__loop_check(loop) || !fn || !out)
        return -EINVAL;
    return task_construct(loop, fn, arg, opts, out, loop->site_file, loop->site_line);
}

int cio_loop_set_task_factory(cio_loop_t *loop, cio_task_factory_fn *factory, void *ud)
{
    if (cio__loop_check(loop))
        return -EINVAL;
    loop->task_factory = factory;
    loop->task_factory_ud = factory ? ud : NULL;
    return 0;
}

cio_task_factory_fn *cio_loop_get_task_factory(cio_loop_t *loop, void **ud)
{
    if (ud)
        *ud = NULL;
    if (cio__loop_check(loop))
        return NULL;
    if (ud)
        *ud = loop->task_factory_ud;
    return loop->task_factory;
}

/* asyncio's eager_task_factory: eager when created inside the running loop
 * (a task or a callback), else a normal task, as Task(eager_start=True). */
int cio_eager_task_factory(cio_loop_t *loop, cio_coro_fn *fn, void *arg, const cio_task_opts_t *opts,
                           cio_task_t **out, void *ud)
{
    (void)ud;
    cio_task_opts_t o = opts ? *opts : (cio_task_opts_t){0};
    o.eager = cio__tls.running == loop;
    return cio_task_new(loop, fn, arg, &o, out);
}

static int task_construct(cio_loop_t *loop, cio_coro_fn *fn, void *arg, const cio_task_opts_t *opts,
                          cio_task_t **out, const char *file, int line)
{
    if (out)
        *out = NULL;
    if (loop->closed)
        return cio__refuse(loop, "cio_loop_create_task", CIO_ELOOPCLOSED, "Event loop is closed");
    int rc = cio__debug_thread_check(loop, "cio_loop_create_task");
    if (rc < 0)
        return rc;
    size_t ss = opts ? opts->stack_size : 0;
    if (ss && (ss < 16 * 1024 || ss > ((size_t)1 << 30)))
        return -EINVAL;
    if (opts && opts->eager && cio__tls.running != loop) /* an eager step runs inside the running loop */
        return cio__refuse(loop, "cio_loop_create_task", CIO_ENOLOOP, "an eager task needs its loop running here");
    struct cio__task *t = cio__pool_get(&loop->task_pool);
    if (!t)
        return -ENOMEM;
    t->name = NULL;
    if (opts && opts->name && !(t->name = cio__strdup(opts->name))) {
        cio__pool_put(&loop->task_pool, t);
        return -ENOMEM;
    }
    cio__future_init(&t->fut, loop, CIO__MAGIC_TASK); /* the loop's reference */
    t->step.run = task_step;
    t->fn = fn;
    t->arg = arg;
    t->stack = NULL;
    t->id = (uint32_t)++loop->task_counter;
    t->stack_size = (uint32_t)ss;
    t->num_cancels = 0;
    t->fut.tflags = 0;
    t->wake_rc = 0;
    t->wait = NULL;
    t->fail_msg = NULL;
    t->dbg = NULL;
    if (loop->debug && !(t->dbg = cio__debug_site(file, line))) {
        cio__free(t->name);
        cio__pool_put(&loop->task_pool, t);
        loop->nobjs--;
        return -ENOMEM;
    }
    t->all_prev = NULL;
    t->all_next = loop->all_head;
    if (loop->all_head)
        loop->all_head->all_prev = t;
    loop->all_head = t;
    loop->ntasks_pending++;
    if (out) {
        t->fut.obj.refs++;
        *out = &t->fut;
    }
    if (opts && opts->eager)
        eager_step(t);
    else
        cio__loop_schedule(loop, &t->step);
    return 0;
}

cio_task_t *cio_create_task(cio_coro_fn *fn, void *arg)
{
    return cio_create_task_named(fn, arg, NULL);
}

cio_task_t *cio_create_task_named(cio_coro_fn *fn, void *arg, const char *name)
{
    return cio_create_task_named_at(fn, arg, name, NULL, 0);
}

cio_task_t *cio_create_task_named_at(cio_coro_fn *fn, void *arg, const char *name, const char *file, int line)
{
    cio_task_t *t = NULL;
    cio_task_opts_t o = {.name = name};
    if (cio__tls.running)
        cio_loop_create_task_at(cio__tls.running, fn, arg, &o, &t, file, line);
    return t;
}

struct cio__task *cio__cb_task(struct cio__cb *cb)
{
    return cb->run == task_step ? cio__container_of(cb, struct cio__task, step) : NULL;
}

/* Record the outcome: the task leaves the pending set and its future
 * completes. */
static void task_finish(struct cio__task *t, int rc, void *result)
{
    cio_loop_t *loop = t->fut.loop;
    loop->ntasks_pending--;
    if (t->all_prev)
        t->all_prev->all_next = t->all_next;
    else
        loop->all_head = t->all_next;
    if (t->all_next)
        t->all_next->all_prev = t->all_prev;
    t->all_prev = t->all_next = NULL;

    char *fail = t->fail_msg;
    t->fail_msg = NULL;
    if ((t->fut.tflags & CIO__T_MUST_CANCEL) || rc == -ECANCELED) {
        /* A task that was asked to cancel and then returned ends cancelled. */
        char *m = t->fut.message;
        t->fut.message = NULL;
        cio__free(fail);
        t->fut.tflags &= (uint8_t)~CIO__T_MUST_CANCEL;
        cio__future_complete(&t->fut, CIO__CANCELLED, -ECANCELED, NULL, m);
    } else if (rc < 0) {
        cio__future_complete(&t->fut, CIO__ERROR, rc, NULL, fail);
    } else {
        cio__free(fail);
        cio__future_complete(&t->fut, CIO__RESULT, 0, result, NULL);
    }
}

static void task_step(struct cio__cb *cb)
{
    struct cio__task *t = cio__container_of(cb, struct cio__task, step);
    cio_loop_t *loop = t->fut.loop;
    if (!(t->fut.tflags & CIO__T_STARTED)) {
        if ((t->fut.tflags & CIO__T_MUST_CANCEL) || loop->closed) {
            task_finish(t, -ECANCELED, NULL);
            cio__future_unref(&t->fut);
            return;
        }
        t->stack = cio__stack_get(&loop->stacks, t->stack_size);
        if (!t->stack) {
            task_finish(t, -ENOMEM, NULL);
            cio__future_unref(&t->fut);
            return;
        }
        t->fut.tflags |= CIO__T_STARTED;
        cio__ctx_make(t->stack, task_entry);
        if (t->dbg)
            cio__debug_stack_paint(t->stack);
    }
    cio__tls.task = t;
    cio__ctx_switch(&loop->sched_ctx, &t->stack->ctx, t->stack, false);
    cio__tls.task = NULL;
    /* Tasks may have handed over to each other: the one back here is
     * loop->from, not necessarily t. */
    struct cio__task *f = loop->from;
    if (f->fut.tflags & CIO__T_EXITING) {
        if (f->dbg)
            cio__debug_stack_measure(f);
        cio__stack_put(&loop->stacks, f->stack);
        f->stack = NULL;
        cio__future_unref(&f->fut); /* the loop's reference */
    }
}

/* When t has ended and the batch's next entry is a task that has not
 * started, that task may start here, on the stack t has finished with: it is
 * taken off the batch and given the stack, sparing the two switches through
 * the loop and the trip through the stack pool.  The batch runs in the same
 * order, and each task starts as on a fresh stack: the whole stack, the
 * default FP control state.  Not in debug mode (each step is timed), not
 * for the end of an eager first step (it goes back to its creator), not for
 * a task of its own stack size. */
static struct cio__task *start_next_here(struct cio__task *t)
{
    cio_loop_t *loop = t->fut.loop;
    struct cio__stack *s = t->stack;
    struct cio__cb *n = loop->batch;
    if (!n || n->run != task_step || s->ret || !s->pooled || t->dbg || loop->debug || loop->closed)
        return NULL;
    struct cio__task *nt = cio__container_of(n, struct cio__task, step);
    if ((nt->fut.tflags & (CIO__T_STARTED | CIO__T_MUST_CANCEL)) || nt->dbg ||
        (nt->stack_size && nt->stack_size != loop->stacks.stack_size))
        return NULL;
    loop->batch = n->next;
    batch_prefetch(loop->batch);
    t->stack = NULL;
    s->scopes = NULL;
    s->gen = NULL;
    nt->stack = s;
    nt->fut.tflags |= CIO__T_STARTED;
    cio__fp_default(); /* as a fresh context would have it */
    cio__tls.task = NULL;
    cio__future_unref(&t->fut); /* the loop's reference, as task_step drops it */
    cio__tls.task = nt;
    return nt;
}

static void task_entry(void)
{
    cio__ctx_started();
    struct cio__task *t = cio__tls.task;
    for (;;) {
        void *result = NULL;
        int rc = t->fn(t->arg, &result);
        task_finish(t, rc, result);
        struct cio__task *nt = start_next_here(t);
        if (!nt)
            break;
        t = nt;
    }
    t->fut.tflags |= CIO__T_EXITING;
    struct cio__stack *s = t->stack;
    if (s->ret)
        cio__ctx_switch(&s->ctx, s->ret, s->ret_stack, true);
    else {
        t->fut.loop->from = t;
        cio__ctx_switch(&s->ctx, &t->fut.loop->sched_ctx, NULL, true);
    }
    abort(); /* a finished task is never resumed */
}

void cio__task_wake(struct cio__task *t, int rc)
{
    t->wake_rc = rc;
    cio__loop_schedule(t->fut.loop, &t->step);
}

static inline void batch_prefetch(struct cio__cb *n)
{
    /* n is the next entry of the batch: its stack's header was asked for two
     * entries ago, so its saved stack pointer is at hand; ask for the frames
     * from there up to the header, which its resumption reads first.  The
     * entry two after n gets its header asked for now (the entries' task
     * objects were touched when they were woken). */
    if (!n || n->run != task_step)
        return;
#if !defined(CIO_USE_UCONTEXT)
    struct cio__stack *s = cio__container_of(n, struct cio__task, step)->stack;
    if (s) {
        char *p = (char *)((uintptr_t)s->ctx.sp & ~(uintptr_t)63), *end = (char *)s;
        if (end - p > CIO__RESUME_PREFETCH)
            end = p + CIO__RESUME_PREFETCH;
        for (; p <= end; p += 64)
            __builtin_prefetch(p, 1);
    }
#endif
    struct cio__cb *nn = n->next;
    if (nn && (nn = nn->next) && nn->run == task_step) {
        struct cio__task *t3 = cio__container_of(nn, struct cio__task, step);
        if (t3->stack)
            __builtin_prefetch(t3->stack, 1);
    }
}

void cio__batch_prefetch(struct cio__cb *n)
{
    batch_prefetch(n);
}

static inline __attribute__((always_inline)) int task_suspend(struct cio__task *t, cio__cancel_hook *hook, void *obj)
{
    char probe;
    if (&probe < t->stack->lo + 512) {
        /* The software guard: the stack ran into its last bytes. */
        cio__stack_report_overflow(t);
        abort();
    }
    struct cio__wait w = {hook, obj};
    t->wait = hook ? &w : NULL;
    t->wake_rc = 0;
    if ((t->fut.tflags & CIO__T_MUST_CANCEL) && hook && hook(t))
        t->fut.tflags &= (uint8_t)~CIO__T_MUST_CANCEL;
    struct cio__stack *s = t->stack;
    if (__builtin_expect(s->ret != NULL, 0)) {
        /* The end of an eager first step: back to the creator. */
        struct cio__ctx *ret = s->ret;
        s->ret = NULL;
        cio__ctx_switch(&s->ctx, ret, s->ret_stack, false);
    } else {
        cio_loop_t *loop = t->fut.loop;
        struct cio__cb *n = loop->batch;
        bool next_iteration = false;
        if (!n && cio__loop_inline_ok(loop)) {
            n = loop->ready.head; /* the first of the next iteration's batch */
            next_iteration = true;
        }
        if (n && n->run == task_step && !loop->debug) {
            struct cio__task *nt = cio__container_of(n, struct cio__task, step);
            if (nt->fut.tflags & CIO__T_STARTED) {
                /* The next entry of the batch is a suspended task: switch to
                 * it directly, sparing a trip through the loop.  The batch
                 * runs in the same order; at the end of a batch, the next
                 * iteration is begun here when it has nothing else to do. */
                if (next_iteration)
                    cio__loop_begin_inline(loop);
                else
                    loop->batch = n->next;
                batch_prefetch(loop->batch);
                if (nt == t)
                    goto resumed; /* the only one ready: go on */
                cio__tls.task = nt;
                cio__ctx_switch(&s->ctx, &nt->stack->ctx, nt->stack, false);
                goto resumed;
            }
        }
        loop->from = t;
        cio__ctx_switch(&s->ctx, &loop->sched_ctx, NULL, false);
    }
resumed:
    t->wait = NULL;
    if (t->fut.tflags & CIO__T_MUST_CANCEL) {
        t->fut.tflags &= (uint8_t)~CIO__T_MUST_CANCEL;
        return -ECANCELED;
    }
    return t->wake_rc;
}

int cio__task_suspend(struct cio__task *t, cio__cancel_hook *hook, void *obj)
{
    return task_suspend(t, hook, obj);
}

/* ------------------------------------------------------------- cancel */

int cio_task_cancel(cio_task_t *f, const char *msg)
{
    if (task_check(f))
        return -EINVAL;
    if (f->state != CIO__PENDING)
        return 0;
    int rc = cio__debug_thread_check(f->loop, "cio_task_cancel");
    if (rc < 0)
        return rc;
    struct cio__task *t = cio__task_of(f);
    if (msg) {
        char *m = cio__strdup(msg);
        if (!m)
            return -ENOMEM;
        cio__free(f->message);
        f->message = m;
    }
    t->num_cancels++;
    if (t->wait && t->wait->cancel(t))
        return 1;
    f->tflags |= CIO__T_MUST_CANCEL;
    return 1;
}

int cio_task_get_coro(cio_task_t *f, cio_coro_fn **fn, void **arg)
{
    if (task_check(f) || !fn)
        return -EINVAL;
    struct cio__task *t = cio__task_of(f);
    *fn = t->fn;
    if (arg)
        *arg = t->arg;
    return 0;
}

int cio_is_task(cio_future_t *f)
{
    if (!task_check(f))
        return 1;
    return cio__future_check(f) ? -EINVAL : 0;
}

int cio_task_cancelling(cio_task_t *f)
{
    return task_check(f) ? -EINVAL : cio__task_of(f)->num_cancels;
}

int cio_task_uncancel(cio_task_t *f)
{
    if (task_check(f))
        return -EINVAL;
    struct cio__task *t = cio__task_of(f);
    if (t->num_cancels > 0 && --t->num_cancels == 0)
        f->tflags &= (uint8_t)~CIO__T_MUST_CANCEL;
    return t->num_cancels;
}

/* ------------------------------------------------------------- await */

static void await_wake(struct cio__reg *r)
{
    struct cio__fcb *w = CIO__FCB(r);
    if (w->fut->state == CIO__ERROR)
        w->fut->retrieved = 1; /* asyncio's wakeup reads the result even if a cancel is then thrown in */
    cio__task_wake(w->task, 0);
}

/* A cancel of the awaiting task cancels the awaited future.  Should its copy
 * of the message find no memory, it is cancelled without one: the cancel
 * must not be lost (the awaiting task would wait on, marked cancelled). */
static int await_cancel(struct cio__task *t)
{
    struct cio__fcb *w = t->wait->obj;
    int rc = cio_future_cancel(w->fut, t->fut.message);
    if (rc == -ENOMEM && t->fut.message)
        rc = cio_future_cancel(w->fut, NULL);
    return rc == 1;
}

int cio__await_check(cio_future_t *f)
{
    if (cio__future_check(f))
        return -EINVAL;
    struct cio__task *t = cio__tls.task;
    if (!t)
        return CIO_ENOTASK;
    if (f->loop != t->fut.loop)
        return CIO_EWRONGLOOP;
    if (f == &t->fut)
        return CIO_ESELFAWAIT;
    return 0;
}

int cio_await(cio_future_t *f, void **result)
{
    if (result)
        *result = NULL;
    int rc = cio__await_check(f);
    if (rc < 0)
        return rc;
    if (f->state != CIO__PENDING)
        return cio_future_result(f, result);
    struct cio__task *t = cio__tls.task;
    struct cio__fcb w;
    memset(&w, 0, sizeof w);
    w.task = t;
    w.reg.notify = await_wake;
    w.fut = f;
    cio__future_add_reg(f, &w.reg);
    f->obj.refs++;
    rc = cio__task_suspend(t, await_cancel, &w);
    if (f->state == CIO__PENDING)
        cio__future_del_reg(f, &w.reg);
    if (rc == 0)
        rc = cio_future_result(f, result);
    cio__future_unref(f);
    return rc;
}

/* ------------------------------------------------------------- sleep */

struct sleep_wait {
    struct cio__timer timer;
    struct cio__task *task;
};

static void sleep_fire(struct cio__timer *tm)
{
    struct sleep_wait *sw = cio__container_of(tm, struct sleep_wait, timer);
    cio__task_wake(sw->task, 0);
}

static int sleep_cancel(struct cio__task *t)
{
    struct sleep_wait *sw = t->wait->obj;
    if (sw->timer.idx == CIO__TIMER_NONE)
        return 0; /* already fired: the task is on the ready queue */
    cio__heap_remove(&t->fut.loop->timers, &sw->timer);
    cio__task_wake(t, -ECANCELED);
    return 1;
}

int cio_sleep(double delay)
{
    struct cio__task *t = cio__tls.task;
    if (isnan(delay))
        return -EINVAL;
    if (!t)
        return CIO_ENOTASK;
    if (!(delay > 0)) {
        cio__task_wake(t, 0);
        return task_suspend(t, NULL, NULL);
    }
    cio_loop_t *loop = t->fut.loop;
    int64_t d;
    cio__double_to_ns(delay, &d);
    if (cio__heap_reserve(&loop->timers, 1) < 0)
        return -ENOMEM;
    struct sleep_wait sw;
    sw.task = t;
    sw.timer.fire = sleep_fire;
    sw.timer.when = cio__now_ns() + d;
    cio__heap_push(&loop->timers, &sw.timer);
    int rc = cio__task_suspend(t, sleep_cancel, &sw);
    if (sw.timer.idx != CIO__TIMER_NONE)
        cio__heap_remove(&loop->timers, &sw.timer);
    return rc;
}

int cio_yield(void)
{
    struct cio__task *t = cio__tls.task;
    if (!t)
        return CIO_ENOTASK;
    cio__task_wake(t, 0);
    return task_suspend(t, NULL, NULL);
}

/* ------------------------------------------------------------- names */

const char *cio__task_name(cio_future_t *f)
{
    if (task_check(f))
        return "Future";
    const char *n = cio_task_get_name(f);
    return n ? n : "Task";
}

const char *cio_task_get_name(cio_task_t *f)
{
    if (task_check(f))
        return NULL;
    struct cio__task *t = cio__task_of(f);
    if (!t->name) {
        char buf[32];
        snprintf(buf, sizeof buf, "Task-%lu", (unsigned long)t->id);
        t->name = cio__strdup(buf);
    }
    return t->name;
}

int cio_task_set_name(cio_task_t *f, const char *name)
{
    if (task_check(f) || !name)
        return -EINVAL;
    struct cio__task *t = cio__task_of(f);
    char *n = cio__strdup(name);
    if (!n)
        return -ENOMEM;
    cio__free(t->name);
    t->name = n;
    return 0;
}

cio_task_t *cio_current_task(void)
{
    return cio__tls.task ? &cio__tls.task->fut : NULL;
}

int cio_all_tasks(cio_loop_t *loop, cio_task_t **out, size_t cap)
{
    if (cio__loop_check(loop) || (!out && cap))
        return -EINVAL;
    size_t n = 0;
    for (struct cio__task *t = loop->all_head; t; t = t->all_next, n++)
        if (n < cap)
            out[n] = &t->fut;
    return n > 0x7fffffff ? 0x7fffffff : (int)n;
}

int cio_fail(int err, const char *fmt, ...)
{
    struct cio__task *t = cio__tls.task;
    char **slot = t ? &t->fail_msg : cio__tls.fail_msg; /* a task's, or a pool job's */
    if (!slot || !fmt)
        return err;
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char *m = cio__strdup(buf);
    if (m) {
        cio__free(*slot);
        *slot = m;
    }
    return err;
}
