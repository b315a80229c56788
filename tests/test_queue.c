/* Queues: asyncio's Queue, LifoQueue and PriorityQueue — order, waiting,
 * task_done/join accounting, the cancellation races, shutdown (3.13) and a
 * stress run.  The exact orders were checked against the same programs on
 * CPython's asyncio (shutdown against the 3.13 source). */
#include "harness.h"

#include <stdint.h>

#define I2P(i) ((void *)(intptr_t)(i))
#define P2I(p) ((int)(intptr_t)(p))

/* A task that gets one item or puts one, and logs "NAME=item", "NAME-put"
 * or "NAME:ERRNAME" (items are strings). */
struct qtask {
    cio_queue_t *q;
    const char *name;
    void *item; /* to put, or received */
    int rc;
    int done;
};

static void log_outcome(struct qtask *a, int is_get)
{
    char buf[96];
    if (a->rc < 0)
        snprintf(buf, sizeof buf, "%s:%s", a->name, cio_err_name(a->rc));
    else if (is_get)
        snprintf(buf, sizeof buf, "%s=%s", a->name, a->item ? (const char *)a->item : "NULL");
    else
        snprintf(buf, sizeof buf, "%s-put", a->name);
    log_event(buf);
}

static int body_get(void *arg, void **result)
{
    struct qtask *a = arg;
    a->rc = cio_queue_get(a->q, &a->item);
    a->done = 1;
    log_outcome(a, 1);
    return a->rc;
}

static int body_put(void *arg, void **result)
{
    struct qtask *a = arg;
    a->rc = cio_queue_put(a->q, a->item);
    a->done = 1;
    log_outcome(a, 0);
    return a->rc;
}

static int body_join(void *arg, void **result)
{
    struct qtask *a = arg;
    a->rc = cio_queue_join(a->q);
    a->done = 1;
    char buf[64];
    if (a->rc < 0)
        snprintf(buf, sizeof buf, "%s:%s", a->name, cio_err_name(a->rc));
    else
        snprintf(buf, sizeof buf, "%s-joined", a->name);
    log_event(buf);
    return a->rc;
}

/* The children of a case's main task.  Every task spawned is kept here and
 * released by finish() at the end of the main task, which also runs when a
 * step failed (in the allocation sweep, a refused allocation): the children
 * still waiting are cancelled and all are awaited first, so none outlives
 * the queue and the records on the main task's stack that it uses. */
static struct {
    cio_task_t *t[16];
    int n;
    int failed; /* a spawn failed */
} kids;

static cio_task_t *spawn_named(cio_coro_fn *fn, void *arg, const char *name)
{
    cio_loop_t *loop = NULL;
    cio_task_t *t = NULL;
    cio_task_opts_t o = {.name = name};
    int rc = cio_get_running_loop(&loop);
    if (rc == 0 && kids.n == (int)(sizeof kids.t / sizeof kids.t[0]))
        rc = -ENOSPC; /* a case spawning more than the table holds */
    if (rc == 0)
        rc = cio_loop_create_task(loop, fn, arg, &o, &t);
    if (rc < 0) {
        FAILF("cio_loop_create_task: %s", cio_err_name(rc));
        kids.failed = 1;
        return NULL;
    }
    kids.t[kids.n++] = t;
    return t;
}

static cio_task_t *spawn(cio_coro_fn *fn, struct qtask *a)
{
    return spawn_named(fn, a, a->name);
}

static cio_task_t *spawn_anon(cio_coro_fn *fn, void *arg)
{
    return spawn_named(fn, arg, NULL);
}

/* In a main with an `out:` label: stop at a failed spawn. */
#define REQ_SPAWNED() REQ(!kids.failed)

/* In a main with an `out:` label: rc must be expected, else the case fails
 * and the main goes to its cleanup. */
