/* Debug mode and logging: the process-wide log handler, creation sites of
 * tasks, slow-callback reports, the wrong-thread check, and a dump of a
 * loop's tasks. */
#include "internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__GLIBC__)
#include <execinfo.h>
#define CIO__HAVE_BACKTRACE 1
#endif

/* ------------------------------------------------------------------ log */

static cio_log_fn *_Atomic log_fn;
static void *_Atomic log_ud;
static atomic_int log_level = CIO_LOG_WARNING;

void cio_set_log_handler(cio_log_fn *fn, void *ud)
{
    atomic_store(&log_ud, ud);
    atomic_store(&log_fn, fn);
}

void cio_set_log_level(int level)
{
    atomic_store(&log_level, level);
}

static const char *level_name(int level)
{
    return level >= CIO_LOG_ERROR ? "ERROR" : level >= CIO_LOG_WARNING ? "WARNING" : level >= CIO_LOG_INFO ? "INFO" : "DEBUG";
}

void cio_log(int level, const char *fmt, ...)
{
    if (level < atomic_load(&log_level) || !fmt)
        return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    cio_log_fn *fn = atomic_load(&log_fn);
    if (fn)
        fn(level, buf, atomic_load(&log_ud));
    else
        fprintf(stderr, "cio: %s: %s\n", level_name(level), buf);
}

/* ------------------------------------------------------ creation sites */

struct cio__tdbg *cio__debug_site(const char *file, int line)
{
    struct cio__tdbg *d = cio__calloc(sizeof *d);
    if (!d)
        return NULL;
    d->file = file;
    d->line = line;
#ifdef CIO__HAVE_BACKTRACE
    d->nframes = backtrace(d->frames, (int)(sizeof d->frames / sizeof d->frames[0]));
#endif
    return d;
}

static void describe_task(struct cio__task *t, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "Task '%s'", cio__task_name(&t->fut));
    if (t->dbg && t->dbg->file && n >= 0 && (size_t)n < cap)
        snprintf(buf + n, cap - (size_t)n, " created at %s:%d", t->dbg->file, t->dbg->line);
}

/* ------------------------------------------------------ stack high water */

#define PAINT 0xa5
#define PAINT_MARGIN 512 /* the initial frame cio__ctx_make wrote at the top */

void cio__debug_stack_paint(struct cio__stack *s)
{
    size_t n = (size_t)((char *)s - s->lo);
    if (n > PAINT_MARGIN)
        memset(s->lo, PAINT, n - PAINT_MARGIN);
}

static size_t stack_used(const struct cio__stack *s)
{
    const unsigned char *p = (const unsigned char *)s->lo, *end = (const unsigned char *)s;
    size_t n = (size_t)(end - p);
    if (n <= PAINT_MARGIN)
        return n;
    const unsigned char *stop = end - PAINT_MARGIN;
    while (p < stop && *p == PAINT)
        p++;
    return (size_t)(end - p);
}

void cio__debug_stack_measure(struct cio__task *t)
{
    size_t u = stack_used(t->stack);
    if (u > t->dbg->stack_used)
        t->dbg->stack_used = u;
    t->dbg->stack_size = (size_t)((char *)t->stack - t->stack->lo);
}

ssize_t cio_task_stack_high_water(cio_task_t *f, size_t *size)
{
    if (!f || f->obj.magic != CIO__MAGIC_TASK)
        return -EINVAL;
    struct cio__task *t = cio__task_of(f);
    if (!t->dbg)
        return -ENOTSUP;
    if (t->stack) /* running or suspended: measure now */
        cio__debug_stack_measure(t);
    if (size)
        *size = t->dbg->stack_size;
    return (ssize_t)t->dbg->stack_used;
}

/* --------------------------------------------------------- slow callbacks */

