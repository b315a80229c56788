/* Channels: bounded multi-producer multi-consumer queues of fixed-size
 * values, shared between threads and loops (Go's chan, with select).
 *
 * The protocol.  A channel is a mutex, a ring of `cap` slots and two FIFO
 * lists of waiters (senders, receivers).  Every operation is a select over
 * one or more cases: with every channel involved locked (in address order),
 * the first case that can complete does so at once; otherwise, unless the
 * caller asked not to wait, one waiter record per case is linked into its
 * channel's list and the caller sleeps.  All the records of one select
 * share a `struct sel` on the caller's stack whose atomic `winner` is -1
 * while it waits.  Whoever completes a case for a waiter (a sender finding
 * a waiting receiver, a receiver finding a waiting sender, close) first
 * claims the select with a compare-and-swap of `winner` from -1 to the
 * case's index, under that channel's lock; a waiter whose select was
 * already claimed is stale and is only unlinked.  The claimer copies the
 * value, unlinks the record and, after unlocking, wakes the owner: a task
 * of the same loop through its ready queue, a task of another loop by
 * posting its step through that loop's thread-safe queue (one eventfd
 * write at most), a plain thread through a futex.  The owner cannot resume
 * before that wake-up, so its records stay valid as long as anyone can
 * reach them; once resumed it unlinks the records still linked, under the
 * channels' locks.
 *
 * Cancelling a waiting task claims the select the same way (winner ->
 * SEL_CANCELLED): if the claim succeeds nothing was transferred and the
 * operation ends with -ECANCELED; if a transfer won the race, the operation
 * reports its success and the cancel stays pending for the task's next
 * suspension point.  So a cancel never loses or duplicates an item.
 *
 * A waiting operation holds a reference on each channel it waits on, so a
 * channel is never freed under a waiter. */
#include "internal.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <linux/futex.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define CHAN_MAGIC 0x4368616eu /* "Chan" */
#define SEL_WAITING (-1)
#define SEL_CANCELLED (-2)
#define SEL_MAX 64        /* cases of one select */
#define SEL_ON_STACK 4    /* cases whose records need no allocation */

struct sel {
    atomic_int winner;        /* SEL_WAITING, a case index, SEL_CANCELLED */
    atomic_int done;          /* thread owners: the transfer is complete */
    struct cio__task *task;   /* NULL: a plain thread waits */
    cio_loop_t *loop;         /* the task's loop */
};

struct cwait {
    struct cwait *prev, *next;
    struct cwq *q;            /* the list it is in, NULL once out */
    struct sel *sel;
    void *buf;                /* send: the value; receive: where it goes */
    int index;                /* its case */
    int rc;                   /* 0 or CIO_ECHANCLOSED, set by the claimer */
    struct cwait *wake_next;  /* close: the claimed records to wake */
};

struct cwq {
    struct cwait *head, *tail;
};

struct cio_chan_s {
    uint32_t magic;
    atomic_uint refs;
    pthread_mutex_t lock;
    size_t esize;
    size_t cap;
    size_t head, count;       /* the ring: oldest slot, values in it */
    int closed;
    struct cwq sendq, recvq;
    unsigned char *ring;      /* cap * esize bytes, after the struct */
};

static inline int chan_check(const cio_chan_t *ch)
{
    return ch && ch->magic == CHAN_MAGIC ? 0 : -EINVAL;
}

/* ------------------------------------------------------------ lifetime */

int cio_chan_new(size_t elem_size, long capacity, cio_chan_t **out)
{
    if (out)
        *out = NULL;
    if (!out || capacity < 0 || capacity > INT32_MAX || elem_size > (size_t)INT32_MAX)
        return -EINVAL;
    size_t cap = (size_t)capacity;
    if (elem_size && cap > ((size_t)1 << 40) / elem_size) /* a TiB of ring: absurd */
        return -EINVAL;
    cio_chan_t *ch = cio__malloc(sizeof *ch + cap * elem_size);
    if (!ch)
        return -ENOMEM;
    memset(ch, 0, sizeof *ch);
    int rc = pthread_mutex_init(&ch->lock, NULL);
    if (rc != 0) {
        cio__free(ch);
        return -rc;
    }
    ch->magic = CHAN_MAGIC;
    atomic_init(&ch->refs, 1);
    ch->esize = elem_size;
    ch->cap = cap;
    ch->ring = (unsigned char *)(ch + 1);
    *out = ch;
    return 0;
}

