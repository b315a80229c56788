/* The event loop.
 *
 * One iteration is asyncio's BaseEventLoop._run_once, phase for phase:
 *
 *   1. phase_threadsafe  move what other threads posted onto the ready queue
 *   2. phase_timeout     0 if anything is ready or the loop is stopping, else
 *                        the nearest deadline, else forever
 *   3. phase_poll        wait for I/O for that long and queue ready watchers
 *   4. phase_timers      move due timers, in (deadline, sequence) order, to
 *                        the ready queue
 *   5. phase_run_ready   run exactly the callbacks that were ready when the
 *                        phase began; what they schedule waits for the next
 *                        iteration
 *
 * When work is ready and no timer exists, an iteration makes no system call
 * and reads no clock: phase_poll is skipped except on every
 * CIO__POLL_EVERY-th iteration, the bound on how long a busy loop may leave
 * sockets unpolled.
 *
 * An iteration that would do nothing but run its batch (no thread-safe post,
 * no stop, no poll due, no timer due) may be begun by the task that ends the
 * previous batch, which then switches straight to the first task of the new
 * one (cio__loop_iterate_inline, used by cio__task_suspend): the same phases
 * in the same order, without the two switches through the loop's context.
 */
#include "internal.h"

#include <errno.h>
#include <math.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define CIO__DEFAULT_STACK (64 * 1024)
#define CIO__MIN_STACK (16 * 1024)

_Thread_local struct cio__tls cio__tls;

/* 80 bytes: a million pending timers are 80 MB of handles. */
struct cio_handle_s {
    struct cio__obj obj;
    /* A timer handle is never a ready-queue entry (its fire calls
     * handle_run directly): it keeps the deadline as given in cb's place. */
    union {
        struct cio__cb cb; /* a ready-queue entry (call_soon) */
        struct {
            void *unused;  /* over cb.next */
            double when;   /* over cb.run: the deadline as given, for cio_handle_when */
        } t;
    } u;
    struct cio__timer timer; /* idx NONE unless in the heap; flags below in its spare bytes */
    cio_loop_t *loop;
    cio_callback_fn *fn;
    void *arg;
};
#define h_is_timer timer.spare[0]
#define h_cancelled timer.spare[1]
#define h_ran timer.spare[2]
#define h_pooled timer.spare[3] /* from the loop's pool (else made by another thread) */
_Static_assert(sizeof(struct cio_handle_s) == 80, "handle grew");
_Static_assert(_Alignof(struct cio_handle_s) <= 8 && _Alignof(struct cio__task) <= 8,
               "pooled objects are 8-byte aligned");

int64_t cio__now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int cio__double_to_ns(double s, int64_t *out)
{
    if (isnan(s))
        return -EINVAL;
    if (s > 9.2e9)
        s = 9.2e9; /* ~292 years: "never" for a loop */
    if (s < -9.2e9)
        s = -9.2e9;
    *out = (int64_t)(s * 1e9);
    return 0;
}

/* A deadline on cio_loop_time()'s clock as nanoseconds, rounded up so that
 * it is never met early: once the clock reaches the result, cio_loop_time()
 * >= when (asyncio compares the doubles themselves). */
int64_t cio__deadline_ns(double when)
{
    if (!(when < 9.2e9))
        return (int64_t)9.2e18; /* "never" for a loop (NaN is refused earlier) */
    if (when <= -9.2e9)
        return (int64_t)-9.2e18;
    int64_t ns = (int64_t)ceil(when * 1e9);
    while ((double)ns / 1e9 < when)
        ns++;
    return ns;
}

int cio__loop_check(cio_loop_t *loop)
{
    return loop && loop->obj.magic == CIO__MAGIC_LOOP ? 0 : -EINVAL;
}

/* ------------------------------------------------------------- wake-ups */

static void on_wake(struct cio__io *io, uint32_t events)
{
    cio_loop_t *loop = cio__container_of(io, cio_loop_t, wake_io);
    (void)events;
    uint64_t v;
    ssize_t r = read(loop->wake_fd, &v, sizeof v);
    (void)r;
    atomic_store(&loop->wake_pending, 0);
}

void cio__loop_post_threadsafe(cio_loop_t *loop, struct cio__cb *cb)
{
    pthread_mutex_lock(&loop->ts_lock);
    cio__queue_push(&loop->ts_queue, cb);
    atomic_store(&loop->ts_pending, 1);
    /* The wake-up goes out under the lock: once it is released the loop may
     * run cb, finish and be closed, and this thread must not touch it (a
     * subprocess's waiter thread posts its child's exit and the loop may end
     * right after).  cio_loop_close takes the lock to close the fd. */
    if (!atomic_exchange(&loop->wake_pending, 1)) {
        uint64_t one = 1;
        ssize_t r = write(loop->wake_fd, &one, sizeof one);
        (void)r;
    }
    pthread_mutex_unlock(&loop->ts_lock);
}

