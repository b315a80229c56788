/* Fixed-size object pools for the loop's hot objects (tasks, handles).
 *
 * On these machines a first-touch page fault costs 10-17 us, which makes
 * the fault, not the work, the price of a million fresh tasks or timers.
 * A pool takes memory from the allocator in 4 MiB chunks and asks the
 * kernel for transparent huge pages on the 2 MiB-aligned part
 * (MADV_HUGEPAGE), so one fault maps 2 MiB.  Objects carry no malloc
 * header.  Freed objects go to a LIFO free list and are reused while the
 * loop lives; chunks go back when the loop closes.  Single-threaded: used
 * only from the loop's thread. */
#include "internal.h"

#include <sys/mman.h>

#ifdef CIO__ASAN
#include <sanitizer/asan_interface.h>
/* Freed objects stay poisoned but for their free-list link, so ASan still
 * reports a use after free of a pooled task or handle. */
#define POISON(p, n) __asan_poison_memory_region((char *)(p) + sizeof(void *), (n) - sizeof(void *))
#define UNPOISON(p, n) __asan_unpoison_memory_region((p), (n))
#else
#define POISON(p, n) ((void)0)
#define UNPOISON(p, n) ((void)0)
#endif

#define CIO__POOL_CHUNK ((size_t)4 << 20)
#define CIO__POOL_WINDOW ((size_t)256 << 10)
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#define CIO__HUGE ((size_t)2 << 20)

void cio__pool_init(struct cio__pool *p, size_t objsize)
{
    p->objsize = (objsize + 15) & ~(size_t)15;
    p->free = NULL;
    p->cur = p->end = p->populated = NULL;
    p->chunks = NULL;
    p->nget = 0;
}

static int pool_grow(struct cio__pool *p)
{
    /* The chunk's first bytes link the chunks for the final release. */
    char *c = cio__malloc(CIO__POOL_CHUNK);
    if (!c)
        return -1;
    *(void **)c = p->chunks;
    p->chunks = c;
    uintptr_t start = ((uintptr_t)c + sizeof(void *) + 15) & ~(uintptr_t)15;
    uintptr_t huge = ((uintptr_t)c + CIO__HUGE - 1) & ~(uintptr_t)(CIO__HUGE - 1);
    uintptr_t end = (uintptr_t)c + CIO__POOL_CHUNK;
    if (huge + CIO__HUGE <= end)
        madvise((void *)huge, CIO__HUGE, MADV_HUGEPAGE); /* advice only: may fail */
    p->cur = (char *)start;
    p->end = (char *)end;
    return 0;
}

/* Map the next window of fresh objects in one call: far cheaper than a
 * fault per page where faults are slow (advice only: older kernels refuse). */
static void populate_from(struct cio__pool *p, char *from)
{
    uintptr_t lo = (uintptr_t)from & ~(uintptr_t)4095;
    uintptr_t hi = lo + CIO__POOL_WINDOW;
    if (hi > (uintptr_t)p->end)
        hi = (uintptr_t)p->end & ~(uintptr_t)4095;
    if (hi > lo)
        madvise((void *)lo, hi - lo, MADV_POPULATE_WRITE);
    p->populated = (char *)hi;
}

void *cio__pool_get(struct cio__pool *p)
{
    if (p->free) {
        void *o = p->free;
        p->free = *(void **)o;
        UNPOISON(o, p->objsize);
        return o;
    }
    if ((size_t)(p->end - p->cur) < p->objsize) {
        if (pool_grow(p) < 0)
            return NULL;
        p->populated = p->cur;
    }
    if (p->cur + p->objsize > p->populated && p->nget > 64)
        populate_from(p, p->cur);
    p->nget++;
    void *o = p->cur;
    p->cur += p->objsize;
    return o;
}

void cio__pool_put(struct cio__pool *p, void *o)
{
    *(void **)o = p->free;
    p->free = o;
    POISON(o, p->objsize);
}

void cio__prefault(void *ptr, size_t n)
{
    if (n < ((size_t)64 << 10))
        return; /* small: the faults cost less than the call */
    uintptr_t lo = ((uintptr_t)ptr + 4095) & ~(uintptr_t)4095;
    uintptr_t hi = ((uintptr_t)ptr + n) & ~(uintptr_t)4095;
    if (hi > lo)
        madvise((void *)lo, hi - lo, MADV_POPULATE_WRITE);
}

void cio__pool_destroy(struct cio__pool *p)
{
    void *c = p->chunks;
#ifdef CIO__ASAN
    for (void *o = p->free; o; o = *(void **)o)
        UNPOISON(o, p->objsize);
#endif
    while (c) {
        void *next = *(void **)c;
        cio__free(c);
        c = next;
    }
    cio__pool_init(p, p->objsize);
}