cio_chan_t *cio_chan_ref(cio_chan_t *ch)
{
    if (chan_check(ch))
        return NULL;
    atomic_fetch_add_explicit(&ch->refs, 1, memory_order_relaxed);
    return ch;
}

int cio_chan_unref(cio_chan_t *ch)
{
    if (chan_check(ch))
        return -EINVAL;
    unsigned left = atomic_fetch_sub_explicit(&ch->refs, 1, memory_order_acq_rel) - 1;
    if (left)
        return (int)(left > INT_MAX ? INT_MAX : left);
    ch->magic = CIO__MAGIC_DEAD;
    pthread_mutex_destroy(&ch->lock);
    cio__free(ch);
    return 0;
}

long cio_chan_len(cio_chan_t *ch)
{
    if (chan_check(ch))
        return -EINVAL;
    pthread_mutex_lock(&ch->lock);
    long n = (long)ch->count;
    pthread_mutex_unlock(&ch->lock);
    return n;
}

long cio_chan_cap(cio_chan_t *ch)
{
    return chan_check(ch) ? -EINVAL : (long)ch->cap;
}

int cio_chan_closed(cio_chan_t *ch)
{
    if (chan_check(ch))
        return -EINVAL;
    pthread_mutex_lock(&ch->lock);
    int c = ch->closed;
    pthread_mutex_unlock(&ch->lock);
    return c;
}

/* --------------------------------------------------------------- waiters */

static inline void cwq_push(struct cwq *q, struct cwait *w)
{
    w->q = q;
    w->next = NULL;
    w->prev = q->tail;
    if (q->tail)
        q->tail->next = w;
    else
        q->head = w;
    q->tail = w;
}

static inline void cwq_remove(struct cwait *w)
{
    struct cwq *q = w->q;
    if (w->prev)
        w->prev->next = w->next;
    else
        q->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        q->tail = w->prev;
    w->q = NULL;
}

/* The first waiter of q whose select this call claims, unlinked; stale
 * ones met on the way are unlinked too.  NULL: none. */
static struct cwait *cwq_claim(struct cwq *q)
{
    struct cwait *w;
    while ((w = q->head)) {
        cwq_remove(w);
        int exp = SEL_WAITING;
        if (atomic_compare_exchange_strong_explicit(&w->sel->winner, &exp, w->index, memory_order_acq_rel,
                                                    memory_order_acquire))
            return w;
    }
    return NULL;
}

static long futex(atomic_int *addr, int op, int val)
{
    return syscall(SYS_futex, (int *)addr, op, val, NULL, NULL, 0);
}

/* Wake a claimed select's owner.  Called without channel locks: the owner
 * cannot resume before this, so the select is still there. */
static void sel_wake(struct sel *s)
{
    if (s->task) {
        if (s->loop == cio__tls.running)
            cio__task_wake(s->task, 0);
        else /* its wake_rc stays the 0 its suspension set */
            cio__loop_post_threadsafe(s->loop, &s->task->step);
    } else {
        atomic_store_explicit(&s->done, 1, memory_order_release);
        futex(&s->done, FUTEX_WAKE_PRIVATE, 1); /* a stale address is harmless */
    }
}

/* ------------------------------------------------------------ transfers */

static inline unsigned char *slot(cio_chan_t *ch, size_t i)
{
    i += ch->head;
    if (i >= ch->cap)
        i -= ch->cap;
    return ch->ring + i * ch->esize;
}

static inline void copy(cio_chan_t *ch, void *dst, const void *src)
{
    if (ch->esize)
        memcpy(dst, src, ch->esize);
}

/* Try to complete a send of item on ch (locked).  1: done (*rc 0 or
 * CIO_ECHANCLOSED), with *wake a receiver to wake; 0: it would wait. */
static int try_send_locked(cio_chan_t *ch, const void *item, int *rc, struct cwait **wake)
{
    if (ch->closed) {
        *rc = CIO_ECHANCLOSED;
        return 1;
    }
    struct cwait *w = cwq_claim(&ch->recvq);
    if (w) { /* receivers wait only while the ring is empty */
        copy(ch, w->buf, item);
        w->rc = 0;
        *wake = w;
        *rc = 0;
        return 1;
    }
    if (ch->count < ch->cap) {
        copy(ch, slot(ch, ch->count), item);
        ch->count++;
        *rc = 0;
        return 1;
    }
    return 0;
}