#define REQ_RC_IS(a, b)                                                                               \
    do {                                                                                              \
        int a_ = (int)(a), b_ = (int)(b);                                                             \
        if (a_ != b_) {                                                                               \
            FAILF("%s == %d (%s), expected %d (%s)", #a, a_, cio_err_name(a_), b_, cio_err_name(b_)); \
            goto out;                                                                                 \
        }                                                                                             \
    } while (0)

/* The end of a main task: reap its children, then destroy its queue (once
 * more, unchecked: on the way out after a failure; a queue destroyed
 * already says -EINVAL). */
static void finish(cio_queue_t *q)
{
    reap_tasks(kids.t, kids.n);
    kids.n = 0;
    kids.failed = 0;
    if (q)
        cio_queue_destroy(q);
}

static int yield_n(int n)
{
    for (int i = 0; i < n; i++) {
        int rc = cio_yield();
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* ------------------------------------------------------------ orders */

static void t_fifo_order(void)
{
    cio_queue_t q;
    CHECK_RC(cio_queue_init(&q, 0), 0);
    CHECK_INT(cio_queue_maxsize(&q), 0);
    CHECK_INT(cio_queue_empty(&q), 1);
    CHECK_INT(cio_queue_full(&q), 0);
    CHECK_INT(cio_queue_qsize(&q), 0);
    for (int i = 1; i <= 5; i++)
        CHECK_RC(cio_queue_put_nowait(&q, I2P(i)), 0);
    CHECK_RC(cio_queue_put_nowait(&q, NULL), 0); /* NULL is an item like any other */
    CHECK_INT(cio_queue_qsize(&q), 6);
    CHECK_INT(cio_queue_empty(&q), 0);
    CHECK_INT(cio_queue_full(&q), 0);
    void *v;
    for (int i = 1; i <= 5; i++) {
        v = NULL;
        CHECK_RC(cio_queue_get_nowait(&q, &v), 0);
        CHECK_INT(P2I(v), i);
    }
    v = I2P(77);
    CHECK_RC(cio_queue_get_nowait(&q, &v), 0);
    CHECK(v == NULL);
    CHECK_RC(cio_queue_get_nowait(&q, &v), CIO_EQUEUEEMPTY);
    CHECK_INT(cio_queue_empty(&q), 1);

    /* Growth while the ring is wrapped, at many different offsets. */
    int next_in = 0, next_out = 0;
    for (int round = 0; round < 60; round++) {
        for (int k = 0; k < 7; k++)
            CHECK_RC(cio_queue_put_nowait(&q, I2P(next_in++)), 0);
        for (int k = 0; k < 5; k++) {
            CHECK_RC(cio_queue_get_nowait(&q, &v), 0);
            CHECK_INT(P2I(v), next_out++);
        }
        CHECK_INT(cio_queue_qsize(&q), next_in - next_out);
    }
    int wrong = 0;
    while (cio_queue_get_nowait(&q, &v) == 0)
        wrong += P2I(v) != next_out++;
    CHECK_INT(wrong, 0);
    CHECK_INT(next_out, next_in);
    CHECK_RC(cio_queue_destroy(&q), 0);

    /* A bounded ring wrapping around many times. */
    CHECK_RC(cio_queue_init(&q, 3), 0);
    CHECK_INT(cio_queue_maxsize(&q), 3);
    next_in = next_out = 0;
    for (int round = 0; round < 100; round++) {
        int n = 1 + round % 3;
        for (int k = 0; k < n; k++)
            CHECK_RC(cio_queue_put_nowait(&q, I2P(next_in++)), 0);
        CHECK_INT(cio_queue_full(&q), n == 3);
        if (n == 3)
            CHECK_RC(cio_queue_put_nowait(&q, I2P(-1)), CIO_EQUEUEFULL);
        for (int k = 0; k < n; k++) {
            CHECK_RC(cio_queue_get_nowait(&q, &v), 0);
            CHECK_INT(P2I(v), next_out++);
        }
    }
    CHECK_RC(cio_queue_destroy(&q), 0);
}

static void t_lifo_order(void)
{
    cio_queue_t q;
    void *v;
    CHECK_RC(cio_lifoqueue_init(&q, 0), 0);
    for (int i = 1; i <= 5; i++)
        CHECK_RC(cio_queue_put_nowait(&q, I2P(i)), 0);
    for (int i = 5; i >= 1; i--) {
        CHECK_RC(cio_queue_get_nowait(&q, &v), 0);
        CHECK_INT(P2I(v), i);
    }
    CHECK_RC(cio_queue_get_nowait(&q, &v), CIO_EQUEUEEMPTY);
    /* Interleaved: always the last one put. */
    CHECK_RC(cio_queue_put_nowait(&q, I2P(1)), 0);
    CHECK_RC(cio_queue_put_nowait(&q, I2P(2)), 0);
    CHECK_RC(cio_queue_get_nowait(&q, &v), 0);
    CHECK_INT(P2I(v), 2);
    CHECK_RC(cio_queue_put_nowait(&q, I2P(3)), 0);
    CHECK_RC(cio_queue_get_nowait(&q, &v), 0);
    CHECK_INT(P2I(v), 3);
    CHECK_RC(cio_queue_get_nowait(&q, &v), 0);
    CHECK_INT(P2I(v), 1);
    /* Past the first growth. */
    for (int i = 0; i < 1000; i++)
        CHECK_RC(cio_queue_put_nowait(&q, I2P(i)), 0);
    for (int i = 999; i >= 0; i--) {
        CHECK_RC(cio_queue_get_nowait(&q, &v), 0);
        CHECK_INT(P2I(v), i);
    }
    CHECK_RC(cio_queue_destroy(&q), 0);

    cio_queue_t l = CIO_LIFOQUEUE_INIT(3);
    CHECK_INT(cio_queue_maxsize(&l), 3);
    for (int i = 1; i <= 3; i++)
        CHECK_RC(cio_queue_put_nowait(&l, I2P(i)), 0);
    CHECK_INT(cio_queue_full(&l), 1);
    CHECK_RC(cio_queue_put_nowait(&l, I2P(4)), CIO_EQUEUEFULL);
    for (int i = 3; i >= 1; i--) {
        CHECK_RC(cio_queue_get_nowait(&l, &v), 0);
        CHECK_INT(P2I(v), i);
    }
    CHECK_RC(cio_queue_destroy(&l), 0);
}

struct pitem {
    int prio;
    int seq;
};

static int pcmp(const void *a, const void *b)
{
    const struct pitem *x = a, *y = b;
    return (x->prio > y->prio) - (x->prio < y->prio);
}

static uint64_t rng_state = 88172645463325252ULL;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 11);
}

static void t_priority_order(void)
{
    enum { N = 400 };
    static struct pitem items[N];
    static int present[N];
    cio_queue_t q;
    void *v;
    CHECK_RC(cio_priorityqueue_init(&q, 0, NULL), -EINVAL);
    CHECK_RC(cio_priorityqueue_init(&q, 0, pcmp), 0);
    for (int i = 0; i < N; i++) {
        items[i].prio = (int)(rnd() % 8);
        items[i].seq = i;
        present[i] = 0;
    }
    /* Puts and gets interleaved; a model tells which item must come out:
     * the smallest priority, and among equals the first one put. */
    int in = 0, out = 0;
    while (out < N) {
        int puts = in < N ? (int)(rnd() % 5) : 0;
        for (int k = 0; k < puts && in < N; k++) {
            CHECK_RC(cio_queue_put_nowait(&q, &items[in]), 0);
            present[in++] = 1;
        }
        int gets = (int)(rnd() % 4);
        if (in == N)
            gets = N;
        for (int k = 0; k < gets && out < in; k++) {
            int best = -1;
            for (int i = 0; i < in; i++)
                if (present[i] && (best < 0 || items[i].prio < items[best].prio))
                    best = i;
            v = NULL;
            int rc = cio_queue_get_nowait(&q, &v);
            const struct pitem *got = v;
            if (rc != 0 || got != &items[best]) {
                CHECK_RC(rc, 0);
                if (got)
                    FAILF("got prio %d seq %d, expected prio %d seq %d", got->prio, got->seq, items[best].prio,
                          items[best].seq);
                cio_queue_destroy(&q);
                return;
            }
            present[best] = 0;
            out++;
        }
    }
    CHECK_RC(cio_queue_get_nowait(&q, &v), CIO_EQUEUEEMPTY);

    /* All equal: insertion order exactly. */
    for (int i = 0; i < 50; i++) {
        items[i].prio = 3;
        items[i].seq = i;
        CHECK_RC(cio_queue_put_nowait(&q, &items[i]), 0);
    }
    for (int i = 0; i < 50; i++) {
        CHECK_RC(cio_queue_get_nowait(&q, &v), 0);
        CHECK(v == &items[i]);
    }
    CHECK_RC(cio_queue_destroy(&q), 0);

    /* Bounded. */
    CHECK_RC(cio_priorityqueue_init(&q, 2, pcmp), 0);
    struct pitem a = {.prio = 5}, b = {.prio = 1}, c = {.prio = 0};
    CHECK_RC(cio_queue_put_nowait(&q, &a), 0);
    CHECK_RC(cio_queue_put_nowait(&q, &b), 0);
    CHECK_INT(cio_queue_full(&q), 1);
    CHECK_RC(cio_queue_put_nowait(&q, &c), CIO_EQUEUEFULL);
    CHECK_RC(cio_queue_get_nowait(&q, &v), 0);
    CHECK(v == &b);
    CHECK_RC(cio_queue_destroy(&q), 0);
}

/* -------------------------------------------------- static initializers */

static cio_queue_t g_static_q = CIO_QUEUE_INIT(2);

static int m_static(void *arg, void **result)
{
    cio_queue_t *q = &g_static_q;
    CHECK_INT(cio_queue_maxsize(q), 2);
    REQ_RC_IS(cio_queue_put(q, "a"), 0);
    REQ_RC_IS(cio_queue_put(q, "b"), 0);
    CHECK_INT(cio_queue_full(q), 1);
    struct qtask p = {.q = q, .name = "P", .item = "c"};
    cio_task_t *tp = spawn(body_put, &p);
    REQ_SPAWNED();
    REQ_RC_IS(yield_n(2), 0);
    CHECK_INT(p.done, 0);
    void *v;
    REQ_RC_IS(cio_queue_get(q, &v), 0);
    CHECK_STR(v, "a");
    REQ_RC_IS(cio_await(tp, NULL), 0);
    REQ_RC_IS(cio_queue_get(q, &v), 0);
    CHECK_STR(v, "b");
    REQ_RC_IS(cio_queue_get(q, &v), 0);
    CHECK_STR(v, "c");
out:
    finish(NULL);
    return 0;
}

static void t_static_initializers(void)
{
    CHECK_RC(run_limited(m_static, NULL, NULL), 0);
    CHECK_ORDER("P-put");
    CHECK_RC(cio_queue_destroy(&g_static_q), 0);

    cio_queue_t u = CIO_QUEUE_INIT(0), n = CIO_QUEUE_INIT(-1);
    CHECK_INT(cio_queue_maxsize(&u), 0);
    CHECK_INT(cio_queue_maxsize(&n), -1);
    for (int i = 0; i < 1000; i++) {
        CHECK_RC(cio_queue_put_nowait(&u, I2P(i)), 0);
        CHECK_RC(cio_queue_put_nowait(&n, I2P(i)), 0);
    }
    CHECK_INT(cio_queue_full(&u), 0);
    CHECK_INT(cio_queue_full(&n), 0);
    void *v;
    for (int i = 0; i < 1000; i++) {
        CHECK_RC(cio_queue_get_nowait(&u, &v), 0);
        CHECK_INT(P2I(v), i);
    }
    CHECK_RC(cio_queue_destroy(&u), 0);
    CHECK_RC(cio_queue_destroy(&n), 0); /* still holding 1000 items: they are the caller's */
}

/* ------------------------------------------------------------ bad input */

static int m_bad_in_task(void *arg, void **result)
{
    cio_queue_t z;
    memset(&z, 0, sizeof z);
    void *v;
    CHECK_RC(cio_queue_get(&z, &v), -EINVAL); /* refused, not waiting forever */
    CHECK_RC(cio_queue_put(&z, "x"), -EINVAL);
    CHECK_RC(cio_queue_join(&z), -EINVAL);
    CHECK_RC(cio_queue_get(NULL, &v), -EINVAL);
    CHECK_RC(cio_queue_put(NULL, "x"), -EINVAL);
    CHECK_RC(cio_queue_join(NULL), -EINVAL);
    cio_queue_t q;
    CHECK_RC(cio_queue_init(&q, 0), 0);
    CHECK_RC(cio_queue_put_nowait(&q, "x"), 0);
    CHECK_RC(cio_queue_get(&q, NULL), -EINVAL);
    CHECK_INT(cio_queue_qsize(&q), 1); /* nothing taken */
    CHECK_RC(cio_queue_destroy(&q), 0);
    return 0;
}

static void t_bad_input(void)
{
    cio_queue_t z, q;
    memset(&z, 0, sizeof z);
    void *v;
    CHECK_RC(cio_queue_init(NULL, 0), -EINVAL);
    CHECK_RC(cio_lifoqueue_init(NULL, 0), -EINVAL);
    CHECK_RC(cio_priorityqueue_init(NULL, 0, pcmp), -EINVAL);
    CHECK_RC(cio_priorityqueue_init(&q, 0, NULL), -EINVAL);
    cio_queue_t *bad[2] = {NULL, &z};
    for (int i = 0; i < 2; i++) {
        cio_queue_t *b = bad[i];
        CHECK_RC(cio_queue_put_nowait(b, "x"), -EINVAL);
        CHECK_RC(cio_queue_get_nowait(b, &v), -EINVAL);
        CHECK_INT(cio_queue_qsize(b), -EINVAL);
        CHECK_INT(cio_queue_empty(b), -EINVAL);
        CHECK_INT(cio_queue_full(b), -EINVAL);
        CHECK_INT(cio_queue_maxsize(b), -EINVAL);
        CHECK_RC(cio_queue_task_done(b), -EINVAL);
        CHECK_RC(cio_queue_shutdown(b, 0, NULL, NULL), -EINVAL);
        CHECK_RC(cio_queue_shutdown(b, 1, NULL, NULL), -EINVAL);
        CHECK_RC(cio_queue_destroy(b), -EINVAL);
    }

    /* Waiting needs a task; nothing changes when refused. */
    CHECK_RC(cio_queue_init(&q, 1), 0);
    CHECK_RC(cio_queue_get(&q, &v), CIO_ENOTASK);
    CHECK_RC(cio_queue_put_nowait(&q, "a"), 0);
    CHECK_RC(cio_queue_put(&q, "b"), CIO_ENOTASK);
    CHECK_RC(cio_queue_join(&q), CIO_ENOTASK);
    CHECK_INT(cio_queue_qsize(&q), 1);
    CHECK_RC(cio_queue_get_nowait(&q, NULL), -EINVAL);
    CHECK_INT(cio_queue_qsize(&q), 1);
    CHECK_RC(cio_queue_get_nowait(&q, &v), 0);
    CHECK_STR(v, "a");
    CHECK_RC(cio_queue_task_done(&q), 0);
    CHECK_RC(cio_queue_task_done(&q), -EOVERFLOW); /* "b" was never put */
    CHECK_RC(cio_queue_destroy(&q), 0);

    CHECK_RC(run_limited(m_bad_in_task, NULL, NULL), 0);
}

/* ---------------------------------------------------- waiting and FIFO */

static int m_put_get_suspend(void *arg, void **result)
{
    cio_queue_t q;
    REQ_RC_IS(cio_queue_init(&q, 2), 0);
    REQ_RC_IS(cio_queue_put(&q, "a"), 0);
    REQ_RC_IS(cio_queue_put(&q, "b"), 0);
    struct qtask p = {.q = &q, .name = "P", .item = "c"};
    cio_task_t *tp = spawn(body_put, &p);
    REQ_SPAWNED();
    REQ_RC_IS(yield_n(3), 0);
    CHECK_INT(p.done, 0); /* waits while full */
    CHECK_INT(cio_queue_qsize(&q), 2);
    void *v;
    REQ_RC_IS(cio_queue_get(&q, &v), 0);
    log_event("got=a");
    CHECK_STR(v, "a");
    CHECK_INT(p.done, 0);
    REQ_RC_IS(yield_n(1), 0);
    CHECK_INT(p.done, 1); /* woken by the get, in the next iteration */
    CHECK_INT(cio_queue_qsize(&q), 2);
    REQ_RC_IS(cio_queue_get(&q, &v), 0);
    CHECK_STR(v, "b");
    REQ_RC_IS(cio_queue_get(&q, &v), 0);
    CHECK_STR(v, "c");

    struct qtask g = {.q = &q, .name = "G"};
    cio_task_t *tg = spawn(body_get, &g);
    REQ_SPAWNED();
    REQ_RC_IS(yield_n(3), 0);
    CHECK_INT(g.done, 0); /* waits while empty */
    REQ_RC_IS(cio_queue_put_nowait(&q, "d"), 0);
    log_event("put=d");
    REQ_RC_IS(cio_await(tg, NULL), 0);
    CHECK_STR(g.item, "d");
    REQ_RC_IS(cio_await(tp, NULL), 0);
    REQ_RC_IS(cio_queue_destroy(&q), 0);
out:
    finish(&q);
    return 0;
}

static void t_put_get_suspend(void)
{
    CHECK_RC(run_limited(m_put_get_suspend, NULL, NULL), 0);
    CHECK_ORDER("got=a P-put put=d G=d");
}

static int m_getters_fifo(void *arg, void **result)
{
    cio_queue_t q;
    REQ_RC_IS(cio_queue_init(&q, 0), 0);
    struct qtask g[3] = {{.q = &q, .name = "G1"}, {.q = &q, .name = "G2"}, {.q = &q, .name = "G3"}};
    cio_task_t *t[3];
    for (int i = 0; i < 3; i++) {
        t[i] = spawn(body_get, &g[i]);
        REQ_SPAWNED();
    }
    REQ_RC_IS(yield_n(1), 0);
    REQ_RC_IS(cio_queue_put_nowait(&q, "a"), 0);
    REQ_RC_IS(cio_queue_put_nowait(&q, "b"), 0);
    REQ_RC_IS(cio_queue_put_nowait(&q, "c"), 0);
    for (int i = 0; i < 3; i++) {
        REQ_RC_IS(cio_await(t[i], NULL), 0);
    }
    REQ_RC_IS(cio_queue_destroy(&q), 0);
out:
    finish(&q);
    return 0;
}

static void t_getters_served_fifo(void)
{
    CHECK_RC(run_limited(m_getters_fifo, NULL, NULL), 0);
    CHECK_ORDER("G1=a G2=b G3=c");
}

static int m_putters_fifo(void *arg, void **result)
{
    cio_queue_t q;
    REQ_RC_IS(cio_queue_init(&q, 1), 0);
    REQ_RC_IS(cio_queue_put_nowait(&q, "x"), 0);
    struct qtask p[3] = {{.q = &q, .name = "P1", .item = "p1"},
                         {.q = &q, .name = "P2", .item = "p2"},
                         {.q = &q, .name = "P3", .item = "p3"}};
    cio_task_t *t[3];
    for (int i = 0; i < 3; i++) {
        t[i] = spawn(body_put, &p[i]);
        REQ_SPAWNED();
    }
    REQ_RC_IS(yield_n(1), 0);
    for (int i = 0; i < 4; i++) {
        void *v;
        REQ_RC_IS(cio_queue_get(&q, &v), 0);
        char buf[32];
        snprintf(buf, sizeof buf, "got=%s", (const char *)v);
        log_event(buf);
    }
    for (int i = 0; i < 3; i++) {
        REQ_RC_IS(cio_await(t[i], NULL), 0);
    }
    REQ_RC_IS(cio_queue_destroy(&q), 0);
out:
    finish(&q);
    return 0;
}

static void t_putters_served_fifo(void)
{
    CHECK_RC(run_limited(m_putters_fifo, NULL, NULL), 0);
    CHECK_ORDER("got=x P1-put got=p1 P2-put got=p2 P3-put got=p3");
}

static void t_nowait_errors_and_counts(void)
{
    cio_queue_t q;
    void *v;
    CHECK_RC(cio_queue_init(&q, 1), 0);
    CHECK_RC(cio_queue_get_nowait(&q, &v), CIO_EQUEUEEMPTY);
    CHECK_RC(cio_queue_put_nowait(&q, "a"), 0);
    CHECK_INT(cio_queue_full(&q), 1);
    CHECK_INT(cio_queue_qsize(&q), 1);
    CHECK_RC(cio_queue_put_nowait(&q, "b"), CIO_EQUEUEFULL);
    CHECK_INT(cio_queue_qsize(&q), 1);
    CHECK_RC(cio_queue_get_nowait(&q, &v), 0);
    CHECK_STR(v, "a");
    CHECK_INT(cio_queue_full(&q), 0);
    CHECK_RC(cio_queue_get_nowait(&q, &v), CIO_EQUEUEEMPTY);
    /* The refused put did not count as an unfinished item. */
    CHECK_RC(cio_queue_task_done(&q), 0);
    CHECK_RC(cio_queue_task_done(&q), -EOVERFLOW);
    CHECK_RC(cio_queue_task_done(&q), -EOVERFLOW);
    /* Still usable after the refusals. */
    CHECK_RC(cio_queue_put_nowait(&q, "c"), 0);
    CHECK_RC(cio_queue_task_done(&q), 0);
    CHECK_RC(cio_queue_destroy(&q), 0);
}

/* ---------------------------------------------------------- unbounded */

static int body_flag(void *arg, void **result)
{
    *(int *)arg = 1;
    return 0;
}

static int m_unbounded(void *arg, void **result)
{
    enum { N = 100000 };
    long maxsizes[2] = {0, -5};
    cio_queue_t q;
    int flag = 0;
    for (int m = 0; m < 2; m++) {
        REQ_RC_IS(cio_queue_init(&q, maxsizes[m]), 0);
        CHECK_INT(cio_queue_maxsize(&q), maxsizes[m]);
        flag = 0;
        cio_task_t *t = spawn_anon(body_flag, &flag);
        REQ_SPAWNED();
        /* A put that does not wait does not suspend: the other task has
         * not run when all puts and gets are through. */
        for (int i = 0; i < N; i++) {
            int rc = cio_queue_put(&q, I2P(i));
            REQ_RC_IS(rc, 0);
        }
        CHECK_INT(cio_queue_qsize(&q), N);
        CHECK_INT(cio_queue_full(&q), 0);
        REQ_RC_IS(cio_queue_put_nowait(&q, I2P(N)), 0);
        int bad = 0;
        for (int i = 0; i <= N; i++) {
            void *v;
            if (cio_queue_get(&q, &v) != 0 || P2I(v) != i)
                bad++;
        }
        CHECK_INT(bad, 0);
        CHECK_INT(flag, 0);
        CHECK_INT(cio_queue_empty(&q), 1);
        for (int i = 0; i <= N; i++)
            if (cio_queue_task_done(&q) != 0)
                bad++;
        CHECK_INT(bad, 0);
        REQ_RC_IS(cio_queue_task_done(&q), -EOVERFLOW);
        REQ_RC_IS(cio_queue_join(&q), 0);
        CHECK_INT(flag, 0);
        REQ_RC_IS(cio_await(t, NULL), 0);
        CHECK_INT(flag, 1);
        REQ_RC_IS(cio_queue_destroy(&q), 0);
        finish(NULL);
    }
    return 0;
out:
    finish(&q);
    return 0;
}

static void t_unbounded_100k(void)
{
    CHECK_RC(run_limited(m_unbounded, NULL, NULL), 0);
}

/* ---------------------------------------------------- task_done / join */

static int body_take3(void *arg, void **result)
{
    cio_queue_t *q = arg;
    for (int i = 0; i < 3; i++) {
        void *v;
        int rc = cio_queue_get(q, &v);
        if (rc < 0)
            return rc;
    }
    log_event("taken");
    return 0;
}

static int m_join(void *arg, void **result)
{
    cio_queue_t q;
    REQ_RC_IS(cio_queue_init(&q, 0), 0);
    REQ_RC_IS(cio_queue_task_done(&q), -EOVERFLOW);
    REQ_RC_IS(cio_queue_join(&q), 0); /* nothing put: at once */
    REQ_RC_IS(cio_queue_put(&q, "x"), 0);
    REQ_RC_IS(cio_queue_put(&q, "y"), 0);
    REQ_RC_IS(cio_queue_put(&q, "z"), 0);
    cio_task_t *c = spawn_anon(body_take3, &q);
    REQ_SPAWNED();
    struct qtask j1 = {.q = &q, .name = "J1"}, j2 = {.q = &q, .name = "J2"};
    cio_task_t *t1 = spawn(body_join, &j1), *t2 = spawn(body_join, &j2);
    REQ_SPAWNED();
    REQ_RC_IS(yield_n(4), 0);
    /* Empty, but nothing was marked done: join keeps waiting. */
    CHECK_INT(cio_queue_empty(&q), 1);
    CHECK_INT(j1.done + j2.done, 0);
    for (int i = 1; i <= 3; i++) {
        char buf[16];
        snprintf(buf, sizeof buf, "done%d", i);
        log_event(buf);
        REQ_RC_IS(cio_queue_task_done(&q), 0);
        REQ_RC_IS(yield_n(2), 0);
    }
    REQ_RC_IS(cio_await(t1, NULL), 0);
    REQ_RC_IS(cio_await(t2, NULL), 0);
    REQ_RC_IS(cio_await(c, NULL), 0);
    REQ_RC_IS(cio_queue_task_done(&q), -EOVERFLOW);
    REQ_RC_IS(cio_queue_join(&q), 0);

    /* The converse: items still queued but all marked done — join returns. */
    REQ_RC_IS(cio_queue_put(&q, "u"), 0);
    REQ_RC_IS(cio_queue_put(&q, "v"), 0);
    REQ_RC_IS(cio_queue_task_done(&q), 0);
    REQ_RC_IS(cio_queue_task_done(&q), 0);
    REQ_RC_IS(cio_queue_join(&q), 0);
    CHECK_INT(cio_queue_qsize(&q), 2);

    /* A cancelled join. */
    REQ_RC_IS(cio_queue_put(&q, "w"), 0);
    struct qtask j3 = {.q = &q, .name = "J3"};
    cio_task_t *t3 = spawn(body_join, &j3);
    REQ_SPAWNED();
    REQ_RC_IS(yield_n(2), 0);
    CHECK_INT(j3.done, 0);
    CHECK_INT(cio_task_cancel(t3, NULL), 1);
    REQ_RC_IS(cio_await(t3, NULL), -ECANCELED);
    REQ_RC_IS(cio_queue_task_done(&q), 0);
    REQ_RC_IS(cio_queue_join(&q), 0);
    REQ_RC_IS(cio_queue_destroy(&q), 0);
out:
    finish(&q);
    return 0;
}

static void t_join_counts_task_done(void)
{
    CHECK_RC(run_limited(m_join, NULL, NULL), 0);
    CHECK_ORDER("taken done1 done2 done3 J1-joined J2-joined J3:ECANCELED");
}

/* ---------------------------------------------------- cancellation races */

static int m_cancel_put(void *arg, void **result)
{
    cio_queue_t q;
    REQ_RC_IS(cio_queue_init(&q, 1), 0);
    REQ_RC_IS(cio_queue_put(&q, "a"), 0);
    struct qtask p = {.q = &q, .name = "P", .item = "b"};
    cio_task_t *t = spawn(body_put, &p);
    REQ_SPAWNED();
    REQ_RC_IS(yield_n(2), 0);
    CHECK_INT(p.done, 0);
    CHECK_INT(cio_task_cancel(t, NULL), 1);
    REQ_RC_IS(cio_await(t, NULL), -ECANCELED);
    CHECK_INT(cio_queue_qsize(&q), 1); /* nothing inserted */
    void *v;
    REQ_RC_IS(cio_queue_get_nowait(&q, &v), 0);
    CHECK_STR(v, "a");
    REQ_RC_IS(cio_queue_get_nowait(&q, &v), CIO_EQUEUEEMPTY);
    REQ_RC_IS(cio_queue_task_done(&q), 0);
    REQ_RC_IS(cio_queue_task_done(&q), -EOVERFLOW); /* "b" was never counted */
    /* The queue still works for putters after the cancelled one. */
    REQ_RC_IS(cio_queue_put(&q, "c"), 0);
    REQ_RC_IS(cio_queue_get(&q, &v), 0);
    CHECK_STR(v, "c");
    REQ_RC_IS(cio_queue_destroy(&q), 0);
out:
    finish(&q);
    return 0;
}

static void t_cancelled_put_inserts_nothing(void)
{
    CHECK_RC(run_limited(m_cancel_put, NULL, NULL), 0);
    CHECK_ORDER("P:ECANCELED");
}

static int m_cancel_get_waiting(void *arg, void **result)
{
    cio_queue_t q;
    REQ_RC_IS(cio_queue_init(&q, 0), 0);
    struct qtask g = {.q = &q, .name = "G"};
    cio_task_t *t = spawn(body_get, &g);
    REQ_SPAWNED();
    REQ_RC_IS(yield_n(2), 0);
    CHECK_INT(cio_task_cancel(t, NULL), 1);
    REQ_RC_IS(cio_await(t, NULL), -ECANCELED);
    CHECK(g.item == NULL);
    REQ_RC_IS(cio_queue_put_nowait(&q, "x"), 0);
    REQ_RC_IS(yield_n(2), 0);
    CHECK_INT(cio_queue_qsize(&q), 1); /* nobody took it */
    void *v;
    REQ_RC_IS(cio_queue_get_nowait(&q, &v), 0);
    CHECK_STR(v, "x");
    REQ_RC_IS(cio_queue_destroy(&q), 0);
out:
    finish(&q);
    return 0;
}

static void t_cancelled_get_takes_nothing(void)
{
    CHECK_RC(run_limited(m_cancel_get_waiting, NULL, NULL), 0);
    CHECK_ORDER("G:ECANCELED");
}

/* G1 is woken by the put, then cancelled before it runs: the item goes to
 * G2.  (asyncio: ['G1-cancelled', 'G2=x'].) */
static int m_woken_then_cancelled(void *arg, void **result)
{
    cio_queue_t q;
    REQ_RC_IS(cio_queue_init(&q, 0), 0);
    struct qtask g1 = {.q = &q, .name = "G1"}, g2 = {.q = &q, .name = "G2"};
    cio_task_t *t1 = spawn(body_get, &g1), *t2 = spawn(body_get, &g2);
    REQ_SPAWNED();
    REQ_RC_IS(yield_n(1), 0);
    REQ_RC_IS(cio_queue_put_nowait(&q, "x"), 0);
    CHECK_INT(cio_task_cancel(t1, NULL), 1);
    REQ_RC_IS(cio_await(t1, NULL), -ECANCELED);
    REQ_RC_IS(cio_await(t2, NULL), 0);
    CHECK_STR(g2.item, "x");
    CHECK_INT(cio_queue_qsize(&q), 0);

    /* Alone: the item stays for a later get. */
    struct qtask g3 = {.q = &q, .name = "G3"};
    cio_task_t *t3 = spawn(body_get, &g3);
    REQ_SPAWNED();
    REQ_RC_IS(yield_n(1), 0);
    REQ_RC_IS(cio_queue_put_nowait(&q, "y"), 0);
    CHECK_INT(cio_task_cancel(t3, NULL), 1);
    REQ_RC_IS(cio_await(t3, NULL), -ECANCELED);
    CHECK_INT(cio_queue_qsize(&q), 1);
    void *v;
    REQ_RC_IS(cio_queue_get(&q, &v), 0);
    CHECK_STR(v, "y");
    REQ_RC_IS(cio_queue_destroy(&q), 0);
out:
    finish(&q);
    return 0;
}

static void t_woken_getter_cancelled_hands_item_on(void)
{
    CHECK_RC(run_limited(m_woken_then_cancelled, NULL, NULL), 0);
    CHECK_ORDER("G1:ECANCELED G2=x G3:ECANCELED");
}

/* Cancel first, then put, in the same step: G1 is out, G2 gets the item. */
static int m_cancel_then_put(void *arg, void **result)
{
    cio_queue_t q;
    REQ_RC_IS(cio_queue_init(&q, 0), 0);
    struct qtask g1 = {.q = &q, .name = "G1"}, g2 = {.q = &q, .name = "G2"};
    cio_task_t *t1 = spawn(body_get, &g1), *t2 = spawn(body_get, &g2);
    REQ_SPAWNED();
    REQ_RC_IS(yield_n(1), 0);
    CHECK_INT(cio_task_cancel(t1, NULL), 1);
    REQ_RC_IS(cio_queue_put_nowait(&q, "x"), 0);
    REQ_RC_IS(cio_await(t1, NULL), -ECANCELED);
    REQ_RC_IS(cio_await(t2, NULL), 0);
    CHECK_STR(g2.item, "x");
    CHECK_INT(cio_queue_qsize(&q), 0);
    REQ_RC_IS(cio_queue_destroy(&q), 0);
out:
    finish(&q);
    return 0;
}

static void t_cancel_then_put_same_step(void)
{
    CHECK_RC(run_limited(m_cancel_then_put, NULL, NULL), 0);
    CHECK_ORDER("G1:ECANCELED G2=x");
}

/* A put and a cancel of the waiting getter made by two other tasks in the
 * same iteration, in both orders: the getter ends cancelled and the item is
 * still in the queue.  (asyncio: the same for both orders.) */
struct race {
    cio_queue_t *q;
    cio_task_t *getter;
};

static int body_race_put(void *arg, void **result)
{
    struct race *r = arg;
    int rc = cio_yield();
    if (rc == 0)
        rc = cio_queue_put_nowait(r->q, "x");
    log_event("A-put");
    return rc;
}

static int body_race_cancel(void *arg, void **result)
{
    struct race *r = arg;
    int rc = cio_yield();
    cio_task_cancel(r->getter, NULL);
    log_event("B-cancel");
    return rc;
}

static int m_race(void *arg, void **result)
{
    int cancel_first = *(int *)arg;
    cio_queue_t q;
    REQ_RC_IS(cio_queue_init(&q, 0), 0);
    struct qtask g = {.q = &q, .name = "G"};
    cio_task_t *tg = spawn(body_get, &g);
    REQ_SPAWNED();
    REQ_RC_IS(yield_n(1), 0);
    struct race r = {.q = &q, .getter = tg};
    cio_task_t *a, *b;
    if (cancel_first) {
        b = spawn_anon(body_race_cancel, &r);
        REQ_SPAWNED();
        a = spawn_anon(body_race_put, &r);
        REQ_SPAWNED();
    } else {
        a = spawn_anon(body_race_put, &r);
        REQ_SPAWNED();
        b = spawn_anon(body_race_cancel, &r);
        REQ_SPAWNED();
    }
    REQ_RC_IS(cio_await(a, NULL), 0);
    REQ_RC_IS(cio_await(b, NULL), 0);
    REQ_RC_IS(cio_await(tg, NULL), -ECANCELED);
    CHECK_INT(cio_queue_qsize(&q), 1);
    void *v;
    REQ_RC_IS(cio_queue_get_nowait(&q, &v), 0);
    CHECK_STR(v, "x");
    REQ_RC_IS(cio_queue_destroy(&q), 0);
out:
    finish(&q);
    return 0;
}

static void t_cancel_get_racing_put(void)
{
    int cancel_first = 0;
    CHECK_RC(run_limited(m_race, &cancel_first, NULL), 0);
    CHECK_ORDER("A-put B-cancel G:ECANCELED");
    log_reset();
    cancel_first = 1;
    CHECK_RC(run_limited(m_race, &cancel_first, NULL), 0);
    CHECK_ORDER("B-cancel A-put G:ECANCELED");
}

/* P1 is woken by a get (a free slot), then cancelled before it runs: the
 * slot goes to P2.  (asyncio: ['got=a', 'P1-cancelled', 'P2-put'], ['c'].) */
static int m_woken_putter_cancelled(void *arg, void **result)
{
    cio_queue_t q;
    REQ_RC_IS(cio_queue_init(&q, 1), 0);
    REQ_RC_IS(cio_queue_put_nowait(&q, "a"), 0);
    struct qtask p1 = {.q = &q, .name = "P1", .item = "b"}, p2 = {.q = &q, .name = "P2", .item = "c"};
    cio_task_t *t1 = spawn(body_put, &p1), *t2 = spawn(body_put, &p2);
    REQ_SPAWNED();
    REQ_RC_IS(yield_n(1), 0);
    void *v;
    REQ_RC_IS(cio_queue_get_nowait(&q, &v), 0);
    CHECK_STR(v, "a");
    CHECK_INT(cio_task_cancel(t1, NULL), 1);
    REQ_RC_IS(cio_await(t1, NULL), -ECANCELED);
    REQ_RC_IS(cio_await(t2, NULL), 0);
    CHECK_INT(cio_queue_qsize(&q), 1);
    REQ_RC_IS(cio_queue_get_nowait(&q, &v), 0);
    CHECK_STR(v, "c");
    REQ_RC_IS(cio_queue_destroy(&q), 0);
out:
    finish(&q);
    return 0;
}

static void t_woken_putter_cancelled_hands_slot_on(void)
{
    CHECK_RC(run_limited(m_woken_putter_cancelled, NULL, NULL), 0);
    CHECK_ORDER("P1:ECANCELED P2-put");
}

/* Two cancels of a waiting task before it runs (asyncio: both return True,
 * cancelling() == 2, the task ends cancelled once; nothing is inserted or
 * taken).  The second cancel must not wake the task a second time. */
static int m_cancel_twice(void *arg, void **result)
{
    cio_queue_t q;
    void *v;
    REQ_RC_IS(cio_queue_init(&q, 1), 0);
    struct qtask g = {.q = &q, .name = "G"};
    cio_task_t *t = spawn(body_get, &g);
    REQ_SPAWNED();
    REQ_RC_IS(yield_n(2), 0);
    CHECK_INT(cio_task_cancel(t, NULL), 1);
    CHECK_INT(cio_task_cancel(t, NULL), 1);
    CHECK_INT(cio_task_cancelling(t), 2);
    REQ_RC_IS(cio_await(t, NULL), -ECANCELED);
    REQ_RC_IS(yield_n(2), 0); /* a second wake-up of the finished task would run here */

    REQ_RC_IS(cio_queue_put(&q, "a"), 0);
    struct qtask p = {.q = &q, .name = "P", .item = "b"};
    t = spawn(body_put, &p);
    REQ_SPAWNED();
    REQ_RC_IS(yield_n(2), 0);
    CHECK_INT(cio_task_cancel(t, NULL), 1);
    CHECK_INT(cio_task_cancel(t, NULL), 1);
    REQ_RC_IS(cio_await(t, NULL), -ECANCELED);
    REQ_RC_IS(yield_n(2), 0);
    CHECK_INT(cio_queue_qsize(&q), 1);

    struct qtask j = {.q = &q, .name = "J"};
    t = spawn(body_join, &j);
    REQ_SPAWNED();
    REQ_RC_IS(yield_n(2), 0);
    CHECK_INT(cio_task_cancel(t, NULL), 1);
    CHECK_INT(cio_task_cancel(t, NULL), 1);
    REQ_RC_IS(cio_await(t, NULL), -ECANCELED);
    REQ_RC_IS(yield_n(2), 0);

    REQ_RC_IS(cio_queue_get_nowait(&q, &v), 0);
    CHECK_STR(v, "a");
    REQ_RC_IS(cio_queue_get_nowait(&q, &v), CIO_EQUEUEEMPTY);
    REQ_RC_IS(cio_queue_destroy(&q), 0);
out:
    finish(&q);
    return 0;
}

static void t_waiter_cancelled_twice(void)
{
    CHECK_RC(run_limited(m_cancel_twice, NULL, NULL), 0);
    CHECK_ORDER("G:ECANCELED P:ECANCELED J:ECANCELED");
}

/* ------------------------------------------------------------- shutdown */

static int m_shutdown_graceful(void *arg, void **result)
{
    cio_queue_t q;
    REQ_RC_IS(cio_queue_init(&q, 2), 0);
    REQ_RC_IS(cio_queue_put(&q, "a"), 0);
    REQ_RC_IS(cio_queue_put(&q, "b"), 0);
    struct qtask p = {.q = &q, .name = "P", .item = "c"};
    cio_task_t *tp = spawn(body_put, &p);
    REQ_SPAWNED();
    struct qtask j = {.q = &q, .name = "J"};
    cio_task_t *tj = spawn(body_join, &j);
    REQ_SPAWNED();
    REQ_RC_IS(yield_n(2), 0);
    CHECK_INT(p.done, 0);
    REQ_RC_IS(cio_queue_shutdown(&q, 0, NULL, NULL), 0); /* nothing removed */
    log_event("shutdown");
    REQ_RC_IS(cio_await(tp, NULL), CIO_EQUEUESHUTDOWN); /* the blocked putter */
    REQ_RC_IS(cio_queue_put_nowait(&q, "d"), CIO_EQUEUESHUTDOWN);
    REQ_RC_IS(cio_queue_put(&q, "d"), CIO_EQUEUESHUTDOWN);
    CHECK_INT(cio_queue_qsize(&q), 2);
    void *v;
    REQ_RC_IS(cio_queue_get(&q, &v), 0); /* what is left can still be taken */
    CHECK_STR(v, "a");
    REQ_RC_IS(cio_queue_put(&q, "d"), CIO_EQUEUESHUTDOWN); /* not full any more, still refused */
    REQ_RC_IS(cio_queue_get_nowait(&q, &v), 0);
    CHECK_STR(v, "b");
    REQ_RC_IS(cio_queue_get(&q, &v), CIO_EQUEUESHUTDOWN); /* empty: at once, no wait */
    REQ_RC_IS(cio_queue_get_nowait(&q, &v), CIO_EQUEUESHUTDOWN);
    /* join still counts the two items taken and not marked done. */
    REQ_RC_IS(yield_n(2), 0);
    CHECK_INT(j.done, 0);
    REQ_RC_IS(cio_queue_task_done(&q), 0);
    REQ_RC_IS(cio_queue_task_done(&q), 0);
    REQ_RC_IS(cio_await(tj, NULL), 0);
    REQ_RC_IS(cio_queue_task_done(&q), -EOVERFLOW);
    REQ_RC_IS(cio_queue_shutdown(&q, 0, NULL, NULL), 0); /* again: harmless */
    REQ_RC_IS(cio_queue_destroy(&q), 0);

    /* Getters blocked on an empty queue are woken with the error. */
    REQ_RC_IS(cio_queue_init(&q, 0), 0);
    struct qtask g1 = {.q = &q, .name = "G1"}, g2 = {.q = &q, .name = "G2"};
    cio_task_t *t1 = spawn(body_get, &g1), *t2 = spawn(body_get, &g2);
    REQ_SPAWNED();
    REQ_RC_IS(yield_n(2), 0);
    REQ_RC_IS(cio_queue_shutdown(&q, 0, NULL, NULL), 0);
    REQ_RC_IS(cio_await(t1, NULL), CIO_EQUEUESHUTDOWN);
    REQ_RC_IS(cio_await(t2, NULL), CIO_EQUEUESHUTDOWN);
    REQ_RC_IS(cio_queue_destroy(&q), 0);
out:
    finish(&q);
    return 0;
}

static void t_shutdown_graceful(void)
{
    CHECK_RC(run_limited(m_shutdown_graceful, NULL, NULL), 0);
    CHECK_ORDER("shutdown P:CIO_EQUEUESHUTDOWN J-joined G1:CIO_EQUEUESHUTDOWN G2:CIO_EQUEUESHUTDOWN");
}

struct drained {
    void *items[16];
    int n;
};

static void drain_fn(void *item, void *ud)
{
    struct drained *d = ud;
    if (d->n < 16)
        d->items[d->n] = item;
    d->n++;
}

static int m_shutdown_immediate(void *arg, void **result)
{
    cio_queue_t q;
    struct drained d = {.n = 0};
    void *v;
    REQ_RC_IS(cio_queue_init(&q, 0), 0);
    const char *in[4] = {"a", "b", "c", "d"};
    for (int i = 0; i < 4; i++)
        REQ_RC_IS(cio_queue_put(&q, (void *)in[i]), 0);
    REQ_RC_IS(cio_queue_get(&q, &v), 0); /* "a" taken, not yet marked done */
    struct qtask j = {.q = &q, .name = "J"};
    cio_task_t *tj = spawn(body_join, &j);
    REQ_SPAWNED();
    REQ_RC_IS(yield_n(2), 0);
    CHECK_INT(j.done, 0);
    REQ_RC_IS(cio_queue_shutdown(&q, 1, drain_fn, &d), 3);
    log_event("shutdown");
    CHECK_INT(d.n, 3);
    CHECK_STR((const char *)d.items[0], "b");
    CHECK_STR((const char *)d.items[1], "c");
    CHECK_STR((const char *)d.items[2], "d");
    CHECK_INT(cio_queue_qsize(&q), 0);
    REQ_RC_IS(cio_queue_get_nowait(&q, &v), CIO_EQUEUESHUTDOWN);
    REQ_RC_IS(cio_queue_put_nowait(&q, "e"), CIO_EQUEUESHUTDOWN);
    /* The drained items count as done; "a" does not: join still waits. */
    REQ_RC_IS(yield_n(3), 0);
    CHECK_INT(j.done, 0);
    log_event("task_done");
    REQ_RC_IS(cio_queue_task_done(&q), 0);
    REQ_RC_IS(cio_await(tj, NULL), 0);
    REQ_RC_IS(cio_queue_task_done(&q), -EOVERFLOW);
    REQ_RC_IS(cio_queue_shutdown(&q, 1, drain_fn, &d), 0); /* nothing left */
    CHECK_INT(d.n, 3);
    REQ_RC_IS(cio_queue_destroy(&q), 0);

    /* All items drained: a waiting join returns at once; no drain callback. */
    REQ_RC_IS(cio_queue_init(&q, 0), 0);
    for (int i = 0; i < 4; i++)
        REQ_RC_IS(cio_queue_put(&q, (void *)in[i]), 0);
    j = (struct qtask){.q = &q, .name = "J2"};
    tj = spawn(body_join, &j);
    REQ_SPAWNED();
    REQ_RC_IS(yield_n(2), 0);
    REQ_RC_IS(cio_queue_shutdown(&q, 1, NULL, NULL), 4);
    REQ_RC_IS(cio_await(tj, NULL), 0);
    REQ_RC_IS(cio_queue_task_done(&q), -EOVERFLOW);
    REQ_RC_IS(cio_queue_destroy(&q), 0);

    /* Blocked getters and blocked putters get the error. */
    REQ_RC_IS(cio_queue_init(&q, 0), 0);
    struct qtask g = {.q = &q, .name = "G"};
    cio_task_t *tg = spawn(body_get, &g);
    REQ_SPAWNED();
    REQ_RC_IS(yield_n(2), 0);
    REQ_RC_IS(cio_queue_shutdown(&q, 1, NULL, NULL), 0);
    REQ_RC_IS(cio_await(tg, NULL), CIO_EQUEUESHUTDOWN);
    REQ_RC_IS(cio_queue_destroy(&q), 0);

    REQ_RC_IS(cio_queue_init(&q, 2), 0);
    REQ_RC_IS(cio_queue_put(&q, "x"), 0);
    REQ_RC_IS(cio_queue_put(&q, "y"), 0);
    struct qtask p = {.q = &q, .name = "P", .item = "z"};
    cio_task_t *tp = spawn(body_put, &p);
    REQ_SPAWNED();
    REQ_RC_IS(yield_n(2), 0);
    d.n = 0;
    REQ_RC_IS(cio_queue_shutdown(&q, 1, drain_fn, &d), 2);
    REQ_RC_IS(cio_await(tp, NULL), CIO_EQUEUESHUTDOWN);
    CHECK_INT(d.n, 2);
    CHECK_STR((const char *)d.items[0], "x");
    CHECK_STR((const char *)d.items[1], "y");
    CHECK_INT(cio_queue_qsize(&q), 0);
    REQ_RC_IS(cio_queue_join(&q), 0);
    REQ_RC_IS(cio_queue_destroy(&q), 0);
out:
    finish(&q);
    return 0;
}

static void t_shutdown_immediate(void)
{
    CHECK_RC(run_limited(m_shutdown_immediate, NULL, NULL), 0);
    CHECK_ORDER("shutdown task_done J-joined J2-joined G:CIO_EQUEUESHUTDOWN P:CIO_EQUEUESHUTDOWN");
}

static void t_shutdown_immediate_drains_in_queue_order(void)
{
    cio_queue_t q;
    struct drained d = {.n = 0};
    CHECK_RC(cio_lifoqueue_init(&q, 0), 0);
    CHECK_RC(cio_queue_put_nowait(&q, "1"), 0);
    CHECK_RC(cio_queue_put_nowait(&q, "2"), 0);
    CHECK_RC(cio_queue_put_nowait(&q, "3"), 0);
    CHECK_RC(cio_queue_shutdown(&q, 1, drain_fn, &d), 3);
    CHECK_INT(d.n, 3);
    CHECK_STR((const char *)d.items[0], "3");
    CHECK_STR((const char *)d.items[1], "2");
    CHECK_STR((const char *)d.items[2], "1");
    CHECK_RC(cio_queue_destroy(&q), 0);

    struct pitem a = {.prio = 2}, b = {.prio = 0}, c = {.prio = 1};
    struct drained e = {.n = 0};
    CHECK_RC(cio_priorityqueue_init(&q, 0, pcmp), 0);
    CHECK_RC(cio_queue_put_nowait(&q, &a), 0);
    CHECK_RC(cio_queue_put_nowait(&q, &b), 0);
    CHECK_RC(cio_queue_put_nowait(&q, &c), 0);
    CHECK_RC(cio_queue_shutdown(&q, 1, drain_fn, &e), 3);
    CHECK_INT(e.n, 3);
    CHECK(e.items[0] == &b);
    CHECK(e.items[1] == &c);
    CHECK(e.items[2] == &a);
    CHECK_RC(cio_queue_destroy(&q), 0);
}

/* -------------------------------------------------------------- destroy */

static int m_destroy_busy(void *arg, void **result)
{
    cio_queue_t q;
    REQ_RC_IS(cio_queue_init(&q, 1), 0);
    /* A waiting getter. */
    struct qtask g = {.q = &q, .name = "G"};
    cio_task_t *tg = spawn(body_get, &g);
    REQ_SPAWNED();
    REQ_RC_IS(yield_n(2), 0);
    REQ_RC_IS(cio_queue_destroy(&q), -EBUSY);
    CHECK_INT(cio_task_cancel(tg, NULL), 1);
    REQ_RC_IS(cio_await(tg, NULL), -ECANCELED);
    /* A getter woken by a put but not yet resumed is still inside get. */
    g = (struct qtask){.q = &q, .name = "G2"};
    tg = spawn(body_get, &g);
    REQ_SPAWNED();
    REQ_RC_IS(yield_n(2), 0);
    REQ_RC_IS(cio_queue_put_nowait(&q, "x"), 0);
    REQ_RC_IS(cio_queue_destroy(&q), -EBUSY);
    REQ_RC_IS(cio_await(tg, NULL), 0);
    CHECK_STR(g.item, "x");
    /* A waiting putter. */
    REQ_RC_IS(cio_queue_put(&q, "y"), 0);
    struct qtask p = {.q = &q, .name = "P", .item = "z"};
    cio_task_t *tp = spawn(body_put, &p);
    REQ_SPAWNED();
    REQ_RC_IS(yield_n(2), 0);
    REQ_RC_IS(cio_queue_destroy(&q), -EBUSY);
    CHECK_INT(cio_task_cancel(tp, NULL), 1);
    REQ_RC_IS(cio_await(tp, NULL), -ECANCELED);
    /* A waiting join ("y" is unfinished). */
    struct qtask j = {.q = &q, .name = "J"};
    cio_task_t *tj = spawn(body_join, &j);
    REQ_SPAWNED();
    REQ_RC_IS(yield_n(2), 0);
    REQ_RC_IS(cio_queue_destroy(&q), -EBUSY);
    CHECK_INT(cio_task_cancel(tj, NULL), 1);
    REQ_RC_IS(cio_await(tj, NULL), -ECANCELED);
    /* Nobody waits: it goes, with "y" still queued (the caller's). */
    REQ_RC_IS(cio_queue_destroy(&q), 0);
out:
    finish(&q);
    return 0;
}

static void t_destroy_busy_while_waited_on(void)
{
    CHECK_RC(run_limited(m_destroy_busy, NULL, NULL), 0);
    CHECK_ORDER("G:ECANCELED G2=x P:ECANCELED J:ECANCELED");
}

/* --------------------------------------------------------------- stress */

enum { S_PRODUCERS = 100, S_PER_PRODUCER = 100, S_CONSUMERS = 50, S_ITEMS = S_PRODUCERS * S_PER_PRODUCER };

struct stress {
    cio_queue_t q;
    unsigned char seen[S_ITEMS];
    long received, done_calls, dup, bad;
    int stop;
    int producers_left;
    cio_task_t *producers[S_PRODUCERS];
    cio_task_t *consumers[S_CONSUMERS];
    int ids[S_PRODUCERS];
    long put_cancels, get_cancels;
};
static struct stress *S;

static int random_pause(void)
{
    uint32_t r = rnd() % 100;
    if (r < 60)
        return 0;
    if (r < 95)
        return cio_yield();
    return cio_sleep(0.0001 * (1 + rnd() % 5));
}

static int body_stress_producer(void *arg, void **result)
{
    int id = *(int *)arg;
    for (int k = 0; k < S_PER_PRODUCER; k++) {
        if (random_pause() == -ECANCELED)
            cio_task_uncancel(cio_current_task());
        int item = id * S_PER_PRODUCER + k;
        int rc;
        /* A cancelled put inserted nothing: put the same item again. */
        while ((rc = cio_queue_put(&S->q, I2P(item + 1))) == -ECANCELED) {
            S->put_cancels++;
            cio_task_uncancel(cio_current_task());
        }
        if (rc != 0) {
            S->bad++;
            return rc;
        }
    }
    S->producers_left--;
    return 0;
}

static int body_stress_consumer(void *arg, void **result)
{
    for (;;) {
        void *v;
        int rc = cio_queue_get(&S->q, &v);
        if (rc == -ECANCELED) {
            if (S->stop)
                return rc;
            S->get_cancels++;
            cio_task_uncancel(cio_current_task());
            continue; /* it took nothing */
        }
        if (rc != 0) {
            S->bad++;
            return rc;
        }
        int item = P2I(v) - 1;
        if (item < 0 || item >= S_ITEMS)
            S->bad++;
        else if (S->seen[item]++)
            S->dup++;
        S->received++;
        /* Work on it; a cancel in the middle does not drop the item. */
        if (random_pause() == -ECANCELED && !S->stop)
            cio_task_uncancel(cio_current_task());
        S->done_calls++;
        if (cio_queue_task_done(&S->q) != 0)
            S->bad++;
    }
}

/* Cancels random producers and consumers while the producers run. */
static int body_stress_chaos(void *arg, void **result)
{
    while (S->producers_left > 0) {
        int rc = cio_yield();
        if (rc < 0)
            return rc;
        if (rnd() % 3 == 0)
            cio_task_cancel(S->consumers[rnd() % S_CONSUMERS], NULL);
        if (rnd() % 3 == 0) {
            cio_task_t *p = S->producers[rnd() % S_PRODUCERS];
            if (!cio_future_done(p))
                cio_task_cancel(p, NULL);
        }
    }
    return 0;
}

/* After a failed step: an immediate shutdown wakes every blocked put and
 * get (the bodies return on its error), then every task is reaped. */
static void stress_abort(cio_task_t *chaos)
{
    S->stop = 1;
    cio_queue_shutdown(&S->q, 1, NULL, NULL);
    cio_task_t *c[1] = {chaos};
    reap_tasks(c, 1);
    reap_tasks(S->producers, S_PRODUCERS);
    reap_tasks(S->consumers, S_CONSUMERS);
    cio_queue_destroy(&S->q);
}

static int m_stress(void *arg, void **result)
{
    cio_task_t *chaos = NULL;
    REQ_RC_IS(cio_queue_init(&S->q, 10), 0);
    S->producers_left = S_PRODUCERS;
    for (int i = 0; i < S_CONSUMERS; i++)
        REQ((S->consumers[i] = cio_create_task(body_stress_consumer, NULL)) != NULL);
    for (int i = 0; i < S_PRODUCERS; i++) {
        S->ids[i] = i;
        REQ((S->producers[i] = cio_create_task(body_stress_producer, &S->ids[i])) != NULL);
    }
    REQ((chaos = cio_create_task(body_stress_chaos, NULL)) != NULL);
    int rcs[S_PRODUCERS];
    REQ_RC_IS(cio_gather(S->producers, S_PRODUCERS, NULL, rcs, CIO_RETURN_EXCEPTIONS), 0);
    for (int i = 0; i < S_PRODUCERS; i++)
        REQ_RC_IS(rcs[i], 0);
    REQ_RC_IS(cio_await(chaos, NULL), 0);
    REQ_RC_IS(cio_queue_join(&S->q), 0);
    /* join returned exactly when every item was marked done. */
    CHECK_INT(S->done_calls, S_ITEMS);
    CHECK_INT(S->received, S_ITEMS);
    CHECK_INT(cio_queue_qsize(&S->q), 0);
    S->stop = 1;
    for (int i = 0; i < S_CONSUMERS; i++)
        cio_task_cancel(S->consumers[i], NULL);
    REQ_RC_IS(cio_gather(S->consumers, S_CONSUMERS, NULL, rcs, CIO_RETURN_EXCEPTIONS), 0);
    for (int i = 0; i < S_CONSUMERS; i++)
        CHECK_RC(rcs[i], -ECANCELED);
    for (int i = 0; i < S_PRODUCERS; i++)
        cio_unref(S->producers[i]);
    for (int i = 0; i < S_CONSUMERS; i++)
        cio_unref(S->consumers[i]);
    cio_unref(chaos);
    CHECK_RC(cio_queue_task_done(&S->q), -EOVERFLOW);
    CHECK_RC(cio_queue_destroy(&S->q), 0);
    return 0;
out:
    stress_abort(chaos);
    return 0;
}

static void t_stress_every_item_exactly_once(void)
{
    S = calloc(1, sizeof *S);
    REQUIRE(S != NULL);
    double t0 = now_s();
    CHECK_RC(run_limited(m_stress, NULL, NULL), 0);
    CHECK(now_s() - t0 < 60);
    long missing = 0;
    for (int i = 0; i < S_ITEMS; i++)
        if (S->seen[i] != 1)
            missing++;
    CHECK_INT(missing, 0);
    CHECK_INT(S->dup, 0);
    CHECK_INT(S->bad, 0);
    /* The chaos really happened on both sides. */
    CHECK(S->put_cancels > 0);
    CHECK(S->get_cancels > 0);
    free(S);
    S = NULL;
}

/* ------------------------------------------------------ the seed's shape */

/* The seed program: producers put a random number of items after random
 * sleeps, consumers loop get/task_done forever, main gathers the producers,
 * joins the queue (which implicitly awaits the consumers' work), then
 * cancels the consumers. */
struct seed {
    cio_queue_t q;
    int produced, consumed;
    int in_flight; /* taken and not yet marked done */
};

struct seed_producer {
    struct seed *s;
    int id;
};

static int seed_produce(void *arg, void **result)
{
    struct seed_producer *p = arg;
    struct seed *s = p->s;
    int n = 1 + (int)(rnd() % 10);
    for (int i = 0; i < n; i++) {
        int rc = cio_sleep(0.001 * (rnd() % 5));
        if (rc == 0)
            rc = cio_queue_put(&s->q, I2P(p->id * 100 + i));
        if (rc < 0)
            return rc;
        s->produced++;
    }
    return 0;
}

static int seed_consume(void *arg, void **result)
{
    struct seed *s = arg;
    for (;;) {
        int rc = cio_sleep(0.001 * (rnd() % 5));
        void *v;
        if (rc == 0)
            rc = cio_queue_get(&s->q, &v);
        if (rc < 0)
            return rc;
        s->in_flight++;
        s->consumed++;
        rc = cio_sleep(0.001 * (rnd() % 3));
        s->in_flight--;
        cio_queue_task_done(&s->q);
        if (rc < 0)
            return rc;
    }
}

static int m_seed(void *arg, void **result)
{
    struct seed *s = arg;
    REQ_RC_IS(cio_queue_init(&s->q, 0), 0);
    cio_task_t *prod[4], *cons[6];
    struct seed_producer ps[4];
    for (int i = 0; i < 4; i++) {
        ps[i] = (struct seed_producer){.s = s, .id = i};
        prod[i] = spawn_anon(seed_produce, &ps[i]);
        REQ_SPAWNED();
    }
    for (int i = 0; i < 6; i++) {
        cons[i] = spawn_anon(seed_consume, s);
        REQ_SPAWNED();
    }
    REQ_RC_IS(cio_gather(prod, 4, NULL, NULL, 0), 0);
    REQ_RC_IS(cio_queue_join(&s->q), 0);
    CHECK_INT(s->in_flight, 0);
    CHECK_INT(s->consumed, s->produced);
    CHECK_INT(cio_queue_empty(&s->q), 1);
    for (int i = 0; i < 6; i++)
        CHECK_INT(cio_task_cancel(cons[i], NULL), 1); /* still looping */
    int rcs[6];
    REQ_RC_IS(cio_gather(cons, 6, NULL, rcs, CIO_RETURN_EXCEPTIONS), 0);
    for (int i = 0; i < 6; i++)
        CHECK_RC(rcs[i], -ECANCELED);
    REQ_RC_IS(cio_queue_destroy(&s->q), 0);
out:
    finish(&s->q);
    return 0;
}

static void t_seed_producers_consumers(void)
{
    struct seed s = {.produced = 0};
    CHECK_RC(run_limited(m_seed, &s, NULL), 0);
    CHECK(s.produced >= 4);
    CHECK_INT(s.consumed, s.produced);
}

/* How many loop iterations each wake-up takes, against a ticker that logs
 * t0..t5, one per iteration: the strings are what python3 (3.11) prints
 * for the same programs (a put waiting on a full queue, join, and a getter
 * cancelled after put chose it). */
static int q_ticker(void *arg, void **result)
{
    (void)arg, (void)result;
    for (int i = 0; i < 6; i++) {
        char ev[8];
        snprintf(ev, sizeof ev, "t%d", i);
        log_event(ev);
        int rc = cio_sleep(0);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int m_queue_iterations(void *arg, void **result)
{
    (void)result;
    int which = *(int *)arg;
    cio_queue_t q;
    cio_task_t *t = NULL, *w[2] = {NULL, NULL};
    struct qtask a = {&q, "a", "1", 0, 0}, b = {&q, "b", NULL, 0, 0};
    void *item = NULL;
    REQ_OK(cio_queue_init(&q, which == 0 ? 1 : 0));
    REQ(t = cio_create_task(q_ticker, NULL));
    REQ_OK(cio_sleep(0));
    switch (which) {
    case 0: /* a put waits on a full queue; get_nowait makes room */
        REQ_OK(cio_queue_put_nowait(&q, "0"));
        REQ(w[0] = cio_create_task(body_put, &a));
        REQ_OK(cio_sleep(0));
        REQ_OK(cio_queue_get_nowait(&q, &item));
        log_event("get");
        CHECK_RC(cio_await(w[0], NULL), 0);
        CHECK_INT(cio_queue_qsize(&q), 1);
        break;
    case 1: /* join waits for the one item's task_done */
        REQ_OK(cio_queue_put_nowait(&q, "0"));
        REQ(w[0] = cio_create_task(body_join, &a));
        REQ_OK(cio_sleep(0));
        REQ_OK(cio_queue_get_nowait(&q, &item));
        REQ_OK(cio_queue_task_done(&q));
        log_event("done");
        CHECK_RC(cio_await(w[0], NULL), 0);
        break;
    case 2: /* the getter put chose is cancelled: the item goes to the next */
        REQ(w[0] = cio_create_task(body_get, &a));
        REQ(w[1] = cio_create_task(body_get, &b));
        REQ_OK(cio_sleep(0));
        REQ_OK(cio_queue_put_nowait(&q, "1"));
        CHECK_INT(cio_task_cancel(w[0], NULL), 1);
        log_event("put");
        CHECK_RC(cio_await(w[0], NULL), -ECANCELED);
        CHECK_RC(cio_await(w[1], NULL), 0);
        break;
    }
    log_event("end");
    CHECK_RC(cio_await(t, NULL), 0);
out:
    reap_tasks(w, 2);
    reap_tasks(&t, 1);
    while (cio_queue_get_nowait(&q, &item) == 0)
        ;
    cio_queue_destroy(&q);
    return 0;
}

static void t_queue_wakes_when_asyncio_does(void)
{
    static const char *want[] = {
        "t0 t1 get t2 a-put t3 end t4 t5",
        "t0 t1 done t2 a-joined t3 end t4 t5",
        "t0 t1 put t2 a:ECANCELED t3 b=1 end t4 t5",
    };
    for (int which = 0; which < (int)(sizeof want / sizeof *want); which++) {
        log_reset();
        CHECK_RC(cio_run(m_queue_iterations, &which, NULL), 0);
        CHECK_ORDER(want[which]);
    }
}

static const struct test_case cases[] = {
    TEST(t_fifo_order),
    TEST(t_queue_wakes_when_asyncio_does),
    TEST(t_lifo_order),
    TEST(t_priority_order),
    TEST(t_static_initializers),
    TEST(t_bad_input),
    TEST(t_put_get_suspend),
    TEST(t_getters_served_fifo),
    TEST(t_putters_served_fifo),
    TEST(t_nowait_errors_and_counts),
    TEST(t_unbounded_100k),
    TEST(t_join_counts_task_done),
    TEST(t_cancelled_put_inserts_nothing),
    TEST(t_cancelled_get_takes_nothing),
    TEST(t_woken_getter_cancelled_hands_item_on),
    TEST(t_cancel_then_put_same_step),
    TEST(t_cancel_get_racing_put),
    TEST(t_woken_putter_cancelled_hands_slot_on),
    TEST(t_waiter_cancelled_twice),
    TEST(t_shutdown_graceful),
    TEST(t_shutdown_immediate),
    TEST(t_shutdown_immediate_drains_in_queue_order),
    TEST(t_destroy_busy_while_waited_on),
    TEST(t_stress_every_item_exactly_once),
    TEST(t_seed_producers_consumers),
};

int main(int argc, char **argv)
{
    return run_tests(argc, argv, cases, NCASES(cases));
}