/* ----------------------------------------------------------- lifecycle */

static void run_due(struct cio__cb *cb);

int cio_loop_new(cio_loop_t **out)
{
    if (!out)
        return -EINVAL;
    *out = NULL;
    cio_loop_t *loop = cio__calloc(sizeof *loop);
    if (!loop)
        return -ENOMEM;
    int rc;
    loop->obj.magic = CIO__MAGIC_LOOP;
    loop->obj.refs = 1;
    loop->backend = &cio__backend_epoll;
    loop->backend_fd = -1;
    cio__queue_init(&loop->ready);
    cio__queue_init(&loop->flushq);
    cio__queue_init(&loop->ts_queue);
    cio__heap_init(&loop->timers);
    loop->due_cb.run = run_due;
    cio__stack_pool_init(&loop->stacks, CIO__DEFAULT_STACK);
    cio__pool_init(&loop->task_pool, sizeof(struct cio__task));
    cio__pool_init(&loop->handle_pool, sizeof(struct cio_handle_s));
    const char *dbg = getenv("CIO_DEBUG");
    loop->debug = dbg && *dbg && strcmp(dbg, "0") != 0;
    loop->slow_ns = 100000000; /* asyncio's slow_callback_duration, 0.1 s */
    if ((rc = pthread_mutex_init(&loop->ts_lock, NULL)) != 0) {
        rc = -rc;
        goto fail_mutex;
    }
    loop->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (loop->wake_fd < 0) {
        rc = -errno;
        goto fail_eventfd;
    }
    if ((rc = loop->backend->init(loop)) < 0)
        goto fail_backend;
    loop->wake_io.fd = loop->wake_fd;
    loop->wake_io.events = CIO__IO_READ;
    loop->wake_io.cb = on_wake;
    if ((rc = loop->backend->add(loop, &loop->wake_io)) < 0)
        goto fail_add;
    cio__stack_install_overflow_handler();
    *out = loop;
    return 0;

fail_add:
    loop->backend->close(loop);
fail_backend:
    close(loop->wake_fd);
fail_eventfd:
    pthread_mutex_destroy(&loop->ts_lock);
fail_mutex:
    cio__free(loop);
    return rc;
}

static void drop_pending(cio_loop_t *loop)
{
    /* With loop->closed set, every ready-queue entry releases what it holds
     * without calling user code. */
    for (;;) {
        pthread_mutex_lock(&loop->ts_lock);
        struct cio__cb *cb = loop->ts_queue.head;
        cio__queue_init(&loop->ts_queue);
        atomic_store(&loop->ts_pending, 0);
        pthread_mutex_unlock(&loop->ts_lock);
        while (cb) {
            struct cio__cb *next = cb->next;
            cb->run(cb);
            cb = next;
        }
        cb = loop->flushq.head;
        cio__queue_init(&loop->flushq);
        while (cb) {
            struct cio__cb *next = cb->next;
            cb->run(cb);
            cb = next;
        }
        cb = loop->ready.head;
        cio__queue_init(&loop->ready);
        while (cb) {
            struct cio__cb *next = cb->next;
            cb->run(cb);
            cb = next;
        }
        struct cio__timer *t;
        while ((t = cio__heap_pop(&loop->timers)))
            t->fire(t); /* what they wake or queue runs in the next round */
        if (cio__queue_empty(&loop->ready) && !atomic_load(&loop->ts_pending))
            break;
    }
}

int cio_loop_close(cio_loop_t *loop)
{
    if (cio__loop_check(loop))
        return -EINVAL;
    if (loop->running)
        return cio__refuse(loop, "cio_loop_close", CIO_ELOOPRUNNING, "Cannot close a running event loop");
    if (loop->closed == 2)
        return 0;
    if (loop->ntasks_pending)
        return cio__refuse(loop, "cio_loop_close", -EBUSY, "tasks of the loop are still pending");
    cio__executor_shutdown(loop);
    loop->closed = 1;
    drop_pending(loop);
    if (loop->nobjs) {
        loop->closed = 0;
        return cio__refuse(loop, "cio_loop_close", -EBUSY,
                           "a future, task, handle or generator of the loop is still referenced");
    }
    loop->closed = 2;
    cio__file_loop_close(loop);
    cio__signal_loop_close(loop);
    cio__fdwatch_close(loop);
    loop->backend->del(loop, &loop->wake_io);
    loop->backend->close(loop);
    pthread_mutex_lock(&loop->ts_lock); /* a poster may be writing to it */
    close(loop->wake_fd);
    loop->wake_fd = -1;
    pthread_mutex_unlock(&loop->ts_lock);
    cio__heap_free(&loop->timers);
    cio__stack_pool_destroy(&loop->stacks);
    cio__pool_destroy(&loop->task_pool);
    cio__pool_destroy(&loop->handle_pool);
    if (cio__tls.set == loop)
        cio__tls.set = NULL;
    return 0;
}

