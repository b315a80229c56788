/* The timer heap: a 4-ary min-heap of (deadline, insertion sequence) kept in
 * one array.  Each entry caches its deadline beside the pointer, so sifting
 * compares without touching the timers; only ties read the sequence.  Each
 * timer knows its index, which makes removal O(log n). */
#include "internal.h"

#include <errno.h>

void cio__heap_init(struct cio__heap *h)
{
    h->a = NULL;
    h->len = h->cap = 0;
    h->seq = 0;
}

void cio__heap_free(struct cio__heap *h)
{
    cio__free(h->a);
    cio__heap_init(h);
}

int cio__heap_reserve(struct cio__heap *h, uint32_t extra)
{
    if (h->len + extra <= h->cap)
        return 0;
    uint32_t cap = h->cap ? h->cap : 64;
    while (cap < h->len + extra)
        cap *= 2;
    struct cio__heap_ent *a = cio__realloc(h->a, (size_t)cap * sizeof *a);
    if (!a)
        return -ENOMEM;
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
        h->a[i].t->idx = i;
        i = p;
    }
    h->a[i] = e;
    e.t->idx = i;
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
        h->a[i].t->idx = i;
        i = m;
    }
    h->a[i] = e;
    e.t->idx = i;
}

void cio__heap_push(struct cio__heap *h, struct cio__timer *t)
{
    t->seq = h->seq++;
    h->a[h->len] = (struct cio__heap_ent){t->when, t};
    sift_up(h, h->len++);
}

void cio__heap_remove(struct cio__heap *h, struct cio__timer *t)
{
    uint32_t i = t->idx;
    if (i == CIO__TIMER_NONE)
        return;
    t->idx = CIO__TIMER_NONE;
    uint32_t last = --h->len;
    if (i == last)
        return;
    h->a[i] = h->a[last];
    h->a[i].t->idx = i;
    if (i > 0 && ent_less(&h->a[i], &h->a[(i - 1) / 4]))
        sift_up(h, i);
    else
        sift_down(h, i);
}

struct cio__timer *cio__heap_pop(struct cio__heap *h)
{
    if (!h->len)
        return NULL;
    struct cio__timer *t = h->a[0].t;
    cio__heap_remove(h, t);
    return t;
}
