/* Queue, LifoQueue, PriorityQueue: asyncio's queues.py (3.13, with
 * shutdown) step for step.
 *
 * Getters and putters wait in FIFO lists of records on their own stacks.
 * As in asyncio a woken waiter is taken off its list and re-checks the
 * queue when it runs; one that was woken and then cancelled wakes the next
 * in line if the queue still allows it, so no item and no free slot is
 * lost.  join() waits in a third list, woken when the unfinished count
 * reaches 0 (asyncio's `_finished` event).
 *
 * Storage: a power-of-two ring for FIFO, an array used as a stack for LIFO,
 * a binary heap of (item, sequence) for priority, so that equal items come
 * out in insertion order.  It grows by doubling and never shrinks.
 */
#include "internal.h"

#include <errno.h>
#include <string.h>

enum { Q_FIFO = 0, Q_LIFO = 1, Q_PRIO = 2 };

struct prio_ent {
    void *item;
    uint64_t seq;
};

struct queue {
    uint64_t magic;
    int64_t maxsize;
    uint64_t kind;
    cio_loop_t *loop; /* loop of the current waiters */
    struct cio__wlist getters, putters, joiners;
    uint32_t nwoken;  /* woken, not yet resumed */
    uint32_t shutdown;
    int64_t unfinished;
    void *buf;        /* void *[cap] or struct prio_ent[cap] */
    size_t cap, len, head;
    uint64_t seq;
    cio_queue_cmp_fn *cmp;
};

_Static_assert(sizeof(struct queue) <= sizeof(cio_queue_t), "cio_queue_t too small");
_Static_assert(offsetof(struct queue, maxsize) == 8 && offsetof(struct queue, kind) == 16, "CIO_QUEUE_INIT");

static inline struct queue *queue_of(const cio_queue_t *q)
{
    struct queue *k = (struct queue *)(uintptr_t)q;
    return k && k->magic == CIO__MAGIC_QUEUE_ && k->kind <= Q_PRIO ? k : NULL;
}

static int queue_init(cio_queue_t *q, long maxsize, int kind, cio_queue_cmp_fn *cmp)
{
    if (!q)
        return -EINVAL;
    memset(q, 0, sizeof *q);
    struct queue *k = (struct queue *)q;
    k->magic = CIO__MAGIC_QUEUE_;
    k->maxsize = maxsize;
    k->kind = (uint64_t)kind;
    k->cmp = cmp;
    return 0;
}

int cio_queue_init(cio_queue_t *q, long maxsize)
{
    return queue_init(q, maxsize, Q_FIFO, NULL);
}

int cio_lifoqueue_init(cio_queue_t *q, long maxsize)
{
    return queue_init(q, maxsize, Q_LIFO, NULL);
}

int cio_priorityqueue_init(cio_queue_t *q, long maxsize, cio_queue_cmp_fn *cmp)
{
    return cmp ? queue_init(q, maxsize, Q_PRIO, cmp) : -EINVAL;
}

static inline int idle(const struct queue *k)
{
    return !k->getters.head && !k->putters.head && !k->joiners.head && !k->nwoken;
}

int cio_queue_destroy(cio_queue_t *q)
{
    struct queue *k = queue_of(q);
    if (!k)
        return -EINVAL;
    if (!idle(k))
        return -EBUSY;
    cio__free(k->buf);
    memset(k, 0, sizeof *k);
    return 0;
}

/* ------------------------------------------------------------- storage */

static inline int full(const struct queue *k)
{
    return k->maxsize > 0 && k->len >= (uint64_t)k->maxsize;
}