int cio_loop_free(cio_loop_t *loop)
{
    int rc = cio_loop_close(loop);
    if (rc < 0)
        return rc;
    pthread_mutex_destroy(&loop->ts_lock);
    loop->obj.magic = CIO__MAGIC_DEAD;
    cio__free(loop);
    return 0;
}

int cio_loop_is_running(cio_loop_t *loop)
{
    return cio__loop_check(loop) ? -EINVAL : loop->running;
}

int cio_loop_is_closed(cio_loop_t *loop)
{
    return cio__loop_check(loop) ? -EINVAL : loop->closed == 2;
}

double cio_loop_time(cio_loop_t *loop)
{
    (void)loop;
    return (double)cio__now_ns() / 1e9;
}

int cio_loop_set_debug(cio_loop_t *loop, int enabled)
{
    if (cio__loop_check(loop))
        return -EINVAL;
    loop->debug = enabled != 0;
    return 0;
}

int cio_loop_set_slow_callback_duration(cio_loop_t *loop, double seconds)
{
    int64_t ns;
    if (cio__loop_check(loop) || !(seconds > 0) || cio__double_to_ns(seconds, &ns) < 0)
        return -EINVAL;
    loop->slow_ns = ns;
    return 0;
}

double cio_loop_get_slow_callback_duration(cio_loop_t *loop)
{
    return cio__loop_check(loop) ? -1.0 : (double)loop->slow_ns / 1e9;
}

int cio_loop_get_debug(cio_loop_t *loop)
{
    return cio__loop_check(loop) ? -EINVAL : loop->debug;
}

int cio_loop_set_stack_size(cio_loop_t *loop, size_t size)
{
    if (cio__loop_check(loop) || size < CIO__MIN_STACK || size > ((size_t)1 << 30))
        return -EINVAL;
    size_t ps = (size_t)sysconf(_SC_PAGESIZE);
    size = (size + ps - 1) & ~(ps - 1);
    if (size == loop->stacks.stack_size)
        return 0;
    if (loop->stacks.slabs)
        return -EBUSY; /* stacks of the old size are in use */
    loop->stacks.stack_size = size;
    return 0;
}

/* -------------------------------------------------------------- phases */

/* Move other threads' posts behind what is ready (also called by
 * cio_call_soon, so that one FIFO holds: see post_threadsafe). */
static void ts_drain(cio_loop_t *loop)
{
    if (!atomic_load_explicit(&loop->ts_pending, memory_order_acquire))
        return;
    pthread_mutex_lock(&loop->ts_lock);
    if (loop->ts_queue.head) {
        *loop->ready.tailp = loop->ts_queue.head;
        loop->ready.tailp = loop->ts_queue.tailp;
        cio__queue_init(&loop->ts_queue);
    }
    atomic_store(&loop->ts_pending, 0);
    pthread_mutex_unlock(&loop->ts_lock);
}

static void phase_threadsafe(cio_loop_t *loop)
{
    ts_drain(loop);
}

static int64_t phase_timeout(cio_loop_t *loop)
{
    if (!cio__queue_empty(&loop->ready) || loop->stopping)
        return 0;
    if (!loop->timers.len)
        return -1;
    int64_t when = cio__heap_top_when(&loop->timers);
    loop->now = cio__now_ns();
    return when > loop->now ? when - loop->now : 0;
}

/* Memory back after a spike: when the loop is about to block with more
 * free task stacks than CIO__STACKS_KEEP, a period of CIO__TRIM_EVERY_NS
 * begins; at its end the stacks no task took during it give their pages
 * back (cio__stack_pool_trim), and so does the C heap (malloc_trim), and
 * another period begins while stacks are still held.  Returns when to look
 * again (INT64_MAX: not until stacks are freed). */