static int try_recv_locked(cio_chan_t *ch, void *out, int *rc, struct cwait **wake)
{
    struct cwait *w = cwq_claim(&ch->sendq);
    if (w) {
        if (ch->count) { /* senders wait only while the ring is full */
            copy(ch, out, slot(ch, 0));
            copy(ch, slot(ch, 0), w->buf); /* the oldest slot becomes the newest */
            if (++ch->head == ch->cap)
                ch->head = 0;
        } else {
            copy(ch, out, w->buf);
        }
        w->rc = 0;
        *wake = w;
        *rc = 0;
        return 1;
    }
    if (ch->count) {
        copy(ch, out, slot(ch, 0));
        if (++ch->head == ch->cap)
            ch->head = 0;
        ch->count--;
        *rc = 0;
        return 1;
    }
    if (ch->closed) {
        *rc = CIO_ECHANCLOSED;
        return 1;
    }
    return 0;
}

int cio_chan_close(cio_chan_t *ch)
{
    if (chan_check(ch))
        return -EINVAL;
    struct cwait *wake = NULL, *w;
    pthread_mutex_lock(&ch->lock);
    if (ch->closed) {
        pthread_mutex_unlock(&ch->lock);
        return CIO_ECHANCLOSED;
    }
    ch->closed = 1;
    /* Waiting receivers: the ring is empty, nothing more will come.
     * Waiting senders: their values are not taken (they stay theirs). */
    struct cwq *qs[2] = {&ch->recvq, &ch->sendq};
    for (int i = 0; i < 2; i++)
        while ((w = cwq_claim(qs[i]))) {
            w->rc = CIO_ECHANCLOSED;
            w->wake_next = wake;
            wake = w;
        }
    pthread_mutex_unlock(&ch->lock);
    while (wake) {
        w = wake;
        wake = w->wake_next; /* read before the owner may go */
        sel_wake(w->sel);
    }
    return 0;
}

/* --------------------------------------------------------------- select */

static int cmp_ptr(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t) * (cio_chan_t *const *)a, y = (uintptr_t) * (cio_chan_t *const *)b;
    return x < y ? -1 : x > y;
}

static void lock_all(cio_chan_t **chs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        pthread_mutex_lock(&chs[i]->lock);
}

static void unlock_all(cio_chan_t **chs, size_t n)
{
    for (size_t i = n; i-- > 0;)
        pthread_mutex_unlock(&chs[i]->lock);
}

static int sel_cancel(struct cio__task *t)
{
    struct sel *s = t->wait->obj;
    int exp = SEL_WAITING;
    if (atomic_compare_exchange_strong_explicit(&s->winner, &exp, SEL_CANCELLED, memory_order_acq_rel,
                                                memory_order_acquire)) {
        cio__task_wake(t, -ECANCELED);
        return 1;
    }
    return 0; /* a transfer won: it completes, the cancel stays pending */
}

