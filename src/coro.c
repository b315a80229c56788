/* Making and switching execution contexts: the assembly switch of the
 * architecture, or ucontext when CIO_USE_UCONTEXT is set (forced by the
 * build, or where no assembly exists).  Under AddressSanitizer every switch
 * is announced with the fiber API so that ASan follows the stack change. */
#include "internal.h"

#include <string.h>

#ifdef CIO__TSAN
#include <sanitizer/tsan_interface.h>
/* The thread's own context, as TSan knows it (learnt at the first switch
 * away from it). */
static _Thread_local void *sched_fiber;

/* A stack gets a fresh TSan fiber each time a task starts on it. */
static void tsan_fresh(struct cio__stack *s)
{
    if (s->tsan_fiber)
        __tsan_destroy_fiber(s->tsan_fiber);
    s->tsan_fiber = __tsan_create_fiber(0);
}

void cio__tsan_stack_gone(struct cio__stack *s)
{
    if (s->tsan_fiber)
        __tsan_destroy_fiber(s->tsan_fiber);
    s->tsan_fiber = NULL;
}
#endif

#ifdef CIO__ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
/* The thread's own stack, learnt the first time a task starts. */
static _Thread_local const void *sched_bottom;
static _Thread_local size_t sched_size;
#endif

/* A reused stack still carries the shadow of the frames of the task that
 * ended on it: clear it before a new task starts there. */
static void stack_fresh(struct cio__stack *s)
{
#ifdef CIO__ASAN
    __asan_unpoison_memory_region(s->lo, (size_t)((char *)s - s->lo));
#endif
#ifdef CIO__TSAN
    tsan_fresh(s);
#endif
    (void)s;
}

#if !defined(CIO_USE_UCONTEXT)
void cio__ctx_make(struct cio__stack *s, void (*entry)(void))
{
    stack_fresh(s);
    uintptr_t top = (uintptr_t)s & ~(uintptr_t)15;
    void **sp = (void **)top;
#if defined(__x86_64__)
    *--sp = NULL;            /* the entry's return address: it never returns */
    *--sp = (void *)entry;   /* popped by ret */
    for (int i = 0; i < 6; i++)
        *--sp = NULL;        /* rbp rbx r12 r13 r14 r15 */
    uint32_t ctl[2] = {0x1F80u, 0x037Fu}; /* MXCSR, x87 control word: defaults */
    --sp;
    memcpy(sp, ctl, sizeof ctl);
#elif defined(__aarch64__)
    sp -= 22; /* 176-byte frame */
    memset(sp, 0, 176);
    sp[11] = (void *)entry; /* x30 */
#else
#error "no context switch for this architecture: build with CIO_USE_UCONTEXT"
#endif
    s->ctx.sp = sp;
}

static inline __attribute__((unused)) void raw_switch(struct cio__ctx *from, struct cio__ctx *to)
{
    cio__switch_asm(&from->sp, to->sp);
}
#else
void cio__ctx_make(struct cio__stack *s, void (*entry)(void))
{
    stack_fresh(s);
    getcontext(&s->ctx.uc);
    s->ctx.uc.uc_stack.ss_sp = s->lo;
    s->ctx.uc.uc_stack.ss_size = (size_t)((char *)s - s->lo) & ~(size_t)15;
    s->ctx.uc.uc_link = NULL;
    makecontext(&s->ctx.uc, entry, 0);
}

static inline __attribute__((unused)) void raw_switch(struct cio__ctx *from, struct cio__ctx *to)
{
    swapcontext(&from->uc, &to->uc);
}
#endif

/* The floating-point control state a new task starts with: what
 * cio__ctx_make puts in a fresh context (x86-64: MXCSR 0x1F80 and x87
 * control word 0x037F; AArch64: FPCR 0).  For a task started on a stack
 * its predecessor ended on, without a switch. */
void cio__fp_default(void)
{
#if defined(__x86_64__)
    uint32_t mxcsr = 0x1F80u;
    uint16_t cw = 0x037Fu;
    __asm__ volatile("ldmxcsr %0\n\tfldcw %1" : : "m"(mxcsr), "m"(cw));
#elif defined(__aarch64__)
    __asm__ volatile("msr fpcr, xzr");
#endif
}

#if defined(CIO__TSAN) && !defined(CIO__ASAN)
void cio__ctx_switch(struct cio__ctx *from, struct cio__ctx *to, struct cio__stack *to_stack, bool dying)
{
    (void)dying;
    if (!sched_fiber)
        sched_fiber = __tsan_get_current_fiber(); /* the first switch leaves the thread's stack */
    __tsan_switch_to_fiber(to_stack ? to_stack->tsan_fiber : sched_fiber, 0);
    raw_switch(from, to);
}
#endif

#ifdef CIO__ASAN
void cio__ctx_switch(struct cio__ctx *from, struct cio__ctx *to, struct cio__stack *to_stack, bool dying)
{
    void *fake = NULL;
    const void *bottom = to_stack ? (const void *)to_stack->lo : sched_bottom;
    size_t size = to_stack ? (size_t)((char *)to_stack - to_stack->lo) : sched_size;
    __sanitizer_start_switch_fiber(dying ? NULL : &fake, bottom, size);
    raw_switch(from, to);
    __sanitizer_finish_switch_fiber(fake, NULL, NULL);
}
#endif

void cio__ctx_started(void)
{
#ifdef CIO__ASAN
    const void *b;
    size_t n;
    __sanitizer_finish_switch_fiber(NULL, &b, &n);
    if (!sched_bottom) {
        sched_bottom = b;
        sched_size = n;
    }
#endif
}