#define CIO__TRIM_EVERY_NS 1000000000LL
#define CIO__STACKS_KEEP 64
static int64_t idle_trim(cio_loop_t *loop, int64_t now)
{
    struct cio__stack_pool *p = &loop->stacks;
    if (p->nfree <= p->ntrimmed + CIO__STACKS_KEEP) {
        loop->next_trim = 0;
        return INT64_MAX;
    }
    if (!loop->next_trim) {
        loop->next_trim = now + CIO__TRIM_EVERY_NS;
        p->low = p->nfree;
    } else if (now >= loop->next_trim) {
        size_t before = p->ntrimmed;
        size_t more = cio__stack_pool_trim(p, CIO__STACKS_KEEP);
#if defined(__GLIBC__)
        if (p->ntrimmed > before)
            malloc_trim(0);
#else
        (void)before;
#endif
        loop->next_trim = more ? now + CIO__TRIM_EVERY_NS : 0;
    }
    return loop->next_trim ? loop->next_trim : INT64_MAX;
}

static void phase_poll(cio_loop_t *loop, int64_t timeout)
{
    if (timeout == 0) {
        /* Busy: poll when it is due (every CIO__POLL_EVERY-th iteration or
         * CIO__POLL_GAP_NS after the last poll), and not at all when no
         * watcher but the wake-up eventfd exists (threadsafe posts are seen
         * through ts_pending in phase_threadsafe). */
        if (!loop->nwatchers)
            return;
        int64_t now = cio__now_ns();
        if (!cio__loop_poll_due(loop, loop->iteration, now))
            return;
        loop->last_poll = now;
        loop->backend->poll(loop, 0);
        return;
    }
    /* About to block: memory a spike left idle goes back first; while some
     * may still go back, the wait is bounded so that it is looked at again. */
    int64_t now = cio__now_ns();
    int64_t trim_at = idle_trim(loop, now);
    if (trim_at != INT64_MAX && (timeout < 0 || timeout > trim_at - now))
        timeout = trim_at > now ? trim_at - now : 0;
    loop->backend->poll(loop, timeout);
    loop->last_poll = cio__now_ns();
}

/* What the batch wrote leaves now, a system call per connection. */
static void phase_flush(cio_loop_t *loop)
{
    struct cio__cb *cb = loop->flushq.head;
    if (!cb)
        return;
    cio__queue_init(&loop->flushq);
    while (cb) {
        struct cio__cb *next = cb->next;
        cb->run(cb);
        cb = next;
    }
}

/* Due timers move to the due list, in deadline order (ties in insertion
 * order), and one entry behind everything already ready runs them: asyncio
 * appends due TimerHandles to _ready, and their callbacks run in this
 * iteration's batch.  So a call_later callback runs in this batch, and a
 * sleeping task, woken by its timer's fire, in the next, as asyncio's task
 * is woken by the future its timer handle completes. */
static void phase_timers(cio_loop_t *loop)
{
    struct cio__heap *h = &loop->timers;
    if (!h->len)
        return;
    loop->now = cio__now_ns();
    /* Due-ness is read from the heap's copy of each deadline; the timers
     * themselves, often on task stacks untouched since they were armed, are
     * asked for now and read when they fire. */
    uint32_t before = h->ndue;
    while (h->len && cio__heap_top_when(h) <= loop->now) {
        __builtin_prefetch(h->a[0].t, 1);
        cio__heap_pop_due(h);
    }
    if (h->ndue > before && !loop->due_queued) {
        loop->due_queued = 1;
        cio__loop_schedule(loop, &loop->due_cb);
    }
}

/* cio_loop_stop_with_error from a timer's callback: the due timers not
 * fired yet stay due, first in the next run (asyncio leaves them in _ready). */
static void keep_due(cio_loop_t *loop, uint32_t from)
{
    struct cio__heap *h = &loop->timers;
    uint32_t k = 0;
    for (uint32_t i = from; i < h->ndue; i++)
        if (h->due[i]) {
            h->due[k] = h->due[i];
            h->due[k]->idx = CIO__TIMER_DUE | k;
            k++;
        }
    h->ndue = k;
    if (k) {
        loop->due_queued = 1;
        loop->due_cb.next = loop->ready.head;
        loop->ready.head = &loop->due_cb;
        if (!loop->due_cb.next)
            loop->ready.tailp = &loop->due_cb.next;
    }
}

