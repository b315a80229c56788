/* Task stacks.
 *
 * Stacks come from slabs: one mmap (MAP_NORESERVE) holds many stacks side by
 * side, each laid out as [guard page][usable ... header].  The header
 * (struct cio__stack) sits at the very top of the usable part, next to the
 * first frames, so a task that stays shallow touches a single page.
 *
 * A stack is carved from a slab at a task's first step and goes back to the
 * loop's LIFO free list when the task ends, so the next task reuses memory
 * that is already mapped and warm.
 *
 * Guard pages cost a kernel mapping each (vm.max_map_count, 65530 by
 * default), so only a budget of stacks (an eighth of the limit) gets one; the
 * others are checked in software: the stack pointer is compared with the
 * stack's low end at every suspension (cio__task_suspend).  An overflow into
 * a guard page is caught by a SIGSEGV handler on an alternate signal stack
 * that names the task before the process dies.
 */
#include "internal.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
#if defined(CIO_VALGRIND)
#include <valgrind/valgrind.h>
#endif

struct cio__slab {
    struct cio__slab *next;
    char *base;
    size_t stride; /* guard + usable */
    unsigned n, used;
};

/* The top page of each stack of a new slab, mapped in one call
 * (process_madvise with MADV_POPULATE_WRITE): where first-touch faults are
 * slow, as on these VMs (10-40 us each), mapping the pages in a batch costs
 * a fraction of the faults the stacks' first steps would take one by one,
 * and a slab is carved in full by the tasks that made it grow.  Advice
 * only: where the kernel refuses (before Linux 5.10, or without the advice
 * for another process's memory), the pages fault in as before. */
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
static atomic_int populate_refused;

static void populate_tops(char *base, size_t stride, unsigned n, size_t ps)
{
#if defined(SYS_process_madvise) && defined(SYS_pidfd_open)
    if (atomic_load_explicit(&populate_refused, memory_order_relaxed))
        return;
    struct iovec iov[64];
    int pfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
    if (pfd < 0) {
        atomic_store(&populate_refused, 1);
        return;
    }
    for (unsigned i = 0; i < n;) {
        unsigned k = 0;
        for (; k < 64 && i < n; k++, i++) {
            iov[k].iov_base = base + stride * (i + 1) - ps;
            iov[k].iov_len = ps;
        }
        if (syscall(SYS_process_madvise, pfd, iov, (size_t)k, MADV_POPULATE_WRITE, 0) < 0) {
            if (errno != EINTR && errno != EAGAIN && errno != ENOMEM)
                atomic_store(&populate_refused, 1);
            break;
        }
    }
    close(pfd);
#else
    (void)base, (void)stride, (void)n, (void)ps;
#endif
}

static size_t page_size(void)
{
    static atomic_size_t ps; /* loops of a group start stacks at once */
    size_t v = atomic_load_explicit(&ps, memory_order_relaxed);
    if (!v) {
        v = (size_t)sysconf(_SC_PAGESIZE);
        atomic_store_explicit(&ps, v, memory_order_relaxed);
    }
    return v;
}

static atomic_long guard_budget;
static pthread_once_t guard_once = PTHREAD_ONCE_INIT;

static void guard_init(void)
{
    long lim = 65530;
    FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
    if (f) {
        if (fscanf(f, "%ld", &lim) != 1)
            lim = 65530;
        fclose(f);
    }
    atomic_store(&guard_budget, lim / 8);
}

static bool take_guard(void)
{
    pthread_once(&guard_once, guard_init);
    if (atomic_fetch_sub(&guard_budget, 1) > 0)
        return true;
    atomic_fetch_add(&guard_budget, 1);
    return false;
}

static void give_guard(void)
{
    atomic_fetch_add(&guard_budget, 1);
}

void cio__stack_pool_init(struct cio__stack_pool *p, size_t stack_size)
{
    memset(p, 0, sizeof *p);
    p->stack_size = stack_size;
}

static struct cio__stack *carve(char *region, size_t stride, bool want_guard, bool pooled)
{
    size_t ps = page_size();
    char *lo = region + ps;
    bool guarded = false;
    if (want_guard && take_guard()) {
        if (mprotect(region, ps, PROT_NONE) == 0)
            guarded = true;
        else
            give_guard();
    }
    uintptr_t top = ((uintptr_t)(region + stride) - sizeof(struct cio__stack)) & ~(uintptr_t)63;
    struct cio__stack *s = (struct cio__stack *)top;
    s->lo = lo;
    s->size = stride - ps;
    s->guarded = guarded;
    s->pooled = pooled;
    s->ret = NULL;
    s->ret_stack = NULL;
    s->scopes = NULL;
    s->gen = NULL;
#if defined(CIO__TSAN)
    s->tsan_fiber = NULL;
#endif
#if defined(CIO_VALGRIND)
    /* Tell valgrind this is a stack, so switching to it is not taken for a
     * huge stack-pointer move (client requests are no-ops outside valgrind). */
    s->vg_id = VALGRIND_STACK_REGISTER(lo, (char *)s);
#endif
    return s;
}