void cio__debug_run_cb(cio_loop_t *loop, struct cio__cb *cb)
{
    struct cio__task *t = cio__cb_task(cb);
    char what[256];
    if (t) {
        describe_task(t, what, sizeof what); /* before: the step may free it */
    } else {
        snprintf(what, sizeof what, "callback %p", (void *)cb);
    }
    int64_t t0 = cio__now_ns();
    cb->run(cb);
    int64_t dt = cio__now_ns() - t0;
    if (dt >= loop->slow_ns)
        cio_log(CIO_LOG_WARNING, "Executing %s took %.3f seconds", what, (double)dt / 1e9);
}

/* A due timer's fire, in the ready phase: a call_later handle runs its
 * callback there, so it is timed like one. */
void cio__debug_run_timer(cio_loop_t *loop, struct cio__timer *t)
{
    int64_t t0 = cio__now_ns();
    t->fire(t);
    int64_t dt = cio__now_ns() - t0;
    if (dt >= loop->slow_ns)
        cio_log(CIO_LOG_WARNING, "Executing callback %p (timer) took %.3f seconds", (void *)t, (double)dt / 1e9);
}

int cio__debug_wrong_thread(cio_loop_t *loop, const char *what)
{
    (void)loop;
    cio_log(CIO_LOG_ERROR,
            "%s: non-thread-safe operation invoked on an event loop other than the current one "
            "(use cio_call_soon_threadsafe)",
            what);
    return CIO_EWRONGTHREAD;
}

/* A refused call, in debug mode: asyncio raises RuntimeError (and friends)
 * with a message; here the code is returned, and the log says which call
 * refused what. */
int cio__refuse_slow(cio_loop_t *loop, const char *call, int rc, const char *why)
{
    if (loop && loop->debug)
        cio_log(CIO_LOG_WARNING, "%s refused: %s (%s: %s)", call, why, cio_err_name(rc), cio_strerror(rc));
    return rc;
}

/* ------------------------------------------------------- a task's stack */

/* A suspended task's C stack, from the context cio__switch_asm saved on it:
 * the return address into the code that suspended, then the frame-pointer
 * chain.  Every frame read lies inside the task's own stack (the walk stops
 * at the first one that does not, or that does not go up), so code built
 * without frame pointers gives a shorter stack, never a bad read. */
static __attribute__((unused)) size_t walk_saved(struct cio__stack *s, void **frames, size_t cap)
{
#if !defined(CIO_USE_UCONTEXT) && (defined(__x86_64__) || defined(__aarch64__))
    uintptr_t lo = (uintptr_t)s->lo, hi = (uintptr_t)s; /* the header sits at the top */
    const uintptr_t *sp = s->ctx.sp;
#if defined(__x86_64__)
    uintptr_t fp = sp[6], ret = sp[7]; /* [mxcsr,fpucw][r15][r14][r13][r12][rbx][rbp][return] */
#else
    uintptr_t fp = sp[10], ret = sp[11]; /* x29, x30 of the 176-byte frame */
#endif
    size_t n = 0;
    if (cap && ret)
        frames[n++] = (void *)ret;
    while (n < cap && fp >= lo && fp + 2 * sizeof(uintptr_t) <= hi && (fp & (sizeof(uintptr_t) - 1)) == 0) {
        const uintptr_t *rec = (const uintptr_t *)fp; /* [caller's fp][return address] */
        if (!rec[1])
            break;
        frames[n++] = (void *)rec[1];
        if (rec[0] <= fp)
            break;
        fp = rec[0];
    }
    return n;
#else
    (void)s;
    (void)frames;
    (void)cap;
    return 0;
#endif
}