static void run_due(struct cio__cb *cb)
{
    cio_loop_t *loop = cio__container_of(cb, cio_loop_t, due_cb);
    struct cio__heap *h = &loop->timers;
    loop->due_queued = 0;
    /* A fire may take later entries off (NULL) or arm new timers (into the
     * heap; the list is read through h, as arming may move it). */
    for (uint32_t i = 0; i < h->ndue; i++) {
        struct cio__timer *t = h->due[i];
        if (!t)
            continue;
        if (i + 2 < h->ndue && h->due[i + 2])
            __builtin_prefetch(h->due[i + 2], 1);
        h->due[i] = NULL;
        t->idx = CIO__TIMER_NONE;
        if (__builtin_expect(loop->debug, 0))
            cio__debug_run_timer(loop, t);
        else
            t->fire(t);
        if (__builtin_expect(loop->exit_err != 0, 0)) {
            keep_due(loop, i + 1);
            return;
        }
    }
    h->ndue = 0;
}

/* The batch lives in the loop so that a suspending task can hand the CPU
 * straight to the next task of the batch (cio__task_suspend). */
static void phase_run_ready(cio_loop_t *loop)
{
    struct cio__cb *cb;
    loop->batch = loop->ready.head;
    cio__queue_init(&loop->ready);
    if (__builtin_expect(loop->debug, 0)) {
        while ((cb = loop->batch)) {
            loop->batch = cb->next;
            if (cb == &loop->due_cb)
                cb->run(cb); /* times each timer it fires */
            else
                cio__debug_run_cb(loop, cb);
        }
        return;
    }
    while ((cb = loop->batch)) {
        loop->batch = cb->next;
        cio__batch_prefetch(cb->next);
        cb->run(cb);
    }
}

int cio__loop_run_once(cio_loop_t *loop)
{
    phase_threadsafe(loop);
    int64_t timeout = phase_timeout(loop);
    phase_poll(loop, timeout);
    phase_timers(loop);
    phase_run_ready(loop);
    phase_flush(loop);
    loop->iteration++;
    return 0;
}

int cio_loop_run_forever(cio_loop_t *loop)
{
    if (cio__loop_check(loop))
        return -EINVAL;
    if (loop->closed)
        return cio__refuse(loop, "cio_loop_run_forever", CIO_ELOOPCLOSED, "Event loop is closed");
    if (loop->running)
        return cio__refuse(loop, "cio_loop_run_forever", CIO_ELOOPRUNNING, "This event loop is already running");
    if (cio__tls.running)
        return cio__refuse(loop, "cio_loop_run_forever", CIO_ELOOPRUNNING,
                           "Cannot run the event loop while another loop is running");
    loop->running = 1;
    loop->owner = pthread_self();
    cio__tls.running = loop;
    cio__stack_thread_enter();
    for (;;) {
        cio__loop_run_once(loop);
        if (loop->stopping)
            break;
    }
    cio__stack_thread_leave();
    int rc = loop->exit_err;
    loop->exit_err = 0;
    loop->stopping = 0;
    loop->running = 0;
    cio__tls.running = NULL;
    return rc;
}

int cio_loop_stop(cio_loop_t *loop)
{
    if (cio__loop_check(loop))
        return -EINVAL;
    loop->stopping = 1;
    return 0;
}

/* asyncio's SystemExit/KeyboardInterrupt out of a callback: _run_once is
 * left at once, what remained of the batch stays in _ready.  Here the rest
 * of the batch goes back to the front of the ready queue now, so the batch
 * ends when the caller returns (or suspends). */
int cio_loop_stop_with_error(cio_loop_t *loop, int err)
{
    if (cio__loop_check(loop) || err >= 0)
        return -EINVAL;
    if (!loop->running || cio__tls.running != loop)
        return CIO_EINVALSTATE;
    struct cio__cb *rest = loop->batch;
    if (rest) {
        struct cio__cb *last = rest;
        while (last->next)
            last = last->next;
        last->next = loop->ready.head;
        if (!loop->ready.head)
            loop->ready.tailp = &last->next;
        loop->ready.head = rest;
        loop->batch = NULL;
    }
    if (!loop->exit_err)
        loop->exit_err = err;
    loop->stopping = 1;
    return 0;
}

static int stop_when_done(cio_future_t *f, void *arg)
{
    (void)f;
    cio_loop_stop(arg);
    return 0;
}

int cio_loop_run_until_complete(cio_loop_t *loop, cio_future_t *fut, void **result)
{
    if (cio__loop_check(loop) || cio__future_check(fut))
        return -EINVAL;
    if (fut->loop != loop)
        return cio__refuse(loop, "cio_loop_run_until_complete", CIO_EWRONGLOOP,
                           "The future belongs to a different loop than the one specified");
    if (loop->closed)
        return cio__refuse(loop, "cio_loop_run_until_complete", CIO_ELOOPCLOSED, "Event loop is closed");
    if (loop->running || cio__tls.running)
        return cio__refuse(loop, "cio_loop_run_until_complete", CIO_ELOOPRUNNING, "This event loop is already running");
    int rc = cio_future_add_done_callback(fut, stop_when_done, loop);
    if (rc < 0)
        return rc;
    cio_ref(fut);
    rc = cio_loop_run_forever(loop);
    cio_future_remove_done_callback(fut, stop_when_done, loop);
    if (rc == 0) {
        if (fut->state == CIO__PENDING)
            rc = CIO_ESTOPPED;
        else
            rc = cio_future_result(fut, result);
    }
    cio_unref(fut);
    return rc;
}