static int grow(struct queue *k)
{
    size_t esz = k->kind == Q_PRIO ? sizeof(struct prio_ent) : sizeof(void *);
    size_t ncap = k->cap ? k->cap * 2 : 16;
    if (ncap > SIZE_MAX / esz / 2)
        return -ENOMEM;
    char *nb = cio__malloc(ncap * esz);
    if (!nb)
        return -ENOMEM;
    if (k->kind == Q_FIFO && k->len) {
        /* Unwrap the ring into the start of the new buffer. */
        void **ob = k->buf;
        size_t first = k->cap - k->head < k->len ? k->cap - k->head : k->len;
        memcpy(nb, ob + k->head, first * esz);
        memcpy(nb + first * esz, ob, (k->len - first) * esz);
    } else if (k->len) {
        memcpy(nb, k->buf, k->len * esz);
    }
    cio__free(k->buf);
    k->buf = nb;
    k->cap = ncap;
    k->head = 0;
    return 0;
}

static inline int prio_less(const struct queue *k, const struct prio_ent *a, const struct prio_ent *b)
{
    int c = k->cmp(a->item, b->item);
    return c < 0 || (c == 0 && a->seq < b->seq);
}

static void insert(struct queue *k, void *item)
{
    if (k->kind == Q_FIFO) {
        ((void **)k->buf)[(k->head + k->len) & (k->cap - 1)] = item;
    } else if (k->kind == Q_LIFO) {
        ((void **)k->buf)[k->len] = item;
    } else {
        struct prio_ent *h = k->buf, e = {item, k->seq++};
        size_t i = k->len;
        while (i > 0) {
            size_t p = (i - 1) / 2;
            if (!prio_less(k, &e, &h[p]))
                break;
            h[i] = h[p];
            i = p;
        }
        h[i] = e;
    }
    k->len++;
}

static void *take(struct queue *k)
{
    void *item;
    if (k->kind == Q_FIFO) {
        item = ((void **)k->buf)[k->head];
        k->head = (k->head + 1) & (k->cap - 1);
        k->len--;
    } else if (k->kind == Q_LIFO) {
        item = ((void **)k->buf)[--k->len];
    } else {
        struct prio_ent *h = k->buf;
        item = h[0].item;
        struct prio_ent e = h[--k->len];
        size_t n = k->len, i = 0;
        for (;;) {
            size_t c = 2 * i + 1;
            if (c >= n)
                break;
            if (c + 1 < n && prio_less(k, &h[c + 1], &h[c]))
                c++;
            if (!prio_less(k, &h[c], &e))
                break;
            h[i] = h[c];
            i = c;
        }
        if (n)
            h[i] = e;
    }
    return item;
}

/* ------------------------------------------------------------- waiting */

/* asyncio's _wakeup_next: the first waiter of the list, if any. */
static inline void wake_next(struct queue *k, struct cio__wlist *l)
{
    if (cio__wlist_wake_first(l))
        k->nwoken++;
}

static void queue_wake_all(struct queue *k, struct cio__wlist *l)
{
    while (cio__wlist_wake_first(l))
        k->nwoken++;
}

/* Wait in l; 0 when woken, -ECANCELED.  *woken as in sync.c. */
static int queue_wait(struct queue *k, struct cio__wlist *l, int *woken)
{
    struct cio__task *t = cio__tls.task;
    if (!t)
        return CIO_ENOTASK;
    int rc = cio__sync_loop_check(&k->loop, idle(k));
    if (rc < 0)
        return rc;
    struct cio__waiter w;
    cio__wlist_push(l, &w, t);
    rc = cio__waiter_suspend(t, &w);
    if (w.woken)
        k->nwoken--;
    *woken = w.woken;
    return rc;
}

/* ---------------------------------------------------------------- API */

static int put_nowait(struct queue *k, void *item)
{
    if (k->shutdown)
        return CIO_EQUEUESHUTDOWN;
    if (full(k))
        return CIO_EQUEUEFULL;
    int rc = cio__sync_loop_check(&k->loop, idle(k));
    if (rc < 0)
        return rc;
    if (k->len == k->cap && (rc = grow(k)) < 0)
        return rc;
    insert(k, item);
    k->unfinished++;
    wake_next(k, &k->getters);
    return 0;
}

