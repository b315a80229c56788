/* The timer heap: a 4-ary min-heap of (deadline, insertion sequence) kept in
 * one array.  Each entry caches its deadline beside the pointer, so sifting
 * compares without touching the timers; only ties read the sequence.  Each
 * timer knows its slot, and the slot table its position, which makes
 * removal O(log n) without sifting ever writing into a timer. */
#include "internal.h"

#include <errno.h>

void cio__heap_init(struct cio__heap *h)
{
    h->a = NULL;
    h->slots = NULL;
    h->due = NULL;
    h->ndue = 0;
    h->len = h->cap = 0;
    h->nslots = 0;
    h->free_slot = CIO__TIMER_NONE;
    h->seq = 0;
}

void cio__heap_free(struct cio__heap *h)
{
    cio__free(h->a);
    cio__free(h->slots);
    cio__free(h->due);
    cio__heap_init(h);
}

int cio__heap_reserve(struct cio__heap *h, uint32_t extra)
{
    /* Every reserved timer is in the heap or on the due list. */
    uint64_t need = (uint64_t)h->len + h->ndue + extra;
    if (need <= h->cap)
        return 0;
    if (need > CIO__TIMER_DUE - 1)
        return -ENOMEM;
    uint32_t cap = h->cap ? h->cap : 64;
    while (cap < need)
        cap *= 2;
    uint32_t *slots = cio__realloc(h->slots, (size_t)cap * sizeof *slots);
    if (!slots)
        return -ENOMEM;
    h->slots = slots;
    struct cio__timer **due = cio__realloc(h->due, (size_t)cap * sizeof *due);
    if (!due)
        return -ENOMEM; /* the larger tables are kept: harmless */
    h->due = due;
    struct cio__heap_ent *a = cio__realloc(h->a, (size_t)cap * sizeof *a);
    if (!a)
        return -ENOMEM; /* the larger slot table is kept: harmless */
    cio__prefault(a + h->cap, (size_t)(cap - h->cap) * sizeof *a);
    h->a = a;
    h->cap = cap;
    return 0;
}

static inline bool ent_less(const struct cio__heap_ent *x, const struct cio__heap_ent *y)
{
    return x->when < y->when || (x->when == y->when && x->t->seq < y->t->seq);
}

static void sift_up(struct cio__heap *h, uint32_t i)
{
    struct cio__heap_ent e = h->a[i];
    while (i > 0) {
        uint32_t p = (i - 1) / 4;
        if (!ent_less(&e, &h->a[p]))
            break;
        h->a[i] = h->a[p];
        h->slots[h->a[i].slot] = i;
        i = p;
    }
    h->a[i] = e;
    h->slots[e.slot] = i;
}

static void sift_down(struct cio__heap *h, uint32_t i)
{
    struct cio__heap_ent e = h->a[i];
    for (;;) {
        uint32_t c = 4 * i + 1;
        if (c >= h->len)
            break;
        uint32_t end = c + 4 < h->len ? c + 4 : h->len;
        uint32_t m = c;
        for (uint32_t k = c + 1; k < end; k++)
            if (ent_less(&h->a[k], &h->a[m]))
                m = k;
        if (!ent_less(&h->a[m], &e))
            break;
        h->a[i] = h->a[m];
        h->slots[h->a[i].slot] = i;
        i = m;
    }
    h->a[i] = e;
    h->slots[e.slot] = i;
}

void cio__heap_push(struct cio__heap *h, struct cio__timer *t)
{
    uint32_t s = h->free_slot;
    if (s != CIO__TIMER_NONE)
        h->free_slot = h->slots[s];
    else
        s = h->nslots++; /* never beyond cap: one slot per entry */
    t->seq = h->seq++;
    t->idx = s;
    h->a[h->len] = (struct cio__heap_ent){t->when, t, s};
    sift_up(h, h->len++);
}

/* Take out the entry at position i, whose slot is s, without reading its
 * timer. */
static void remove_at(struct cio__heap *h, uint32_t i, uint32_t s)
{
    h->slots[s] = h->free_slot;
    h->free_slot = s;
    uint32_t last = --h->len;
    if (i == last)
        return;
    h->a[i] = h->a[last];
    h->slots[h->a[i].slot] = i;
    if (i > 0 && ent_less(&h->a[i], &h->a[(i - 1) / 4]))
        sift_up(h, i);
    else
        sift_down(h, i);
}

void cio__heap_remove(struct cio__heap *h, struct cio__timer *t)
{
    uint32_t s = t->idx;
    if (s == CIO__TIMER_NONE)
        return;
    t->idx = CIO__TIMER_NONE;
    if (s & CIO__TIMER_DUE)
        h->due[s & ~CIO__TIMER_DUE] = NULL; /* due, not yet fired: it never will */
    else
        remove_at(h, h->slots[s], s);
}

struct cio__timer *cio__heap_pop(struct cio__heap *h)
{
    if (!h->len)
        return NULL;
    /* The heap's own copy says where the top is: the timer, which may sit
     * on a stack out of the caches, is only written to. */
    struct cio__heap_ent top = h->a[0];
    remove_at(h, 0, top.slot);
    top.t->idx = CIO__TIMER_NONE;
    return top.t;
}

void cio__heap_pop_due(struct cio__heap *h)
{
    struct cio__heap_ent top = h->a[0];
    remove_at(h, 0, top.slot);
    top.t->idx = CIO__TIMER_DUE | h->ndue;
    h->due[h->ndue++] = top.t;
}