/* ------------------------------------------------------------- handles */

static void handle_free(cio_handle_t *h)
{
    h->obj.magic = CIO__MAGIC_DEAD;
    if (h->h_pooled) {
        h->loop->nobjs--;
        cio__pool_put(&h->loop->handle_pool, h);
    } else {
        cio__free(h); /* a thread-safe post's: never counted, may outlive the loop */
    }
}

/* A thread-safe post's handle may be released by the posting thread while
 * the loop runs it: its count is atomic (a loop-thread handle's is not). */
static void handle_unref(cio_handle_t *h)
{
    if (!h->h_pooled) {
        if (__atomic_sub_fetch(&h->obj.refs, 1, __ATOMIC_ACQ_REL) == 0)
            handle_free(h);
        return;
    }
    if (--h->obj.refs == 0)
        handle_free(h);
}

static void handle_run(struct cio__cb *cb)
{
    cio_handle_t *h = cio__container_of(cb, cio_handle_t, u.cb);
    if (!__atomic_load_n(&h->h_cancelled, __ATOMIC_ACQUIRE) && !h->loop->closed) {
        h->h_ran = 1;
        /* cio_fail in the callback keeps its message for the report. */
        char *msg = NULL, **prev = cio__tls.fail_msg;
        cio__tls.fail_msg = &msg;
        int rc = h->fn(h->arg);
        cio__tls.fail_msg = prev;
        if (rc < 0)
            cio__loop_report(h->loop, "Exception in callback", rc, msg, NULL, h);
        cio__free(msg);
    }
    handle_unref(h);
}

static void handle_fire(struct cio__timer *t)
{
    cio_handle_t *h = cio__container_of(t, cio_handle_t, timer);
    handle_run(&h->u.cb); /* its place in the batch is the due list's */
}

/* pooled: only from the loop's own thread. */
static cio_handle_t *handle_new(cio_loop_t *loop, cio_callback_fn *fn, void *arg, bool pooled)
{
    cio_handle_t *h = pooled ? cio__pool_get(&loop->handle_pool) : cio__malloc(sizeof *h);
    if (!h)
        return NULL;
    h->h_pooled = pooled;
    h->obj.magic = CIO__MAGIC_HANDLE;
    h->obj.refs = 1;
    h->u.cb.run = handle_run;
    h->timer.idx = CIO__TIMER_NONE;
    h->timer.fire = handle_fire;
    h->loop = loop;
    h->fn = fn;
    h->arg = arg;
    h->h_is_timer = 0;
    h->h_cancelled = 0;
    h->h_ran = 0;
    return h;
}

static int give_handle(cio_handle_t *h, cio_handle_t **out)
{
    if (out) {
        h->obj.refs++;
        *out = h;
    }
    return 0;
}

int cio_call_soon(cio_loop_t *loop, cio_callback_fn *fn, void *arg, cio_handle_t **out)
{
    if (out)
        *out = NULL;
    if (cio__loop_check(loop) || !fn)
        return -EINVAL;
    if (loop->closed)
        return cio__refuse(loop, "cio_call_soon", CIO_ELOOPCLOSED, "Event loop is closed");
    int rc = cio__debug_thread_check(loop, "cio_call_soon");
    if (rc < 0)
        return rc;
    cio_handle_t *h = handle_new(loop, fn, arg, true);
    if (!h)
        return -ENOMEM;
    loop->nobjs++;
    ts_drain(loop); /* posted before: runs before */
    cio__loop_schedule(loop, &h->u.cb);
    return give_handle(h, out);
}

static int call_at_s(cio_loop_t *loop, double when, cio_callback_fn *fn, void *arg, cio_handle_t **out)
{
    if (loop->closed)
        return cio__refuse(loop, "cio_call_later/cio_call_at", CIO_ELOOPCLOSED, "Event loop is closed");
    int rc = cio__debug_thread_check(loop, "cio_call_later/cio_call_at");
    if (rc < 0)
        return rc;
    if (cio__heap_reserve(&loop->timers, 1) < 0)
        return -ENOMEM;
    cio_handle_t *h = handle_new(loop, fn, arg, true);
    if (!h)
        return -ENOMEM;
    loop->nobjs++;
    h->h_is_timer = 1;
    h->u.t.when = when;
    h->timer.when = cio__deadline_ns(when);
    cio__heap_push(&loop->timers, &h->timer);
    return give_handle(h, out);
}