static int get_nowait(struct queue *k, void **item)
{
    if (!k->len)
        return k->shutdown ? CIO_EQUEUESHUTDOWN : CIO_EQUEUEEMPTY;
    int rc = cio__sync_loop_check(&k->loop, idle(k));
    if (rc < 0)
        return rc;
    *item = take(k);
    wake_next(k, &k->putters);
    return 0;
}

int cio_queue_put_nowait(cio_queue_t *q, void *item)
{
    struct queue *k = queue_of(q);
    return k ? put_nowait(k, item) : -EINVAL;
}

int cio_queue_get_nowait(cio_queue_t *q, void **item)
{
    struct queue *k = queue_of(q);
    if (item)
        *item = NULL;
    return k && item ? get_nowait(k, item) : -EINVAL;
}

int cio_queue_put(cio_queue_t *q, void *item)
{
    struct queue *k = queue_of(q);
    if (!k)
        return -EINVAL;
    while (full(k)) {
        if (k->shutdown)
            return CIO_EQUEUESHUTDOWN;
        int woken = 0;
        int rc = queue_wait(k, &k->putters, &woken);
        if (rc < 0) {
            /* Woken for a free slot it will not use: pass it on. */
            if (woken && !full(k))
                wake_next(k, &k->putters);
            return rc;
        }
    }
    return put_nowait(k, item);
}

int cio_queue_get(cio_queue_t *q, void **item)
{
    struct queue *k = queue_of(q);
    if (item)
        *item = NULL;
    if (!k || !item)
        return -EINVAL;
    while (!k->len) {
        if (k->shutdown)
            return CIO_EQUEUESHUTDOWN;
        int woken = 0;
        int rc = queue_wait(k, &k->getters, &woken);
        if (rc < 0) {
            /* Woken for an item it will not take: pass it on. */
            if (woken && k->len)
                wake_next(k, &k->getters);
            return rc;
        }
    }
    return get_nowait(k, item);
}

long cio_queue_qsize(const cio_queue_t *q)
{
    struct queue *k = queue_of(q);
    return k ? (long)k->len : -EINVAL;
}

int cio_queue_empty(const cio_queue_t *q)
{
    struct queue *k = queue_of(q);
    return k ? k->len == 0 : -EINVAL;
}

int cio_queue_full(const cio_queue_t *q)
{
    struct queue *k = queue_of(q);
    return k ? full(k) : -EINVAL;
}

long cio_queue_maxsize(const cio_queue_t *q)
{
    struct queue *k = queue_of(q);
    return k ? (long)k->maxsize : -EINVAL;
}

int cio_queue_task_done(cio_queue_t *q)
{
    struct queue *k = queue_of(q);
    if (!k)
        return -EINVAL;
    if (k->unfinished <= 0)
        return -EOVERFLOW;
    int rc = cio__sync_loop_check(&k->loop, idle(k));
    if (rc < 0)
        return rc;
    if (--k->unfinished == 0)
        queue_wake_all(k, &k->joiners);
    return 0;
}

int cio_queue_join(cio_queue_t *q)
{
    struct queue *k = queue_of(q);
    if (!k)
        return -EINVAL;
    if (k->unfinished <= 0)
        return 0;
    int woken;
    return queue_wait(k, &k->joiners, &woken);
}

int cio_queue_shutdown(cio_queue_t *q, int immediate, cio_queue_drain_fn *drain, void *ud)
{
    struct queue *k = queue_of(q);
    if (!k)
        return -EINVAL;
    int rc = cio__sync_loop_check(&k->loop, idle(k));
    if (rc < 0)
        return rc;
    k->shutdown = 1;
    int n = 0;
    if (immediate) {
        while (k->len) {
            void *item = take(k);
            if (drain)
                drain(item, ud);
            n++;
            if (k->unfinished > 0)
                k->unfinished--;
        }
        if (k->unfinished == 0)
            queue_wake_all(k, &k->joiners);
    }
    /* Every waiter re-checks: getters of an empty queue and putters get
     * CIO_EQUEUESHUTDOWN. */
    queue_wake_all(k, &k->getters);
    queue_wake_all(k, &k->putters);
    return n;
}