static int do_select(cio_chan_case_t *cases, size_t n, int nowait)
{
    if (!cases || n == 0 || n > SEL_MAX)
        return -EINVAL;
    cio_chan_t *chs_buf[SEL_MAX];
    size_t nch = 0;
    for (size_t i = 0; i < n; i++) {
        cio_chan_case_t *c = &cases[i];
        c->rc = 0;
        if (!c->chan)
            continue; /* Go's nil channel: never ready */
        if (chan_check(c->chan) || (c->op != CIO_CHAN_SEND && c->op != CIO_CHAN_RECV) ||
            (!c->item && c->chan->esize))
            return -EINVAL;
        chs_buf[nch++] = c->chan;
    }
    if (nch == 0 && !nowait)
        return -EINVAL; /* would wait forever */
    struct cio__task *t = NULL;
    if (!nowait) {
        t = cio__tls.task;
        if (!t && cio__tls.running)
            return CIO_ENOTASK; /* a loop's callback must not block its loop */
    }
    /* Distinct channels, in address order: the order every select locks in. */
    if (nch > 1) {
        qsort(chs_buf, nch, sizeof chs_buf[0], cmp_ptr);
        size_t k = 1;
        for (size_t i = 1; i < nch; i++)
            if (chs_buf[i] != chs_buf[k - 1])
                chs_buf[k++] = chs_buf[i];
        nch = k;
    }
    lock_all(chs_buf, nch);
    for (size_t i = 0; i < n; i++) {
        cio_chan_case_t *c = &cases[i];
        if (!c->chan)
            continue;
        struct cwait *wake = NULL;
        int rc, ready = c->op == CIO_CHAN_SEND ? try_send_locked(c->chan, c->item, &rc, &wake)
                                               : try_recv_locked(c->chan, c->item, &rc, &wake);
        if (ready) {
            unlock_all(chs_buf, nch);
            if (wake)
                sel_wake(wake->sel);
            c->rc = rc;
            return (int)i;
        }
    }
    if (nowait) {
        unlock_all(chs_buf, nch);
        return -EAGAIN;
    }
    struct cwait ws_buf[SEL_ON_STACK], *ws = ws_buf;
    if (n > SEL_ON_STACK && !(ws = cio__malloc(n * sizeof *ws))) {
        unlock_all(chs_buf, nch);
        return -ENOMEM;
    }
    struct sel s;
    atomic_init(&s.winner, SEL_WAITING);
    atomic_init(&s.done, 0);
    s.task = t;
    s.loop = t ? t->fut.loop : NULL;
    for (size_t i = 0; i < n; i++) {
        cio_chan_case_t *c = &cases[i];
        ws[i].q = NULL;
        if (!c->chan)
            continue;
        ws[i].sel = &s;
        ws[i].buf = c->item;
        ws[i].index = (int)i;
        ws[i].rc = 0;
        cwq_push(c->op == CIO_CHAN_SEND ? &c->chan->sendq : &c->chan->recvq, &ws[i]);
    }
    for (size_t i = 0; i < nch; i++)
        atomic_fetch_add_explicit(&chs_buf[i]->refs, 1, memory_order_relaxed);
    unlock_all(chs_buf, nch);

    int rc = 0;
    if (t) {
        rc = cio__task_suspend(t, sel_cancel, &s);
    } else {
        while (!atomic_load_explicit(&s.done, memory_order_acquire))
            futex(&s.done, FUTEX_WAIT_PRIVATE, 0);
    }
    int win = atomic_load_explicit(&s.winner, memory_order_acquire);
    /* Unlink what is still linked: the claimer unlinked the winner's record,
     * stale ones may remain in the other channels' lists. */
    lock_all(chs_buf, nch);
    for (size_t i = 0; i < n; i++)
        if (cases[i].chan && ws[i].q)
            cwq_remove(&ws[i]);
    unlock_all(chs_buf, nch);
    for (size_t i = 0; i < nch; i++)
        cio_chan_unref(chs_buf[i]);
    int wrc = win >= 0 ? ws[win].rc : 0;
    if (ws != ws_buf)
        cio__free(ws);
    if (win == SEL_CANCELLED)
        return -ECANCELED;
    if (rc == -ECANCELED) /* cancelled after the transfer: deliver it later */
        t->fut.tflags |= CIO__T_MUST_CANCEL;
    cases[win].rc = wrc;
    return win;
}

int cio_chan_select(cio_chan_case_t *cases, size_t n, int flags)
{
    if (flags & ~CIO_CHAN_NOWAIT)
        return -EINVAL;
    return do_select(cases, n, flags & CIO_CHAN_NOWAIT);
}

/* One case: its rc, or the select's error. */
static int one(cio_chan_t *ch, int op, void *item, int nowait)
{
    if (chan_check(ch))
        return -EINVAL;
    cio_chan_case_t c = {ch, op, item, 0};
    int rc = do_select(&c, 1, nowait);
    return rc < 0 ? rc : c.rc;
}

int cio_chan_send(cio_chan_t *ch, const void *item)
{
    return one(ch, CIO_CHAN_SEND, (void *)(uintptr_t)item, 0);
}

int cio_chan_recv(cio_chan_t *ch, void *out)
{
    return one(ch, CIO_CHAN_RECV, out, 0);
}

int cio_chan_try_send(cio_chan_t *ch, const void *item)
{
    return one(ch, CIO_CHAN_SEND, (void *)(uintptr_t)item, 1);
}

int cio_chan_try_recv(cio_chan_t *ch, void *out)
{
    return one(ch, CIO_CHAN_RECV, out, 1);
}