/* asyncio: call_at(self.time() + delay); a negative delay is a deadline in
 * the past, ordered by it among the other due timers (not clamped to now). */
int cio_call_later(cio_loop_t *loop, double delay, cio_callback_fn *fn, void *arg, cio_handle_t **out)
{
    if (out)
        *out = NULL;
    if (cio__loop_check(loop) || !fn || isnan(delay) || isinf(delay))
        return -EINVAL;
    return call_at_s(loop, cio_loop_time(loop) + delay, fn, arg, out);
}

int cio_call_at(cio_loop_t *loop, double when, cio_callback_fn *fn, void *arg, cio_handle_t **out)
{
    if (out)
        *out = NULL;
    if (cio__loop_check(loop) || !fn || isnan(when) || isinf(when))
        return -EINVAL;
    return call_at_s(loop, when, fn, arg, out);
}

/* A thread-safe post is not counted in loop->nobjs (that counter belongs to
 * the loop's thread).
 *
 * asyncio keeps one FIFO: call_soon_threadsafe appends to the ready queue at
 * once.  Here another thread's post waits in ts_queue for phase_threadsafe;
 * so that it still runs before what the loop's thread schedules after it,
 * cio_call_soon takes pending posts in first (ts_drain), and a post from the
 * loop's own running thread goes straight onto the ready queue. */
static void ts_drain(cio_loop_t *loop);

static int post_threadsafe(cio_loop_t *loop, cio_callback_fn *fn, void *arg, cio_handle_t **out)
{
    if (out)
        *out = NULL;
    if (cio__loop_check(loop) || !fn)
        return -EINVAL;
    if (loop->closed)
        return CIO_ELOOPCLOSED;
    if (cio__tls.running == loop) {
        cio_handle_t *h = handle_new(loop, fn, arg, true);
        if (!h)
            return -ENOMEM;
        loop->nobjs++;
        ts_drain(loop);
        cio__loop_schedule(loop, &h->u.cb);
        return give_handle(h, out);
    }
    cio_handle_t *h = handle_new(loop, fn, arg, false);
    if (!h)
        return -ENOMEM;
    if (out) {
        h->obj.refs++; /* before the loop may see it */
        *out = h;
    }
    cio__loop_post_threadsafe(loop, &h->u.cb);
    return 0;
}

int cio_call_soon_threadsafe(cio_loop_t *loop, cio_callback_fn *fn, void *arg)
{
    return post_threadsafe(loop, fn, arg, NULL);
}

int cio_call_soon_threadsafe_handle(cio_loop_t *loop, cio_callback_fn *fn, void *arg, cio_handle_t **handle)
{
    return post_threadsafe(loop, fn, arg, handle);
}

static int handle_check(cio_handle_t *h)
{
    return h && h->obj.magic == CIO__MAGIC_HANDLE ? 0 : -EINVAL;
}

int cio_handle_cancel(cio_handle_t *h)
{
    if (handle_check(h))
        return -EINVAL;
    if (__atomic_load_n(&h->h_cancelled, __ATOMIC_ACQUIRE))
        return 0;
    /* As asyncio: set even after the callback ran.  Atomic: a thread-safe
     * post's handle may be cancelled from the posting thread. */
    __atomic_store_n(&h->h_cancelled, 1, __ATOMIC_RELEASE);
    if (h->timer.idx != CIO__TIMER_NONE) {
        cio__heap_remove(&h->loop->timers, &h->timer);
        handle_unref(h); /* the heap's reference: h is still the caller's */
    }
    return 0;
}

int cio_handle_cancelled(cio_handle_t *h)
{
    return handle_check(h) ? -EINVAL : __atomic_load_n(&h->h_cancelled, __ATOMIC_ACQUIRE);
}

double cio_handle_when(cio_handle_t *h)
{
    if (handle_check(h) || !h->h_is_timer)
        return -1;
    return h->u.t.when;
}

/* -------------------------------------------------------- references */