int cio_task_get_stack(cio_task_t *f, void **frames, size_t cap)
{
    if (!f || f->obj.magic != CIO__MAGIC_TASK || (!frames && cap))
        return -EINVAL;
#if defined(CIO_USE_UCONTEXT) || !(defined(__x86_64__) || defined(__aarch64__))
    return -ENOTSUP;
#else
    struct cio__task *t = cio__task_of(f);
    if (f->state != CIO__PENDING || !(f->tflags & CIO__T_STARTED) || !t->stack)
        return 0; /* done, or not started: no frames (asyncio: []) */
    if (cio__tls.task == t) { /* the task asks for its own: the live stack */
#ifdef CIO__HAVE_BACKTRACE
        void *buf[64];
        int n = backtrace(buf, 64);
        size_t k = 0;
        for (int i = 1; i < n && k < cap; i++) /* without this function's frame */
            frames[k++] = buf[i];
        return (int)k;
#else
        return -ENOTSUP;
#endif
    }
    if (cap > 0x7fffffff)
        cap = 0x7fffffff;
    return (int)walk_saved(t->stack, frames, cap);
#endif
}

static void print_frames(FILE *out, void *const *frames, int n, const char *indent)
{
#ifdef CIO__HAVE_BACKTRACE
    char **sym = backtrace_symbols(frames, n);
    for (int i = 0; i < n; i++) {
        if (sym)
            fprintf(out, "%s%s\n", indent, sym[i]);
        else
            fprintf(out, "%s%p\n", indent, frames[i]);
    }
    free(sym);
#else
    for (int i = 0; i < n; i++)
        fprintf(out, "%s%p\n", indent, frames[i]);
#endif
}

int cio_task_print_stack(cio_task_t *f, FILE *out)
{
    void *frames[64];
    if (!out)
        return -EINVAL;
    int n = cio_task_get_stack(f, frames, 64);
    if (n < 0)
        return n;
    fprintf(out, "Stack for task '%s' (innermost first):\n", cio__task_name(f));
    if (n == 0)
        fprintf(out, "  (no frames: not started, done, or no frame pointers)\n");
    print_frames(out, frames, n, "  ");
    return n;
}

/* ------------------------------------------------------------ task dump */

static const char *task_state(cio_loop_t *loop, struct cio__task *t)
{
    if (cio__tls.task == t)
        return "running";
    if (!(t->fut.tflags & CIO__T_STARTED))
        return "created, not started";
    if (t->wait)
        return "suspended (waiting)";
    (void)loop;
    return "suspended (scheduled)";
}

int cio_loop_print_tasks(cio_loop_t *loop, FILE *f)
{
    if (cio__loop_check(loop))
        return -EINVAL;
    int n = 0;
    for (struct cio__task *t = loop->all_head; t; t = t->all_next) {
        char what[256];
        describe_task(t, what, sizeof what);
        n++;
        if (t->dbg && t->stack)
            cio__debug_stack_measure(t);
        if (f && t->dbg && t->dbg->stack_size)
            fprintf(f, "%s: %s, %d cancel request(s), stack %zu of %zu bytes used\n", what, task_state(loop, t),
                    t->num_cancels, t->dbg->stack_used, t->dbg->stack_size);
        else if (f)
            fprintf(f, "%s: %s, %d cancel request(s)\n", what, task_state(loop, t), t->num_cancels);
        else
            cio_log(CIO_LOG_INFO, "%s: %s, %d cancel request(s)", what, task_state(loop, t), t->num_cancels);
        if (f && t->stack && cio__tls.task != t) { /* a suspended task: where it waits */
            void *frames[32];
            int nf = cio_task_get_stack(&t->fut, frames, 32);
            if (nf > 0) {
                fprintf(f, "  suspended at:\n");
                print_frames(f, frames, nf, "    ");
            }
        }
#ifdef CIO__HAVE_BACKTRACE
        if (f && t->dbg && t->dbg->nframes > 1) {
            char **sym = backtrace_symbols(t->dbg->frames + 1, t->dbg->nframes - 1);
            if (sym) {
                fprintf(f, "  created from:\n");
                for (int i = 0; i < t->dbg->nframes - 1; i++)
                    fprintf(f, "    %s\n", sym[i]);
                free(sym);
            }
        }
#endif
    }
    return n;
}
