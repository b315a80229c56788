/* Channels: buffered and rendezvous transfers, close (drain, then closed),
 * cancellation that loses and duplicates nothing, select (Go's semantics),
 * bad input, and many producers and consumers on several loops and plain
 * threads (every item exactly once, in order per producer). */
#include "harness.h"

#include <pthread.h>
#include <stdint.h>

/* A setup step that must work (thread, memory): stop here if not. */
#define MUST(c)                                           \
    do {                                                  \
        if (!(c)) {                                       \
            FAILF("requirement failed: %s", #c);          \
            abort();                                      \
        }                                                 \
    } while (0)

/* ------------------------------------------------------------ one loop */

static int body_basic(void *arg, void **result)
{
    cio_chan_t *ch;
    CHECK_RC(cio_chan_new(sizeof(int), 3, &ch), 0);
    CHECK_INT(cio_chan_cap(ch), 3);
    for (int i = 1; i <= 3; i++)
        CHECK_RC(cio_chan_send(ch, &i), 0); /* room: no wait */
    CHECK_INT(cio_chan_len(ch), 3);
    int four = 4;
    CHECK_RC(cio_chan_try_send(ch, &four), -EAGAIN);
    int v = 0;
    for (int i = 1; i <= 3; i++) {
        CHECK_RC(cio_chan_recv(ch, &v), 0);
        CHECK_INT(v, i);
    }
    CHECK_RC(cio_chan_try_recv(ch, &v), -EAGAIN);
    CHECK_INT(cio_chan_len(ch), 0);
    CHECK_INT(cio_chan_closed(ch), 0);
    CHECK_INT(cio_chan_unref(ch), 0);
    return 0;
}

static void t_buffered_fifo(void)
{
    CHECK_RC(cio_run(body_basic, NULL, NULL), 0);
}

struct pair {
    cio_chan_t *ch;
    int v;
    int rc;
    int after; /* the outcome of the suspension after the operation */
};

static int body_recv(void *arg, void **result)
{
    struct pair *p = arg;
    p->rc = cio_chan_recv(p->ch, &p->v);
    p->after = cio_sleep(0);
    return 0;
}

static int body_send(void *arg, void **result)
{
    struct pair *p = arg;
    p->rc = cio_chan_send(p->ch, &p->v);
    p->after = cio_sleep(0);
    return 0;
}

static int body_rendezvous(void *arg, void **result)
{
    cio_chan_t *ch;
    CHECK_RC(cio_chan_new(sizeof(int), 0, &ch), 0);
    int v = 7;
    CHECK_RC(cio_chan_try_send(ch, &v), -EAGAIN); /* nobody receives */
    struct pair r = {ch, 0, 1, 1};
    cio_task_t *t = cio_create_task(body_recv, &r);
    CHECK_RC(cio_sleep(0), 0); /* r waits */
    CHECK_RC(cio_chan_try_send(ch, &v), 0); /* handed to it */
    CHECK_RC(cio_await(t, NULL), 0);
    CHECK_RC(r.rc, 0);
    CHECK_INT(r.v, 7);
    cio_unref(t);
    /* A sender waits for its receiver. */
    struct pair s = {ch, 9, 1, 1};
    t = cio_create_task(body_send, &s);
    CHECK_RC(cio_sleep(0), 0);
    CHECK_INT(s.rc, 1); /* still waiting */
    CHECK_INT(cio_chan_len(ch), 0);
    CHECK_RC(cio_chan_recv(ch, &v), 0);
    CHECK_INT(v, 9);
    CHECK_RC(cio_await(t, NULL), 0);
    CHECK_RC(s.rc, 0);
    cio_unref(t);
    cio_chan_unref(ch);
    return 0;
}

static void t_rendezvous(void)
{
    CHECK_RC(cio_run(body_rendezvous, NULL, NULL), 0);
}

static int body_close(void *arg, void **result)
{
    cio_chan_t *ch;
    CHECK_RC(cio_chan_new(sizeof(int), 4, &ch), 0);
    int v = 1;
    CHECK_RC(cio_chan_send(ch, &v), 0);
    v = 2;
    CHECK_RC(cio_chan_send(ch, &v), 0);
    CHECK_RC(cio_chan_close(ch), 0);
    CHECK_RC(cio_chan_close(ch), CIO_ECHANCLOSED);
    CHECK_INT(cio_chan_closed(ch), 1);
    CHECK_RC(cio_chan_send(ch, &v), CIO_ECHANCLOSED);
    CHECK_RC(cio_chan_try_send(ch, &v), CIO_ECHANCLOSED);
    CHECK_RC(cio_chan_recv(ch, &v), 0); /* receivers drain what is left */
    CHECK_INT(v, 1);
    CHECK_RC(cio_chan_try_recv(ch, &v), 0);
    CHECK_INT(v, 2);
    CHECK_RC(cio_chan_recv(ch, &v), CIO_ECHANCLOSED);
    CHECK_RC(cio_chan_try_recv(ch, &v), CIO_ECHANCLOSED);
    cio_chan_unref(ch);

    /* Close while receivers wait (empty) and while senders wait (full). */
    CHECK_RC(cio_chan_new(sizeof(int), 1, &ch), 0);
    struct pair r[3] = {{ch, 0, 1, 1}, {ch, 0, 1, 1}, {ch, 0, 1, 1}};
    cio_task_t *ts[3];
    for (int i = 0; i < 3; i++)
        ts[i] = cio_create_task(body_recv, &r[i]);
    CHECK_RC(cio_sleep(0), 0);
    CHECK_RC(cio_chan_close(ch), 0);
    for (int i = 0; i < 3; i++) {
        CHECK_RC(cio_await(ts[i], NULL), 0);
        CHECK_RC(r[i].rc, CIO_ECHANCLOSED);
        cio_unref(ts[i]);
    }
    cio_chan_unref(ch);

    CHECK_RC(cio_chan_new(sizeof(int), 1, &ch), 0);
    v = 100;
    CHECK_RC(cio_chan_send(ch, &v), 0); /* full */
    struct pair s[2] = {{ch, 101, 1, 1}, {ch, 102, 1, 1}};
    for (int i = 0; i < 2; i++)
        ts[i] = cio_create_task(body_send, &s[i]);
    CHECK_RC(cio_sleep(0), 0);
    CHECK_RC(cio_chan_close(ch), 0);
    for (int i = 0; i < 2; i++) {
        CHECK_RC(cio_await(ts[i], NULL), 0);
        CHECK_RC(s[i].rc, CIO_ECHANCLOSED); /* not sent */
        cio_unref(ts[i]);
    }
    CHECK_RC(cio_chan_recv(ch, &v), 0);
    CHECK_INT(v, 100); /* only what was in it */
    CHECK_RC(cio_chan_recv(ch, &v), CIO_ECHANCLOSED);
    cio_chan_unref(ch);
    return 0;
}

static void t_close_drains_then_closed(void)
{
    CHECK_RC(cio_run(body_close, NULL, NULL), 0);
}

static int body_cancel(void *arg, void **result)
{
    cio_chan_t *ch;
    CHECK_RC(cio_chan_new(sizeof(int), 0, &ch), 0);
    /* A waiting receiver cancelled takes nothing; the next value goes to
     * the next receiver. */
    struct pair a = {ch, 0, 1, 1}, b = {ch, 0, 1, 1};
    cio_task_t *ta = cio_create_task(body_recv, &a), *tb = cio_create_task(body_recv, &b);
    CHECK_RC(cio_sleep(0), 0);
    cio_task_cancel(ta, NULL);
    CHECK_RC(cio_sleep(0), 0);
    CHECK_RC(a.rc, -ECANCELED);
    int v = 5;
    CHECK_RC(cio_chan_send(ch, &v), 0);
    CHECK_RC(cio_await(tb, NULL), 0);
    CHECK_RC(b.rc, 0);
    CHECK_INT(b.v, 5);
    cio_await(ta, NULL);
    cio_unref(ta);
    cio_unref(tb);

    /* Cancelled after the value moved: the receive reports it and the
     * cancel comes at the next suspension point. */
    struct pair c = {ch, 0, 1, 1};
    cio_task_t *tc = cio_create_task(body_recv, &c);
    CHECK_RC(cio_sleep(0), 0);
    v = 6;
    CHECK_RC(cio_chan_try_send(ch, &v), 0); /* handed over, c not yet run */
    cio_task_cancel(tc, NULL);
    cio_await(tc, NULL);
    CHECK_RC(c.rc, 0);
    CHECK_INT(c.v, 6);
    CHECK_RC(c.after, -ECANCELED);
    cio_unref(tc);

    /* The same for a sender, and a waiting sender cancelled sends nothing. */
    struct pair s1 = {ch, 11, 1, 1}, s2 = {ch, 12, 1, 1};
    cio_task_t *t1 = cio_create_task(body_send, &s1), *t2 = cio_create_task(body_send, &s2);
    CHECK_RC(cio_sleep(0), 0);
    cio_task_cancel(t1, NULL);
    CHECK_RC(cio_chan_try_recv(ch, &v), 0);
    CHECK_INT(v, 12); /* t1's wait was taken back before anything moved */
    cio_task_cancel(t2, NULL); /* after its value moved */
    cio_await(t1, NULL);
    cio_await(t2, NULL);
    CHECK_RC(s1.rc, -ECANCELED);
    CHECK_RC(s2.rc, 0);
    CHECK_RC(s2.after, -ECANCELED);
    CHECK_RC(cio_chan_try_recv(ch, &v), -EAGAIN);
    cio_unref(t1);
    cio_unref(t2);
    cio_chan_unref(ch);
    return 0;
}

static void t_cancel_loses_nothing(void)
{
    CHECK_RC(cio_run(body_cancel, NULL, NULL), 0);
}

struct selarg {
    cio_chan_case_t cases[3];
    int idx;
};

static int body_select_wait(void *arg, void **result)
{
    struct selarg *s = arg;
    s->idx = cio_chan_select(s->cases, 3, 0);
    return 0;
}

static int body_select(void *arg, void **result)
{
    cio_chan_t *a = NULL, *b = NULL;
    cio_task_t *t = NULL;
    int va = 0, vb = 0, out = 42, x;
    REQ(cio_chan_new(sizeof(int), 1, &a) == 0);
    REQ(cio_chan_new(sizeof(int), 0, &b) == 0);
    /* Nothing ready: the default clause. */
    cio_chan_case_t cs[3] = {{a, CIO_CHAN_RECV, &va, 9}, {NULL, CIO_CHAN_RECV, NULL, 9}, {b, CIO_CHAN_RECV, &vb, 9}};
    CHECK_RC(cio_chan_select(cs, 3, CIO_CHAN_NOWAIT), -EAGAIN);
    /* A send case ready (room in a) wins over a later one. */
    cio_chan_case_t cs2[2] = {{b, CIO_CHAN_SEND, &out, 0}, {a, CIO_CHAN_SEND, &out, 0}};
    CHECK_INT(cio_chan_select(cs2, 2, 0), 1);
    CHECK_RC(cs2[1].rc, 0);
    /* Both ready: the first in array order. */
    CHECK_INT(cio_chan_select(cs, 3, 0), 0);
    CHECK_INT(va, 42);

    /* A task waits on both; a value on b wakes it, a gets nothing. */
    struct selarg s = {{{a, CIO_CHAN_RECV, &va, 0}, {NULL, CIO_CHAN_SEND, NULL, 0}, {b, CIO_CHAN_RECV, &vb, 0}}, -99};
    va = vb = 0;
    t = cio_create_task(body_select_wait, &s);
    REQ(t);
    CHECK_RC(cio_sleep(0), 0);
    x = 77;
    CHECK_RC(cio_chan_try_send(b, &x), 0);
    CHECK_RC(cio_await(t, NULL), 0);
    CHECK_INT(s.idx, 2);
    CHECK_INT(vb, 77);
    CHECK_INT(va, 0);
    x = 78;
    CHECK_RC(cio_chan_try_send(b, &x), -EAGAIN); /* its wait on b is gone */
    CHECK_RC(cio_chan_try_send(a, &x), 0);
    CHECK_INT(cio_chan_len(a), 1); /* and on a */
    cio_unref(t);

    /* A select waiting, cancelled: nothing moved anywhere. */
    CHECK_RC(cio_chan_try_recv(a, &x), 0);
    s.idx = -99;
    t = cio_create_task(body_select_wait, &s);
    REQ(t);
    CHECK_RC(cio_sleep(0), 0);
    cio_task_cancel(t, NULL);
    cio_await(t, NULL);
    CHECK_RC(s.idx, -ECANCELED);
    CHECK_RC(cio_chan_try_send(b, &x), -EAGAIN);
    cio_unref(t);

    /* Closed: a receive case is ready with CIO_ECHANCLOSED; so is a send. */
    CHECK_RC(cio_chan_close(b), 0);
    CHECK_INT(cio_chan_select(cs, 3, 0), 2);
    CHECK_RC(cs[2].rc, CIO_ECHANCLOSED);
    CHECK_INT(cio_chan_select(cs2, 1, 0), 0);
    CHECK_RC(cs2[0].rc, CIO_ECHANCLOSED);
    /* The same channel twice: the send and the receive of one select. */
    cio_chan_case_t cs3[2] = {{a, CIO_CHAN_RECV, &va, 0}, {a, CIO_CHAN_SEND, &out, 0}};
    CHECK_INT(cio_chan_select(cs3, 2, 0), 1);
    CHECK_INT(cio_chan_select(cs3, 2, 0), 0);
out:
    if (a)
        cio_chan_unref(a);
    if (b)
        cio_chan_unref(b);
    return 0;
}

static void t_select(void)
{
    CHECK_RC(cio_run(body_select, NULL, NULL), 0);
}

/* Many cases: the wait records come from the allocator. */
static int body_select_many(void *arg, void **result)
{
    enum { N = 20 };
    cio_chan_t *chs[N];
    cio_chan_case_t cs[N];
    int vals[N];
    for (int i = 0; i < N; i++) {
        CHECK_RC(cio_chan_new(sizeof(int), 0, &chs[i]), 0);
        cs[i] = (cio_chan_case_t){chs[i], CIO_CHAN_RECV, &vals[i], 0};
    }
    struct selarg dummy;
    (void)dummy;
    int rc = cio_chan_select(cs, N, CIO_CHAN_NOWAIT);
    CHECK_RC(rc, -EAGAIN);
    for (int i = 0; i < N; i++)
        cio_chan_unref(chs[i]);
    return 0;
}

static void t_select_many_cases(void)
{
    CHECK_RC(cio_run(body_select_many, NULL, NULL), 0);
}

static int cb_recv_outside_task(void *arg)
{
    cio_chan_t *ch = arg;
    int v;
    CHECK_RC(cio_chan_recv(ch, &v), CIO_ENOTASK); /* would block the loop */
    CHECK_RC(cio_chan_try_recv(ch, &v), -EAGAIN);  /* fine */
    return 0;
}

static int body_bad(void *arg, void **result)
{
    cio_chan_t *ch;
    CHECK_RC(cio_chan_new(sizeof(int), 1, &ch), 0);
    cio_loop_t *loop = NULL;
    CHECK_RC(cio_get_running_loop(&loop), 0);
    CHECK_RC(cio_call_soon(loop, cb_recv_outside_task, ch, NULL), 0);
    CHECK_RC(cio_sleep(0), 0);
    CHECK_RC(cio_chan_send(ch, NULL), -EINVAL);
    CHECK_RC(cio_chan_recv(ch, NULL), -EINVAL);
    cio_chan_case_t c = {ch, 5, NULL, 0};
    int v = 0;
    CHECK_RC(cio_chan_select(&c, 1, 0), -EINVAL);
    c.op = CIO_CHAN_RECV;
    c.item = &v;
    CHECK_RC(cio_chan_select(&c, 1, 2), -EINVAL);
    CHECK_RC(cio_chan_select(&c, 0, 0), -EINVAL);
    CHECK_RC(cio_chan_select(NULL, 1, 0), -EINVAL);
    CHECK_RC(cio_chan_select(&c, 65, 0), -EINVAL);
    c.chan = NULL;
    CHECK_RC(cio_chan_select(&c, 1, 0), -EINVAL); /* would wait forever */
    CHECK_RC(cio_chan_select(&c, 1, CIO_CHAN_NOWAIT), -EAGAIN);
    cio_chan_unref(ch);
    return 0;
}

static void t_bad_input(void)
{
    cio_chan_t *ch = (cio_chan_t *)1;
    CHECK_RC(cio_chan_new(sizeof(int), -1, &ch), -EINVAL);
    CHECK(ch == NULL);
    CHECK_RC(cio_chan_new(sizeof(int), 1, NULL), -EINVAL);
    CHECK_RC(cio_chan_new(1 << 20, 1L << 30, &ch), -EINVAL);
    CHECK_RC(cio_chan_new(sizeof(int), (long)INT32_MAX + 1, &ch), -EINVAL);
    CHECK_RC(cio_chan_send(NULL, &ch), -EINVAL);
    CHECK_RC(cio_chan_recv(NULL, &ch), -EINVAL);
    CHECK_RC(cio_chan_try_send(NULL, &ch), -EINVAL);
    CHECK_RC(cio_chan_try_recv(NULL, &ch), -EINVAL);
    CHECK_RC(cio_chan_close(NULL), -EINVAL);
    CHECK_RC(cio_chan_unref(NULL), -EINVAL);
    CHECK(cio_chan_ref(NULL) == NULL);
    CHECK_INT(cio_chan_len(NULL), -EINVAL);
    CHECK_INT(cio_chan_cap(NULL), -EINVAL);
    CHECK_RC(cio_chan_closed(NULL), -EINVAL);
    /* A zero-size element: a channel of signals. */
    CHECK_RC(cio_chan_new(0, 2, &ch), 0);
    CHECK_RC(cio_chan_try_send(ch, NULL), 0);
    CHECK_RC(cio_chan_try_recv(ch, NULL), 0);
    CHECK(cio_chan_ref(ch) == ch);
    CHECK_INT(cio_chan_unref(ch), 1);
    CHECK_INT(cio_chan_unref(ch), 0);
    CHECK_RC(cio_run(body_bad, NULL, NULL), 0);
}

/* ---------------------------------------------------------- plain threads */

static void *thread_sender(void *arg)
{
    cio_chan_t *ch = arg;
    for (int i = 0; i < 1000; i++)
        if (cio_chan_send(ch, &i) != 0)
            break;
    cio_chan_close(ch);
    return NULL;
}

static void t_threads_block(void)
{
    cio_chan_t *ch;
    int rc = cio_chan_new(sizeof(int), 0, &ch);
    CHECK_RC(rc, 0);
    if (rc < 0)
        return;
    pthread_t th;
    MUST(pthread_create(&th, NULL, thread_sender, ch) == 0);
    int v, n = 0;
    while ((rc = cio_chan_recv(ch, &v)) == 0) {
        CHECK_INT(v, n);
        n++;
    }
    CHECK_RC(rc, CIO_ECHANCLOSED);
    CHECK_INT(n, 1000);
    pthread_join(th, NULL);
    cio_chan_unref(ch);
}

/* ------------------------------------ several loops and plain threads */

#ifdef CIO_TEST_TSAN
enum { PER_PRODUCER = 500 };
#else
enum { PER_PRODUCER = 5000 };
#endif
enum { LOOPS = 2, TASK_PRODUCERS = 3, TASK_CONSUMERS = 2, THREAD_PRODUCERS = 2, THREAD_CONSUMERS = 2 };
enum { PRODUCERS = LOOPS * TASK_PRODUCERS + THREAD_PRODUCERS };

struct item {
    uint32_t producer, seq;
};

struct mpmc {
    cio_chan_t *ch;
    atomic_int producers_left;
    atomic_int seen[PRODUCERS][PER_PRODUCER];
    atomic_int order_errors;
    atomic_long received;
    atomic_int next_producer;
};

static void produce(struct mpmc *m, int me)
{
    for (uint32_t i = 0; i < PER_PRODUCER; i++) {
        struct item it = {(uint32_t)me, i};
        int rc = cio_chan_send(m->ch, &it);
        if (rc != 0) {
            FAILF("send: %s", cio_err_name(rc));
            break;
        }
    }
    if (atomic_fetch_sub(&m->producers_left, 1) == 1)
        cio_chan_close(m->ch);
}

static void consume(struct mpmc *m)
{
    int32_t last[PRODUCERS];
    for (int i = 0; i < PRODUCERS; i++)
        last[i] = -1;
    struct item it;
    int rc;
    while ((rc = cio_chan_recv(m->ch, &it)) == 0) {
        if (it.producer >= PRODUCERS || it.seq >= PER_PRODUCER) {
            atomic_fetch_add(&m->order_errors, 1);
            continue;
        }
        atomic_fetch_add(&m->seen[it.producer][it.seq], 1);
        if ((int32_t)it.seq <= last[it.producer])
            atomic_fetch_add(&m->order_errors, 1);
        last[it.producer] = (int32_t)it.seq;
        atomic_fetch_add(&m->received, 1);
    }
    if (rc != CIO_ECHANCLOSED)
        FAILF("recv: %s", cio_err_name(rc));
}

static int task_producer(void *arg, void **result)
{
    struct mpmc *m = arg;
    produce(m, atomic_fetch_add(&m->next_producer, 1));
    return 0;
}

static int task_consumer(void *arg, void **result)
{
    consume(arg);
    return 0;
}

static int loop_main(void *arg, void **result)
{
    cio_task_t *ts[TASK_PRODUCERS + TASK_CONSUMERS];
    int n = 0;
    for (int i = 0; i < TASK_CONSUMERS; i++)
        ts[n++] = cio_create_task(task_consumer, arg);
    for (int i = 0; i < TASK_PRODUCERS; i++)
        ts[n++] = cio_create_task(task_producer, arg);
    /* Producers first: one that could not run (no memory) closes the
     * channel, else the consumers would wait for good. */
    for (int i = n; i-- > 0;) {
        int rc = ts[i] ? cio_await(ts[i], NULL) : -ENOMEM;
        CHECK_RC(rc, 0);
        if (rc < 0)
            cio_chan_close(((struct mpmc *)arg)->ch);
        if (ts[i])
            cio_unref(ts[i]);
    }
    return 0;
}

static void *thread_loop(void *arg)
{
    int rc = cio_run(loop_main, arg, NULL);
    CHECK_RC(rc, 0);
    if (rc < 0)
        cio_chan_close(((struct mpmc *)arg)->ch);
    return NULL;
}

static void *thread_producer(void *arg)
{
    struct mpmc *m = arg;
    produce(m, atomic_fetch_add(&m->next_producer, 1));
    return NULL;
}

static void *thread_consumer(void *arg)
{
    consume(arg);
    return NULL;
}

static void run_mpmc(long capacity)
{
    struct mpmc *m = calloc(1, sizeof *m);
    MUST(m);
    int rc = cio_chan_new(sizeof(struct item), capacity, &m->ch);
    CHECK_RC(rc, 0);
    if (rc < 0) {
        free(m);
        return;
    }
    atomic_store(&m->producers_left, PRODUCERS);
    pthread_t th[LOOPS + THREAD_PRODUCERS + THREAD_CONSUMERS];
    int n = 0;
    for (int i = 0; i < LOOPS; i++)
        MUST(pthread_create(&th[n++], NULL, thread_loop, m) == 0);
    for (int i = 0; i < THREAD_PRODUCERS; i++)
        MUST(pthread_create(&th[n++], NULL, thread_producer, m) == 0);
    for (int i = 0; i < THREAD_CONSUMERS; i++)
        MUST(pthread_create(&th[n++], NULL, thread_consumer, m) == 0);
    for (int i = 0; i < n; i++)
        pthread_join(th[i], NULL);
    CHECK_INT(atomic_load(&m->received), (long)PRODUCERS * PER_PRODUCER);
    CHECK_INT(atomic_load(&m->order_errors), 0);
    int bad = 0;
    for (int p = 0; p < PRODUCERS; p++)
        for (int s = 0; s < PER_PRODUCER; s++)
            bad += atomic_load(&m->seen[p][s]) != 1;
    CHECK_INT(bad, 0);
    cio_chan_unref(m->ch);
    free(m);
}

static void t_mpmc_loops_and_threads(void)
{
    run_mpmc(16);
}

static void t_mpmc_rendezvous(void)
{
    run_mpmc(0);
}

/* A receiver on one loop with a short timeout around every receive, fed
 * by a thread: the timeouts cancel waits all the time, and still every
 * value arrives exactly once. */
struct cancel_stress {
    cio_chan_t *ch;
    int n;
    int *seen;
    int timeouts;
};

static int body_timeout_recv(void *arg, void **result)
{
    struct cancel_stress *c = arg;
    int got = 0;
    while (got < c->n) {
        cio_timeout_t to;
        int v = -1;
        int rc = cio_timeout_enter(&to, 0.0005);
        if (rc == 0)
            rc = cio_timeout_exit(&to, cio_chan_recv(c->ch, &v));
        if (rc == -ETIMEDOUT) {
            c->timeouts++;
            continue;
        }
        if (rc != 0) {
            FAILF("recv: %s", cio_err_name(rc));
            break;
        }
        if (v >= 0 && v < c->n)
            c->seen[v]++;
        got++;
    }
    return 0;
}

static void *thread_slow_sender(void *arg)
{
    struct cancel_stress *c = arg;
    for (int i = 0; i < c->n; i++) {
        if (i % 64 == 0) {
            struct timespec ts = {0, 2000000};
            nanosleep(&ts, NULL);
        }
        if (cio_chan_send(c->ch, &i) < 0)
            break;
    }
    return NULL;
}

static void t_cancel_stress_cross_thread(void)
{
    struct cancel_stress c = {NULL, 3000, NULL, 0};
    c.seen = calloc((size_t)c.n, sizeof(int));
    MUST(c.seen);
    for (int cap = 0; cap <= 1; cap++) {
        memset(c.seen, 0, (size_t)c.n * sizeof(int));
        int rc = cio_chan_new(sizeof(int), cap, &c.ch);
        CHECK_RC(rc, 0);
        if (rc < 0)
            break;
        pthread_t th;
        MUST(pthread_create(&th, NULL, thread_slow_sender, &c) == 0);
        CHECK_RC(cio_run(body_timeout_recv, &c, NULL), 0);
        cio_chan_close(c.ch); /* the sender ends even if the run failed */
        pthread_join(th, NULL);
        if (getenv("CHAN_VERBOSE"))
            fprintf(stderr, "capacity %d: %d timeouts\n", cap, c.timeouts);
        int bad = 0;
        for (int i = 0; i < c.n; i++)
            bad += c.seen[i] != 1;
        CHECK_INT(bad, 0);
        cio_chan_unref(c.ch);
    }
    free(c.seen);
}

/* The same with a task of the receiver's loop cancelling it at every
 * iteration while a thread sends flat out: the cancels race the transfers
 * claimed from the other thread. */
struct cancel_race {
    cio_chan_t *ch;
    int n, got, cancels;
    int *seen;
    cio_task_t *receiver;
    int done;
};

static int body_racing_recv(void *arg, void **result)
{
    struct cancel_race *c = arg;
    cio_task_t *self = cio_current_task();
    while (c->got < c->n) {
        int v = -1;
        int rc = cio_chan_recv(c->ch, &v);
        if (rc == -ECANCELED) {
            c->cancels++;
            while (cio_task_uncancel(self) > 0)
                ;
            continue;
        }
        if (rc != 0) {
            FAILF("recv: %s", cio_err_name(rc));
            break;
        }
        if (v >= 0 && v < c->n)
            c->seen[v]++;
        c->got++;
    }
    c->done = 1;
    return 0;
}

static int body_canceller(void *arg, void **result)
{
    struct cancel_race *c = arg;
    while (!c->done) {
        cio_task_cancel(c->receiver, NULL);
        if (cio_sleep(0) < 0)
            break;
    }
    return 0;
}

static int body_race(void *arg, void **result)
{
    struct cancel_race *c = arg;
    c->receiver = cio_create_task(body_racing_recv, c);
    cio_task_t *k = cio_create_task(body_canceller, c);
    if (!c->receiver)
        c->done = 1;
    if (c->receiver) {
        cio_await(c->receiver, NULL);
        cio_unref(c->receiver);
    }
    c->done = 1; /* the receiver could not run: the canceller stops too */
    if (k) {
        cio_await(k, NULL);
        cio_unref(k);
    }
    return 0;
}

static void *thread_fast_sender(void *arg)
{
    struct cancel_race *c = arg;
    for (int i = 0; i < c->n; i++)
        if (cio_chan_send(c->ch, &i) < 0)
            break;
    return NULL;
}

static void t_cancel_races_transfers(void)
{
    struct cancel_race c;
    for (int cap = 0; cap <= 2; cap += 2) {
        memset(&c, 0, sizeof c);
        c.n = 20000;
        c.seen = calloc((size_t)c.n, sizeof(int));
        MUST(c.seen);
        int rc = cio_chan_new(sizeof(int), cap, &c.ch);
        CHECK_RC(rc, 0);
        if (rc < 0) {
            free(c.seen);
            break;
        }
        pthread_t th;
        MUST(pthread_create(&th, NULL, thread_fast_sender, &c) == 0);
        CHECK_RC(cio_run(body_race, &c, NULL), 0);
        cio_chan_close(c.ch);
        pthread_join(th, NULL);
        if (getenv("CHAN_VERBOSE"))
            fprintf(stderr, "capacity %d: %d cancels\n", cap, c.cancels);
        int bad = 0;
        for (int i = 0; i < c.n; i++)
            bad += c.seen[i] != 1;
        CHECK_INT(bad, 0);
        cio_chan_unref(c.ch);
        free(c.seen);
    }
}

/* Select across threads: two channels fed by two threads, one task
 * selecting over both receives every value of each exactly once, in order. */
struct sel2 {
    cio_chan_t *ch[2];
    int n;
};

static void *thread_feed(void *arg)
{
    cio_chan_t *ch = arg;
    for (int i = 0; i < 2000; i++)
        if (cio_chan_send(ch, &i) != 0)
            break;
    cio_chan_close(ch);
    return NULL;
}

static int body_select_two(void *arg, void **result)
{
    struct sel2 *s = arg;
    int v[2], next[2] = {0, 0}, open = 2;
    cio_chan_case_t cs[2] = {{s->ch[0], CIO_CHAN_RECV, &v[0], 0}, {s->ch[1], CIO_CHAN_RECV, &v[1], 0}};
    while (open) {
        int i = cio_chan_select(cs, 2, 0);
        if (i < 0) {
            FAILF("select: %s", cio_err_name(i));
            return i;
        }
        if (cs[i].rc == CIO_ECHANCLOSED) {
            cs[i].chan = NULL; /* disable it, as Go's nil channel */
            open--;
            continue;
        }
        CHECK_INT(v[i], next[i]);
        next[i]++;
    }
    CHECK_INT(next[0], 2000);
    CHECK_INT(next[1], 2000);
    return 0;
}

static void t_select_across_threads(void)
{
    struct sel2 s;
    pthread_t th[2];
    int rc = cio_chan_new(sizeof(int), 0, &s.ch[0]);
    if (rc == 0 && (rc = cio_chan_new(sizeof(int), 1, &s.ch[1])) < 0)
        cio_chan_unref(s.ch[0]);
    CHECK_RC(rc, 0);
    if (rc < 0)
        return;
    for (int i = 0; i < 2; i++)
        MUST(pthread_create(&th[i], NULL, thread_feed, s.ch[i]) == 0);
    CHECK_RC(cio_run(body_select_two, &s, NULL), 0);
    for (int i = 0; i < 2; i++) {
        cio_chan_close(s.ch[i]); /* the feeders end even if the run failed */
        pthread_join(th[i], NULL);
        cio_chan_unref(s.ch[i]);
    }
}

static const struct test_case cases[] = {
    TEST(t_buffered_fifo),
    TEST(t_rendezvous),
    TEST(t_close_drains_then_closed),
    TEST(t_cancel_loses_nothing),
    TEST(t_select),
    TEST(t_select_many_cases),
    TEST(t_bad_input),
    TEST(t_threads_block),
    TEST(t_mpmc_loops_and_threads),
    TEST(t_mpmc_rendezvous),
    TEST(t_cancel_stress_cross_thread),
    TEST(t_cancel_races_transfers),
    TEST(t_select_across_threads),
};

int main(int argc, char **argv)
{
    return run_tests(argc, argv, cases, NCASES(cases));
}