struct cio__stack *cio__stack_get(struct cio__stack_pool *p, size_t size)
{
    size_t ps = page_size();
    if (size == 0 || size == p->stack_size) {
        if (p->nfree) {
            struct cio__stack *s = p->free[--p->nfree];
            if (p->nfree < p->low)
                p->low = p->nfree;
            if ((uintptr_t)s & 1) {
                /* Its pages were given back: carved anew, faulting in. */
                p->ntrimmed = p->nfree;
                return carve((char *)((uintptr_t)s & ~(uintptr_t)1), p->stack_size + ps, true, true);
            }
            if (p->nfree >= 2 && !((uintptr_t)p->free[p->nfree - 2] & 1)) {
                /* The task after next gets that one: ask for its header and
                 * first frames now, as a pooled stack has often been out of
                 * the caches since its last task ended. */
                char *top = (char *)p->free[p->nfree - 2];
                for (int k = 0; k < CIO__START_PREFETCH; k += 64)
                    __builtin_prefetch(top - k, 1);
            }
            s->ret = NULL;
            s->ret_stack = NULL;
            s->scopes = NULL;
            s->gen = NULL;
            return s;
        }
        struct cio__slab *sl = p->slabs;
        if (!sl || sl->used == sl->n) {
            unsigned n = sl ? sl->n * 2 : 16;
            if (n > 1024)
                n = 1024;
            size_t stride = p->stack_size + ps;
            if (p->cap < p->total + n) {
                /* Room on the free array for every stack of every slab. */
                size_t cap = p->cap ? p->cap : 16;
                while (cap < p->total + n)
                    cap *= 2;
                struct cio__stack **f = cio__realloc(p->free, cap * sizeof *f);
                if (!f)
                    return NULL;
                p->free = f;
                p->cap = cap;
            }
            struct cio__slab *ns = cio__malloc(sizeof *ns);
            if (!ns)
                return NULL;
            void *m = mmap(NULL, stride * n, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
            if (m == MAP_FAILED) {
                cio__free(ns);
                return NULL;
            }
            populate_tops(m, stride, n, ps);
            ns->base = m;
            ns->stride = stride;
            ns->n = n;
            ns->used = 0;
            ns->next = p->slabs;
            p->slabs = ns;
            p->total += n;
            sl = ns;
        }
        char *region = sl->base + sl->stride * sl->used++;
        return carve(region, sl->stride, true, true);
    }
    /* An odd size: a mapping of its own, always guarded. */
    size_t stride = ((size + ps - 1) & ~(ps - 1)) + ps;
    void *m = mmap(NULL, stride, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    if (mprotect(m, ps, PROT_NONE) != 0) {
        munmap(m, stride);
        return NULL;
    }
    struct cio__stack *s = carve(m, stride, false, false);
    s->guarded = 1;
    return s;
}

void cio__stack_put(struct cio__stack_pool *p, struct cio__stack *s)
{
#if defined(CIO__TSAN)
    cio__tsan_stack_gone(s); /* TSan counts live fibers against its thread limit */
#endif
    if (s->pooled) {
        p->free[p->nfree++] = s; /* room was made when its slab came */
        return;
    }
    size_t ps = page_size();
#if defined(CIO_VALGRIND)
    VALGRIND_STACK_DEREGISTER(s->vg_id);
#endif
#if defined(CIO__TSAN)
    cio__tsan_stack_gone(s);
#endif
    munmap(s->lo - ps, s->size + ps);
}

/* A free stack's pages go back to the kernel, its header included (it
 * reads as zeros until the stack is carved anew); its guard page and guard
 * budget and its valgrind registration too, taken again by carve(). */
size_t cio__stack_pool_trim(struct cio__stack_pool *p, size_t keep)
{
    size_t ps = page_size();
    size_t stride = p->stack_size + ps;
    size_t upto = p->low > keep ? p->low - keep : 0;
    for (size_t i = p->ntrimmed; i < upto; i++) {
        struct cio__stack *s = p->free[i];
        if ((uintptr_t)s & 1)
            continue;
        char *region = s->lo - ps;
        if (s->guarded) {
            if (mprotect(region, ps, PROT_READ | PROT_WRITE) != 0)
                continue; /* keeps its pages: the header must stay true */
            give_guard();
        }
#if defined(CIO__TSAN)
        cio__tsan_stack_gone(s);
#endif
#if defined(CIO_VALGRIND)
        VALGRIND_STACK_DEREGISTER(s->vg_id);
#endif
        madvise(region, stride, MADV_DONTNEED);
        p->free[i] = (struct cio__stack *)((uintptr_t)region | 1);
    }
    if (upto > p->ntrimmed)
        p->ntrimmed = upto;
    p->low = p->nfree;
    return p->nfree > p->ntrimmed + keep ? p->nfree - p->ntrimmed - keep : 0;
}

void cio__stack_pool_destroy(struct cio__stack_pool *p)
{
    struct cio__slab *sl = p->slabs;
    while (sl) {
        struct cio__slab *next = sl->next;
        /* Give back the guard budget of the stacks carved from this slab. */
        for (unsigned i = 0; i < sl->used; i++) {
            char *region = sl->base + sl->stride * i;
            struct cio__stack *s =
                (struct cio__stack *)(((uintptr_t)(region + sl->stride) - sizeof(struct cio__stack)) & ~(uintptr_t)63);
            if (!s->lo)
                continue; /* its pages were given back (cio__stack_pool_trim): nothing held */
            if (s->guarded)
                give_guard();
#if defined(CIO_VALGRIND)
            VALGRIND_STACK_DEREGISTER(s->vg_id);
#endif
#if defined(CIO__TSAN)
            cio__tsan_stack_gone(s);
#endif
        }
        munmap(sl->base, sl->stride * sl->n);
        cio__free(sl);
        sl = next;
    }
    cio__free(p->free);
    memset(p, 0, sizeof *p);
}

/* ------------------------------------------------------ overflow reports */

static struct sigaction old_segv;
static atomic_int handler_installed;

static void write_str(const char *s)
{
    ssize_t r = write(2, s, strlen(s));
    (void)r;
}

static void write_num(uint64_t v)
{
    char buf[24];
    int i = sizeof buf;
    buf[--i] = 0;
    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    write_str(buf + i);
}

void cio__stack_report_overflow(struct cio__task *t)
{
    write_str("cio: stack overflow in task '");
    if (t->name)
        write_str(t->name);
    else {
        write_str("Task-");
        write_num(t->id);
    }
    write_str("' (stack size ");
    write_num(t->stack ? t->stack->size : 0);
    write_str(" bytes); raise it with cio_task_opts_t.stack_size or cio_loop_set_stack_size\n");
}

static void on_segv(int sig, siginfo_t *si, void *ucv)
{
    (void)ucv;
    struct cio__task *t = cio__tls.task;
    if (t && t->stack) {
        char *a = si->si_addr;
        char *lo = t->stack->lo;
        if (a < lo + 256 && a >= lo - 64 * 1024)
            cio__stack_report_overflow(t);
    }
    /* Let the fault happen again with the previous disposition: the process
     * ends as it would have without us. */
    sigaction(sig, &old_segv, NULL);
}

void cio__stack_install_overflow_handler(void)
{
    int expected = 0;
    if (!atomic_compare_exchange_strong(&handler_installed, &expected, 1))
        return;
    struct sigaction cur;
    if (sigaction(SIGSEGV, NULL, &cur) != 0 || (cur.sa_flags & SA_SIGINFO) || cur.sa_handler != SIG_DFL)
        return; /* somebody else (a sanitizer, the user) handles SIGSEGV */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &old_segv);
}

static _Thread_local void *alt_mem;
static _Thread_local int alt_depth;
#define CIO__ALTSTACK_SIZE (64 * 1024)

void cio__stack_thread_enter(void)
{
    if (alt_depth++ > 0)
        return;
    stack_t cur;
    if (sigaltstack(NULL, &cur) == 0 && !(cur.ss_flags & SS_DISABLE))
        return; /* the thread has one already */
    void *m = mmap(NULL, CIO__ALTSTACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return;
    stack_t ss = {.ss_sp = m, .ss_size = CIO__ALTSTACK_SIZE, .ss_flags = 0};
    if (sigaltstack(&ss, NULL) != 0) {
        munmap(m, CIO__ALTSTACK_SIZE);
        return;
    }
    alt_mem = m;
}

void cio__stack_thread_leave(void)
{
    if (--alt_depth > 0 || !alt_mem)
        return;
    stack_t ss = {.ss_sp = NULL, .ss_size = 0, .ss_flags = SS_DISABLE};
    sigaltstack(&ss, NULL);
    munmap(alt_mem, CIO__ALTSTACK_SIZE);
    alt_mem = NULL;
}