void *cio_ref(void *obj)
{
    struct cio__obj *o = obj;
    if (!o)
        return NULL;
    switch (o->magic) {
    case CIO__MAGIC_FUTURE:
    case CIO__MAGIC_TASK:
    case CIO__MAGIC_HANDLE:
    case CIO__MAGIC_STREAM:
    case CIO__MAGIC_TRANSPORT:
    case CIO__MAGIC_SERVER:
    case CIO__MAGIC_TLS:
    case CIO__MAGIC_PROCESS:
        if (!o->refs)
            return NULL;
        o->refs++;
        return obj;
    default:
        return NULL;
    }
}

int cio_unref(void *obj)
{
    struct cio__obj *o = obj;
    if (!o)
        return 0;
    switch (o->magic) {
    case CIO__MAGIC_FUTURE:
    case CIO__MAGIC_TASK:
        return cio__future_unref(obj);
    case CIO__MAGIC_HANDLE:
        handle_unref(obj);
        return 0;
    case CIO__MAGIC_STREAM:
    case CIO__MAGIC_TRANSPORT:
        return o->refs ? cio__net_unref(obj) : -EINVAL;
    case CIO__MAGIC_SERVER:
        return o->refs ? cio__net_unref(obj) : -EINVAL;
    case CIO__MAGIC_TLS:
        return o->refs ? cio__net_unref(obj) : -EINVAL;
    case CIO__MAGIC_PROCESS:
        return cio__process_unref(obj);
    default:
        return -EINVAL;
    }
}

/* ---------------------------------------------------- error handling */

void cio_loop_default_exception_handler(cio_loop_t *loop, const cio_exc_context_t *ctx)
{
    (void)loop;
    if (!ctx)
        return;
    char buf[512];
    int n = snprintf(buf, sizeof buf, "cio: %s", ctx->message ? ctx->message : "Unhandled error");
    if (ctx->error && n < (int)sizeof buf)
        n += snprintf(buf + n, sizeof buf - (size_t)n, ": %s (%s)", cio_err_name(ctx->error),
                      cio_strerror(ctx->error));
    if (ctx->error_message && n < (int)sizeof buf)
        n += snprintf(buf + n, sizeof buf - (size_t)n, ": %s", ctx->error_message);
    if (ctx->future && n < (int)sizeof buf)
        n += snprintf(buf + n, sizeof buf - (size_t)n, " [%s]", cio__task_name(ctx->future));
    if (ctx->future && ctx->future->kind == CIO__KIND_TASK && cio__task_of(ctx->future)->dbg &&
        cio__task_of(ctx->future)->dbg->file && n < (int)sizeof buf)
        n += snprintf(buf + n, sizeof buf - (size_t)n, " created at %s:%d", cio__task_of(ctx->future)->dbg->file,
                      cio__task_of(ctx->future)->dbg->line);
    cio_log(CIO_LOG_ERROR, "%s", buf + 5); /* without the "cio: " the log adds */
}

int cio_loop_call_exception_handler(cio_loop_t *loop, const cio_exc_context_t *ctx)
{
    if (cio__loop_check(loop) || !ctx)
        return -EINVAL;
    if (loop->exc_handler)
        loop->exc_handler(loop, ctx, loop->exc_ud);
    else
        cio_loop_default_exception_handler(loop, ctx);
    return 0;
}

void cio__loop_report(cio_loop_t *loop, const char *message, int err, const char *errmsg, cio_future_t *f,
                      cio_handle_t *h)
{
    cio_exc_context_t ctx = {message, err, errmsg, f, h};
    cio_loop_call_exception_handler(loop, &ctx);
}

int cio_loop_set_exception_handler(cio_loop_t *loop, cio_exception_handler_fn *fn, void *ud)
{
    if (cio__loop_check(loop))
        return -EINVAL;
    loop->exc_handler = fn;
    loop->exc_ud = fn ? ud : NULL;
    return 0;
}

cio_exception_handler_fn *cio_loop_get_exception_handler(cio_loop_t *loop, void **ud)
{
    if (cio__loop_check(loop))
        return NULL;
    if (ud)
        *ud = loop->exc_ud;
    return loop->exc_handler;
}

/* --------------------------------------------------- the thread's loop */

int cio_get_running_loop(cio_loop_t **loop)
{
    if (!loop)
        return -EINVAL;
    *loop = cio__tls.running;
    return *loop ? 0 : CIO_ENOLOOP;
}

int cio_get_event_loop(cio_loop_t **loop)
{
    if (!loop)
        return -EINVAL;
    *loop = cio__tls.running ? cio__tls.running : cio__tls.set;
    return *loop ? 0 : CIO_ENOLOOP;
}

int cio_set_event_loop(cio_loop_t *loop)
{
    if (loop && cio__loop_check(loop))
        return -EINVAL;
    cio__tls.set = loop;
    return 0;
}
