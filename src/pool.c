/* Fixed-size object pools for the loop's hot objects (tasks, handles).
 *
 * On these machines a first-touch page fault costs 10-17 us, which makes
 * the fault, not the work, the price of a million fresh tasks or timers.
 * A pool takes its first 64 KiB from the allocator as it comes (some
 * hundreds of objects: a small program stays small); then 4 MiB chunks,
 * 2 MiB-aligned, for which it asks the kernel for transparent huge pages
 * (MADV_HUGEPAGE), so one fault maps 2 MiB, where small pages would cost
 * 512 faults or populate steps (a bigger first chunk measured slower: 100k
 * fresh tasks paid ~6 ns each for its small pages).  Objects carry no malloc
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
#define CIO__POOL_FIRST ((size_t)64 << 10)
#define CIO__POOL_WINDOW ((size_t)256 << 10)
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#define CIO__HUGE ((size_t)2 << 20)

void cio__pool_init(struct cio__pool *p, size_t objsize)
{
    /* Pointer alignment is all the pooled objects need (internal.h checks
     * it), so a 152-byte task takes 152 bytes, not 160. */
    p->objsize = (objsize + 7) & ~(size_t)7;
    p->free = NULL;
    p->cur = p->end = p->populated = NULL;
    p->chunks = NULL;
    p->nget = 0;
}

static int pool_grow(struct cio__pool *p)
{
    /* The first chunk is small and on small pages: a small program stays
     * small.  A pool that needs a second chunk is big, so from then on each
     * chunk is over-allocated by 2 MiB and its aligned 4 MiB advised for
     * huge pages: two faults map it all, where small pages would cost a
     * thousand. */
    bool first = p->chunks == NULL;
    size_t len = first ? CIO__POOL_FIRST : CIO__POOL_CHUNK + CIO__HUGE;
    char *c = cio__malloc(len);
    if (!c)
        return -1;
    /* The chunk's first bytes link the chunks for the final release. */
    *(void **)c = p->chunks;
    p->chunks = c;
    uintptr_t start = (uintptr_t)c + sizeof(void *);
    uintptr_t end = (uintptr_t)c + len;
    if (!first) {
        start = ((uintptr_t)c + sizeof(void *) + CIO__HUGE - 1) & ~(uintptr_t)(CIO__HUGE - 1);
        end = start + CIO__POOL_CHUNK <= end ? start + CIO__POOL_CHUNK : end;
        madvise((void *)start, end - start, MADV_HUGEPAGE); /* advice only: may fail */
    }
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
    if (hi <= lo)
        return;
    /* Large: its whole 2 MiB pages are asked for as huge pages first, each
     * mapped by one fault rather than 512. */
    uintptr_t hlo = (lo + CIO__HUGE - 1) & ~(uintptr_t)(CIO__HUGE - 1);
    uintptr_t hhi = hi & ~(uintptr_t)(CIO__HUGE - 1);
    if (hhi > hlo)
        madvise((void *)hlo, hhi - hlo, MADV_HUGEPAGE);
    madvise((void *)lo, hi - lo, MADV_POPULATE_WRITE);
}

/* Large arrays: the bytes before the returned pointer keep the allocation's
 * own address.  From 2 MiB on, the array starts on a 2 MiB boundary and
 * spans whole huge pages, advised and mapped in one call: the last page may
 * be partly unused (at most 2 MiB, and then no more than the array), where
 * small pages would cost a fault or a populate step each. */
void *cio__big_alloc(size_t n)
{
    bool big = n >= CIO__HUGE;
    size_t span = big ? (n + CIO__HUGE - 1) & ~(CIO__HUGE - 1) : n;
    size_t extra = big ? CIO__HUGE + sizeof(void *) : 16;
    if (span < n || span + extra < span)
        return NULL; /* overflow */
    char *raw = cio__malloc(span + extra);
    if (!raw)
        return NULL;
    char *p = raw + 16;
    if (big) {
        p = (char *)(((uintptr_t)raw + sizeof(void *) + CIO__HUGE - 1) & ~(uintptr_t)(CIO__HUGE - 1));
        madvise(p, span, MADV_HUGEPAGE);
        madvise(p, span, MADV_POPULATE_WRITE);
    }
    ((void **)p)[-1] = raw;
    return p;
}

void cio__big_free(void *p)
{
    if (p)
        cio__free(((void **)p)[-1]);
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
