/* Async generators: next/send/throw/close as asyncio's __anext__, asend,
 * athrow and aclose, StopAsyncIteration, cancellation through the
 * generator's awaits, nesting, freeing, and shutdown_asyncgens.  The
 * expectations were checked against the same programs on CPython's asyncio
 * where Python has them. */
#include "harness.h"

#include <stdint.h>

#define I2P(i) ((void *)(intptr_t)(i))
#define P2I(p) ((int)(intptr_t)(p))

static void log_rc(const char *what, int rc)
{
    char buf[96];
    snprintf(buf, sizeof buf, "%s=%s", what, cio_err_name(rc));
    log_event(buf);
}

/* The cleanup of a main task after a failed step: its child (if any) is
 * cancelled until it ends, awaited and released; then the generator (if
 * any) is freed, so neither outlives the main task's frame. */
static void reap(cio_task_t *t, cio_gen_t *g)
{
    reap_tasks(&t, 1);
    if (g)
        CHECK_RC(cio_gen_free(g), 0);
}

/* State shared between a test and its generator. */
struct gstate {
    int n;            /* values to yield */
    double delay;     /* sleep before each yield */
    int started;      /* the function ran */
    int cleanup;      /* its cleanup ran */
    int on_exit;      /* what to return when closed: 0 pass the code on, 1 return 0, 2 -EIO, 3 yield again */
    int swallow;      /* catch -ECANCELED from the sleep and yield 42 */
    cio_gen_t *self;
};

/* Yields 0 .. n-1, sleeping `delay` before each.  On an error from a yield
 * (close, throw) it runs its cleanup, which awaits, as a `finally:` may. */
static int gen_count(void *arg, void **result)
{
    struct gstate *s = arg;
    s->started = 1;
    for (int i = 0; i < s->n; i++) {
        int rc = cio_sleep(s->delay);
        if (rc == -ECANCELED && s->swallow) {
            log_event("gen-swallowed");
            rc = cio_gen_yield(I2P(42), NULL);
        }
        if (rc < 0) {
            log_rc("gen-sleep", rc);
            return rc;
        }
        rc = cio_gen_yield(I2P(i), NULL);
        if (rc < 0) {
            int crc = cio_sleep(0.001); /* cleanup may await */
            s->cleanup++;
            log_rc("gen-cleanup", rc);
            if (crc < 0)
                return crc;
            switch (s->on_exit) {
            case 1:
                return 0;
            case 2:
                return -EIO;
            case 3: {
                int rc2 = cio_gen_yield(I2P(1000), NULL); /* ignores GeneratorExit */
                log_rc("second-yield", rc2);
                return 0;
            }
            default:
                return rc;
            }
        }
    }
    log_event("gen-end");
    return 0;
}

/* -------------------------------------------------------- next, in order */

struct ticker {
    int ticks;
    int stop;
};

static int body_ticker(void *arg, void **result)
{
    struct ticker *t = arg;
    while (!t->stop) {
        int rc = cio_sleep(0.001);
        if (rc < 0)
            return rc;
        t->ticks++;
    }
    return 0;
}

static int m_next_in_order(void *arg, void **result)
{
    struct gstate s = {.n = 3, .delay = 0.01};
    struct ticker tk = {.ticks = 0};
    cio_task_t *t = cio_create_task(body_ticker, &tk);
    cio_gen_t *g;
    CHECK_RC(cio_gen_new(gen_count, &s, &g), 0);
    CHECK_INT(s.started, 0); /* nothing runs until the first next */
    double t0 = now_s();
    for (int i = 0; i < 3; i++) {
        void *v = I2P(-1);
        CHECK_RC(cio_gen_next(g, &v), 0);
        CHECK_INT(P2I(v), i);
    }
    CHECK(now_s() - t0 < 0.03 + 2.0);
    CHECK(tk.ticks > 0); /* the generator's sleeps let other tasks run */
    for (int i = 0; i < 3; i++)
        CHECK_RC(cio_gen_next(g, NULL), CIO_ESTOPITERATION);
    CHECK_RC(cio_gen_free(g), 0);
    tk.stop = 1;
    CHECK_RC(cio_await(t, NULL), 0);
    cio_unref(t);
    return 0;
}

static void t_next_values_in_order_then_stop(void)
{
    CHECK_RC(run_limited(m_next_in_order, NULL, NULL), 0);
    CHECK_ORDER("gen-end");
}

/* ------------------------------------------------------------------ send */

static int gen_echo(void *arg, void **result)
{
    struct gstate *s = arg;
    s->started = 1;
    void *sent = I2P(99);
    int rc = cio_gen_yield(I2P(1), &sent);
    for (;;) {
        if (rc < 0)
            return rc == CIO_EGENEXIT ? 0 : rc;
        char buf[32];
        snprintf(buf, sizeof buf, "sent=%d", sent ? P2I(sent) : -1);
        log_event(buf);
        void *out = sent ? I2P(P2I(sent) * 10) : I2P(-1);
        sent = I2P(99);
        rc = cio_gen_yield(out, &sent);
    }
}

static int m_send(void *arg, void **result)
{
    struct gstate s = {.n = 0};
    cio_gen_t *g;
    void *v;
    CHECK_RC(cio_gen_new(gen_echo, &s, &g), 0);
    CHECK_RC(cio_gen_send(g, I2P(5), &v), -EINVAL); /* not started: only NULL */
    CHECK_INT(s.started, 0);
    CHECK_RC(cio_gen_send(g, NULL, &v), 0); /* starts it */
    CHECK_INT(P2I(v), 1);
    CHECK_RC(cio_gen_send(g, I2P(5), &v), 0);
    CHECK_INT(P2I(v), 50);
    CHECK_RC(cio_gen_next(g, &v), 0); /* next sends NULL */
    CHECK_INT(P2I(v), -1);
    CHECK_RC(cio_gen_send(g, I2P(7), &v), 0);
    CHECK_INT(P2I(v), 70);
    CHECK_RC(cio_gen_close(g), 0);
    CHECK_RC(cio_gen_send(g, I2P(8), &v), CIO_ESTOPITERATION);
    CHECK_RC(cio_gen_free(g), 0);
    return 0;
}

static void t_send_delivers_value(void)
{
    CHECK_RC(run_limited(m_send, NULL, NULL), 0);
    CHECK_ORDER("sent=5 sent=-1 sent=7");
}

/* ----------------------------------------------------------------- throw */

static int gen_catch(void *arg, void **result)
{
    struct gstate *s = arg;
    s->started = 1;
    for (int i = 0; i < 10; i++) {
        int rc = cio_gen_yield(I2P(i), NULL);
        if (rc == -EIO) {
            log_event("caught-EIO");
            rc = cio_gen_yield(I2P(100), NULL);
        }
        if (rc == -EPIPE && s->swallow) {
            log_event("caught-EPIPE-return");
            return 0;
        }
        if (rc < 0) {
            log_rc("leaving", rc);
            return rc;
        }
    }
    return 0;
}

static int m_throw(void *arg, void **result)
{
    struct gstate s = {.n = 0};
    cio_gen_t *g;
    void *v;
    /* Caught and yielding again; then not caught. */
    CHECK_RC(cio_gen_new(gen_catch, &s, &g), 0);
    CHECK_RC(cio_gen_next(g, &v), 0);
    CHECK_INT(P2I(v), 0);
    CHECK_RC(cio_gen_throw(g, 0, &v), -EINVAL);
    CHECK_RC(cio_gen_throw(g, 5, &v), -EINVAL);
    CHECK_RC(cio_gen_throw(g, -EIO, &v), 0);
    CHECK_INT(P2I(v), 100);
    CHECK_RC(cio_gen_next(g, &v), 0);
    CHECK_INT(P2I(v), 1);
    CHECK_RC(cio_gen_throw(g, -EPIPE, &v), -EPIPE);
    CHECK_RC(cio_gen_next(g, &v), CIO_ESTOPITERATION);
    CHECK_RC(cio_gen_next(g, &v), CIO_ESTOPITERATION);
    CHECK_RC(cio_gen_free(g), 0);

    /* Caught and returning: the throw ends the iteration. */
    s = (struct gstate){.swallow = 1};
    CHECK_RC(cio_gen_new(gen_catch, &s, &g), 0);
    CHECK_RC(cio_gen_next(g, &v), 0);
    CHECK_RC(cio_gen_throw(g, -EPIPE, &v), CIO_ESTOPITERATION);
    CHECK_RC(cio_gen_next(g, &v), CIO_ESTOPITERATION);
    CHECK_RC(cio_gen_free(g), 0);

    /* Thrown into a generator not started: it ends with the error unrun. */
    s = (struct gstate){.n = 0};
    CHECK_RC(cio_gen_new(gen_catch, &s, &g), 0);
    CHECK_RC(cio_gen_throw(g, -EIO, &v), -EIO);
    CHECK_INT(s.started, 0);
    CHECK_RC(cio_gen_next(g, &v), CIO_ESTOPITERATION);
    CHECK_INT(s.started, 0);
    CHECK_RC(cio_gen_close(g), 0);
    CHECK_RC(cio_gen_free(g), 0);
    return 0;
}

static void t_throw(void)
{
    CHECK_RC(run_limited(m_throw, NULL, NULL), 0);
    CHECK_ORDER("caught-EIO leaving=EPIPE caught-EPIPE-return");
}

/* ----------------------------------------------------------------- close */

static int m_close(void *arg, void **result)
{
    cio_gen_t *g;
    void *v;
    /* Passes CIO_EGENEXIT on: closed, 0. */
    struct gstate s = {.n = 5};
    CHECK_RC(cio_gen_new(gen_count, &s, &g), 0);
    CHECK_RC(cio_gen_next(g, &v), 0);
    log_event("closing");
    CHECK_RC(cio_gen_close(g), 0);
    log_event("closed");
    CHECK_INT(s.cleanup, 1);
    CHECK_RC(cio_gen_next(g, &v), CIO_ESTOPITERATION);
    CHECK_RC(cio_gen_close(g), 0); /* finished: 0 at once */
    CHECK_INT(s.cleanup, 1);
    CHECK_RC(cio_gen_free(g), 0);

    /* Returns 0: closed, 0. */
    s = (struct gstate){.n = 5, .on_exit = 1};
    CHECK_RC(cio_gen_new(gen_count, &s, &g), 0);
    CHECK_RC(cio_gen_next(g, &v), 0);
    CHECK_RC(cio_gen_close(g), 0);
    CHECK_RC(cio_gen_next(g, &v), CIO_ESTOPITERATION);
    CHECK_RC(cio_gen_free(g), 0);

    /* Another error: close returns it. */
    s = (struct gstate){.n = 5, .on_exit = 2};
    CHECK_RC(cio_gen_new(gen_count, &s, &g), 0);
    CHECK_RC(cio_gen_next(g, &v), 0);
    CHECK_RC(cio_gen_close(g), -EIO);
    CHECK_RC(cio_gen_next(g, &v), CIO_ESTOPITERATION);
    CHECK_RC(cio_gen_free(g), 0);

    /* Yields again: refused, the generator still ends, close reports it. */
    s = (struct gstate){.n = 5, .on_exit = 3};
    CHECK_RC(cio_gen_new(gen_count, &s, &g), 0);
    CHECK_RC(cio_gen_next(g, &v), 0);
    log_event("closing-stubborn");
    CHECK_RC(cio_gen_close(g), CIO_EINVALSTATE);
    log_event("closed-stubborn");
    CHECK_RC(cio_gen_next(g, &v), CIO_ESTOPITERATION);
    CHECK_RC(cio_gen_free(g), 0);

    /* Not started: 0 at once, the function never runs. */
    s = (struct gstate){.n = 5};
    CHECK_RC(cio_gen_new(gen_count, &s, &g), 0);
    CHECK_RC(cio_gen_close(g), 0);
    CHECK_RC(cio_gen_next(g, &v), CIO_ESTOPITERATION);
    CHECK_INT(s.started, 0);
    CHECK_RC(cio_gen_free(g), 0);

    /* Run to its end, then closed: 0, no cleanup. */
    s = (struct gstate){.n = 1};
    CHECK_RC(cio_gen_new(gen_count, &s, &g), 0);
    CHECK_RC(cio_gen_next(g, &v), 0);
    CHECK_RC(cio_gen_next(g, &v), CIO_ESTOPITERATION);
    CHECK_RC(cio_gen_close(g), 0);
    CHECK_INT(s.cleanup, 0);
    CHECK_RC(cio_gen_free(g), 0);
    return 0;
}

static void t_close(void)
{
    CHECK_RC(run_limited(m_close, NULL, NULL), 0);
    CHECK_ORDER("closing gen-cleanup=CIO_EGENEXIT closed gen-cleanup=CIO_EGENEXIT gen-cleanup=CIO_EGENEXIT "
                "closing-stubborn gen-cleanup=CIO_EGENEXIT second-yield=CIO_EGENEXIT closed-stubborn gen-end");
}

/* ---------------------------------------------------------------- errors */

static int gen_fail(void *arg, void **result)
{
    int rc = cio_gen_yield(I2P(1), NULL);
    if (rc < 0)
        return rc;
    rc = cio_sleep(0);
    if (rc < 0)
        return rc;
    return cio_fail(-EIO, "generator broke");
}

static int m_error(void *arg, void **result)
{
    cio_gen_t *g;
    void *v;
    CHECK_RC(cio_gen_new(gen_fail, NULL, &g), 0);
    CHECK_RC(cio_gen_next(g, &v), 0);
    CHECK_INT(P2I(v), 1);
    CHECK_RC(cio_gen_next(g, &v), -EIO);
    CHECK_RC(cio_gen_next(g, &v), CIO_ESTOPITERATION);
    CHECK_RC(cio_gen_next(g, &v), CIO_ESTOPITERATION);
    CHECK_RC(cio_gen_close(g), 0);
    CHECK_RC(cio_gen_free(g), 0);
    /* The consumer task is fine: it goes on suspending normally. */
    CHECK_RC(cio_sleep(0), 0);
    return 0;
}

static void t_error_propagates_then_stop(void)
{
    CHECK_RC(run_limited(m_error, NULL, NULL), 0);
}

/* ---------------------------------------------------------- cancellation */

struct consumer {
    cio_gen_t *g;
    int rc;
    void *v;
    int cancelling_after;
};

static int body_consume_one(void *arg, void **result)
{
    struct consumer *c = arg;
    c->rc = cio_gen_next(c->g, &c->v);
    log_rc("consumer-next", c->rc);
    c->cancelling_after = cio_task_cancelling(cio_current_task());
    return c->rc;
}

static int m_cancel_consumer(void *arg, void **result)
{
    struct gstate s = {.n = 3, .delay = 10};
    struct consumer c = {.rc = 1};
    cio_task_t *t = NULL;
    REQ_OK(cio_gen_new(gen_count, &s, &c.g));
    REQ((t = cio_create_task(body_consume_one, &c)) != NULL);
    REQ_OK(cio_sleep(0.01));
    CHECK_INT(s.started, 1);
    double t0 = now_s();
    CHECK_INT(cio_task_cancel(t, NULL), 1);
    CHECK_RC(cio_await(t, NULL), -ECANCELED);
    CHECK(now_s() - t0 < 2.0); /* not the generator's 10 s */
    CHECK_RC(c.rc, -ECANCELED);
    CHECK_RC(cio_gen_next(c.g, NULL), CIO_ESTOPITERATION); /* it ended with the cancel */
    CHECK_RC(cio_gen_free(c.g), 0);
    cio_unref(t);
    t = NULL;

    /* A generator that swallows the cancel and yields: next returns the
     * value; the task's cancel count stays. */
    s = (struct gstate){.n = 3, .delay = 10, .swallow = 1};
    c = (struct consumer){.rc = 1};
    REQ_OK(cio_gen_new(gen_count, &s, &c.g));
    REQ((t = cio_create_task(body_consume_one, &c)) != NULL);
    REQ_OK(cio_sleep(0.01));
    CHECK_INT(cio_task_cancel(t, NULL), 1);
    CHECK_RC(cio_await(t, NULL), 0);
    CHECK_RC(c.rc, 0);
    CHECK_INT(P2I(c.v), 42);
    CHECK_INT(c.cancelling_after, 1);
    CHECK_RC(cio_gen_close(c.g), 0);
    CHECK_RC(cio_gen_free(c.g), 0);
    cio_unref(t);
    return 0;
out:
    reap(t, c.g);
    return 0;
}

static void t_cancel_consumer_inside_generator_await(void)
{
    CHECK_RC(run_limited(m_cancel_consumer, NULL, NULL), 0);
    CHECK_ORDER("gen-sleep=ECANCELED consumer-next=ECANCELED gen-swallowed consumer-next=0 "
                "gen-sleep=CIO_EGENEXIT");
}

/* ------------------------------------------------------------------ busy */

static int gen_busy(void *arg, void **result)
{
    struct gstate *s = arg;
    void *v;
    /* The generator driving itself: already running. */
    int rc = cio_gen_next(s->self, &v);
    log_rc("self-next", rc);
    if ((rc = cio_sleep(0.05)) < 0)
        return rc;
    if ((rc = cio_gen_yield(I2P(1), NULL)) < 0)
        return rc;
    if ((rc = cio_gen_yield(I2P(2), NULL)) < 0)
        return rc;
    return 0;
}

static int m_busy(void *arg, void **result)
{
    struct gstate s = {.n = 0};
    struct consumer c = {.rc = 1};
    cio_task_t *t = NULL;
    REQ_OK(cio_gen_new(gen_busy, &s, &s.self));
    c.g = s.self;
    REQ((t = cio_create_task(body_consume_one, &c)) != NULL);
    REQ_OK(cio_sleep(0.01)); /* t is suspended inside the generator's sleep */
    void *v;
    CHECK_RC(cio_gen_next(c.g, &v), -EBUSY);
    CHECK_RC(cio_gen_send(c.g, NULL, &v), -EBUSY);
    CHECK_RC(cio_gen_throw(c.g, -EIO, &v), -EBUSY);
    CHECK_RC(cio_gen_close(c.g), -EBUSY);
    CHECK_RC(cio_gen_free(c.g), -EBUSY);
    log_event("refused");
    CHECK_RC(cio_await(t, NULL), 0);
    CHECK_INT(P2I(c.v), 1);
    /* Not running any more: another task may go on with it. */
    CHECK_RC(cio_gen_next(c.g, &v), 0);
    CHECK_INT(P2I(v), 2);
    CHECK_RC(cio_gen_next(c.g, &v), CIO_ESTOPITERATION);
    CHECK_RC(cio_gen_free(c.g), 0);
    cio_unref(t);
    return 0;
out:
    reap(t, c.g);
    return 0;
}

static void t_ebusy_two_drivers(void)
{
    CHECK_RC(run_limited(m_busy, NULL, NULL), 0);
    CHECK_ORDER("self-next=EBUSY refused consumer-next=0");
}

/* ---------------------------------------------------------------- nested */

static int gen_inner(void *arg, void **result)
{
    for (int i = 1; i <= 3; i++) {
        int rc = cio_sleep(0.001);
        if (rc < 0) {
            log_rc("inner-sleep", rc);
            return rc;
        }
        rc = cio_gen_yield(I2P(i), NULL);
        if (rc < 0) {
            log_rc("inner-cleanup", rc);
            return rc;
        }
    }
    log_event("inner-end");
    return 0;
}

/* Consumes the inner generator and yields each value times ten. */
static int gen_outer(void *arg, void **result)
{
    cio_gen_t *in;
    int rc = cio_gen_new(gen_inner, NULL, &in);
    if (rc < 0)
        return rc;
    void *v;
    while ((rc = cio_gen_next(in, &v)) == 0) {
        rc = cio_gen_yield(I2P(P2I(v) * 10), NULL);
        if (rc < 0)
            break;
    }
    if (rc == CIO_ESTOPITERATION)
        rc = 0;
    int frc = cio_gen_free(in); /* closes it if it is still suspended */
    if (frc < 0)
        FAILF("cio_gen_free(inner) = %s", cio_err_name(frc));
    log_rc("outer-end", rc);
    return rc;
}

static int m_nested(void *arg, void **result)
{
    cio_gen_t *g;
    void *v;
    /* To the end. */
    CHECK_RC(cio_gen_new(gen_outer, NULL, &g), 0);
    for (int i = 1; i <= 3; i++) {
        CHECK_RC(cio_gen_next(g, &v), 0);
        CHECK_INT(P2I(v), i * 10);
    }
    CHECK_RC(cio_gen_next(g, &v), CIO_ESTOPITERATION);
    CHECK_RC(cio_gen_free(g), 0);
    log_event("|");

    /* Closed half-way: the outer's close reaches the inner through free. */
    CHECK_RC(cio_gen_new(gen_outer, NULL, &g), 0);
    CHECK_RC(cio_gen_next(g, &v), 0);
    CHECK_INT(P2I(v), 10);
    CHECK_RC(cio_gen_next(g, &v), 0);
    CHECK_INT(P2I(v), 20);
    CHECK_RC(cio_gen_close(g), 0);
    CHECK_RC(cio_gen_free(g), 0);
    log_event("|");

    /* The consumer cancelled while the inner one sleeps. */
    struct consumer c = {.rc = 1};
    cio_task_t *t = NULL;
    REQ_OK(cio_gen_new(gen_outer, NULL, &c.g));
    CHECK_RC(cio_gen_next(c.g, &v), 0);
    REQ((t = cio_create_task(body_consume_one, &c)) != NULL);
    REQ_OK(cio_yield()); /* t is in the inner generator's sleep */
    CHECK_INT(cio_task_cancel(t, NULL), 1);
    CHECK_RC(cio_await(t, NULL), -ECANCELED);
    CHECK_RC(cio_gen_next(c.g, &v), CIO_ESTOPITERATION);
    CHECK_RC(cio_gen_free(c.g), 0);
    cio_unref(t);
    return 0;
out:
    reap(t, c.g);
    return 0;
}

static void t_nested_generators(void)
{
    CHECK_RC(run_limited(m_nested, NULL, NULL), 0);
    CHECK_ORDER("inner-end outer-end=0 | inner-cleanup=CIO_EGENEXIT outer-end=CIO_EGENEXIT | "
                "inner-sleep=ECANCELED outer-end=ECANCELED consumer-next=ECANCELED");
}

/* ------------------------------------------------------- outside, misuse */

static int gen_plain(void *arg, void **result)
{
    struct gstate *s = arg;
    if (s)
        s->started = 1;
    return cio_gen_yield(I2P(1), NULL);
}

static int m_misuse_in_task(void *arg, void **result)
{
    cio_gen_t *g;
    void *v;
    /* A task is not a generator. */
    CHECK_RC(cio_gen_yield(I2P(1), &v), CIO_EINVALSTATE);
    CHECK_RC(cio_gen_new(NULL, NULL, &g), -EINVAL);
    CHECK_RC(cio_gen_new(gen_plain, NULL, NULL), -EINVAL);
    CHECK_RC(cio_gen_new_ex(NULL, gen_plain, NULL, 0, &g), -EINVAL);
    CHECK_RC(cio_gen_next(NULL, &v), -EINVAL);
    CHECK_RC(cio_gen_send(NULL, NULL, &v), -EINVAL);
    CHECK_RC(cio_gen_throw(NULL, -EIO, &v), -EINVAL);
    CHECK_RC(cio_gen_close(NULL), -EINVAL);
    CHECK_RC(cio_loop_shutdown_asyncgens(), 0); /* none live */
    return 0;
}

static void t_misuse(void)
{
    void *v;
    cio_gen_t *g;
    CHECK_RC(cio_gen_yield(I2P(1), &v), CIO_EINVALSTATE);
    CHECK_RC(cio_gen_new(gen_plain, NULL, &g), CIO_ENOLOOP);
    CHECK_RC(cio_loop_shutdown_asyncgens(), CIO_ENOTASK);

    /* Driving needs a task. */
    struct gstate s = {.n = 0};
    cio_loop_t *loop = new_loop();
    CHECK_RC(cio_gen_new_ex(loop, gen_plain, &s, 0, &g), 0);
    CHECK_RC(cio_gen_next(g, &v), CIO_ENOTASK);
    CHECK_RC(cio_gen_send(g, NULL, &v), CIO_ENOTASK);
    CHECK_RC(cio_gen_throw(g, -EIO, &v), CIO_ENOTASK);
    CHECK_INT(s.started, 0);
    CHECK_RC(cio_gen_free(g), 0);
    free_loop(loop);

    CHECK_RC(run_limited(m_misuse_in_task, NULL, NULL), 0);
}

/* A generator with a stack of its own size. */
static int gen_deep(void *arg, void **result)
{
    volatile char big[192 * 1024];
    memset((char *)big, 7, sizeof big);
    int rc = cio_sleep(0);
    if (rc < 0)
        return rc;
    return cio_gen_yield(I2P(big[sizeof big - 1] + big[0]), NULL);
}

static int m_stack_size(void *arg, void **result)
{
    cio_loop_t *loop;
    CHECK_RC(cio_get_running_loop(&loop), 0);
    cio_gen_t *g;
    CHECK_RC(cio_gen_new_ex(loop, gen_deep, NULL, 512 * 1024, &g), 0);
    void *v;
    CHECK_RC(cio_gen_next(g, &v), 0);
    CHECK_INT(P2I(v), 14);
    CHECK_RC(cio_gen_next(g, &v), CIO_ESTOPITERATION);
    CHECK_RC(cio_gen_free(g), 0);
    return 0;
}

static void t_stack_size(void)
{
    CHECK_RC(run_limited(m_stack_size, NULL, NULL), 0);
}

/* ------------------------------------------------------------------ free */

static int m_free_from_task(void *arg, void **result)
{
    struct gstate s = {.n = 5};
    cio_gen_t *g;
    void *v;
    CHECK_RC(cio_gen_new(gen_count, &s, &g), 0);
    CHECK_RC(cio_gen_next(g, &v), 0);
    CHECK_RC(cio_gen_free(g), 0); /* closes it now; its cleanup awaits */
    log_event("freed");
    CHECK_INT(s.cleanup, 1);
    /* Never started, or finished: just freed. */
    CHECK_RC(cio_gen_new(gen_count, &s, &g), 0);
    CHECK_RC(cio_gen_free(g), 0);
    CHECK_INT(s.cleanup, 1);
    return 0;
}

static void t_free_suspended_from_task_closes_it(void)
{
    CHECK_RC(run_limited(m_free_from_task, NULL, NULL), 0);
    CHECK_ORDER("gen-cleanup=CIO_EGENEXIT freed");
}

struct from_cb {
    cio_gen_t *g;
    int rc;
};

static int cb_free(void *arg)
{
    struct from_cb *f = arg;
    f->rc = cio_gen_free(f->g);
    log_event("cb-freed");
    return 0;
}

/* A close that failed (its cleanup could not run) goes to the handler. */
static void note_close_error(cio_loop_t *loop, const cio_exc_context_t *ctx, void *ud)
{
    (void)loop;
    *(int *)ud = ctx->error;
}

static int m_free_from_callback(void *arg, void **result)
{
    struct gstate s = {.n = 5};
    struct from_cb f = {.rc = 1};
    int close_error = 0;
    void *v;
    cio_loop_t *loop = NULL;
    REQ_OK(cio_get_running_loop(&loop));
    REQ_OK(cio_loop_set_exception_handler(loop, note_close_error, &close_error));
    REQ_OK(cio_gen_new(gen_count, &s, &f.g));
    REQ_OK(cio_gen_next(f.g, &v));
    REQ_OK(cio_call_soon(loop, cb_free, &f, NULL));
    for (int i = 0; i < 200 && !s.cleanup && !close_error; i++) /* up to 2 s */
        CHECK_RC(cio_sleep(0.01), 0);
    CHECK_RC(f.rc, 0);
    CHECK_RC(close_error, 0);
    CHECK_INT(s.cleanup, 1); /* closed by a task of the loop */
    cio_loop_set_exception_handler(loop, NULL, NULL);
    return 0;
out:
    if (f.rc == 1 && f.g) /* the callback will not free it */
        CHECK_RC(cio_gen_free(f.g), 0);
    if (loop)
        cio_loop_set_exception_handler(loop, NULL, NULL);
    return 0;
}

static void t_free_from_callback_closes_it_in_a_task(void)
{
    CHECK_RC(run_limited(m_free_from_callback, NULL, NULL), 0);
    CHECK_ORDER("cb-freed gen-cleanup=CIO_EGENEXIT");
}

static int m_leave_suspended(void *arg, void **result)
{
    struct gstate *s = arg;
    void *v;
    CHECK_RC(cio_gen_next(s->self, &v), 0);
    return 0;
}

static void t_free_with_loop_not_running_discards(void)
{
    cio_loop_t *loop = new_loop();
    struct gstate s = {.n = 5};
    cio_task_t *t = NULL;
    REQ_OK(cio_gen_new_ex(loop, gen_count, &s, 0, &s.self));
    REQ_OK(cio_loop_create_task(loop, m_leave_suspended, &s, NULL, &t));
    REQ_OK(cio_loop_run_until_complete(loop, t, NULL));
    CHECK_INT(s.started, 1);
    CHECK_RC(cio_gen_free(s.self), 0); /* its loop is not running: frames discarded */
    s.self = NULL;
    CHECK_INT(s.cleanup, 0);
out:
    loop_reap_task(loop, t); /* after a failed run: the task is still pending */
    if (s.self)
        CHECK_RC(cio_gen_free(s.self), 0);
    free_loop(loop);
}

/* ---------------------------------------------------- shutdown_asyncgens */

static int gen_err_on_close(void *arg, void **result)
{
    int rc = cio_gen_yield(I2P(1), NULL);
    log_rc("err-gen-closed", rc);
    return rc < 0 ? -EIO : 0;
}

struct handler_log {
    int calls;
    int error;
};

static void record_handler(cio_loop_t *loop, const cio_exc_context_t *ctx, void *ud)
{
    struct handler_log *h = ud;
    h->calls++;
    h->error = ctx->error;
}

static int m_shutdown_asyncgens(void *arg, void **result)
{
    struct gstate s1 = {.n = 5}, s2 = {.n = 5}, s3 = {.n = 1}, s4 = {.n = 5};
    cio_gen_t *g1, *g2, *g3, *g4, *g5;
    void *v;
    CHECK_RC(cio_gen_new(gen_count, &s1, &g1), 0);
    CHECK_RC(cio_gen_new(gen_count, &s2, &g2), 0);
    CHECK_RC(cio_gen_new(gen_count, &s3, &g3), 0);
    CHECK_RC(cio_gen_new(gen_count, &s4, &g4), 0);
    CHECK_RC(cio_gen_next(g1, &v), 0);                  /* suspended */
    CHECK_RC(cio_gen_next(g3, &v), 0);
    CHECK_RC(cio_gen_next(g3, &v), CIO_ESTOPITERATION); /* finished */
    CHECK_RC(cio_gen_next(g4, &v), 0);                  /* suspended */
    CHECK_RC(cio_loop_shutdown_asyncgens(), 2);
    CHECK_INT(s1.cleanup, 1);
    CHECK_INT(s4.cleanup, 1);
    CHECK_INT(s2.started, 0);
    CHECK_INT(s3.cleanup, 0);
    CHECK_RC(cio_gen_next(g1, &v), CIO_ESTOPITERATION);
    CHECK_RC(cio_gen_next(g4, &v), CIO_ESTOPITERATION);
    CHECK_RC(cio_loop_shutdown_asyncgens(), 0); /* nothing live now */
    CHECK_INT(s1.cleanup, 1);

    /* An error while closing goes to the exception handler. */
    cio_loop_t *loop;
    CHECK_RC(cio_get_running_loop(&loop), 0);
    struct handler_log h = {.calls = 0};
    CHECK_RC(cio_loop_set_exception_handler(loop, record_handler, &h), 0);
    CHECK_RC(cio_gen_new(gen_err_on_close, NULL, &g5), 0);
    CHECK_RC(cio_gen_next(g5, &v), 0);
    CHECK_RC(cio_loop_shutdown_asyncgens(), 1);
    CHECK_INT(h.calls, 1);
    CHECK_RC(h.error, -EIO);
    CHECK_RC(cio_gen_next(g5, &v), CIO_ESTOPITERATION);
    CHECK_RC(cio_loop_set_exception_handler(loop, NULL, NULL), 0);

    cio_gen_t *all[5] = {g1, g2, g3, g4, g5};
    for (int i = 0; i < 5; i++)
        CHECK_RC(cio_gen_free(all[i]), 0);
    return 0;
}

static void t_shutdown_asyncgens_returns_count(void)
{
    CHECK_RC(run_limited(m_shutdown_asyncgens, NULL, NULL), 0);
}

/* The runner's shutdown (the one cio_run performs) closes a generator left
 * suspended by the main task, running its cleanup, as asyncio.run's
 * shutdown_asyncgens does; then the loop closes although the user still
 * holds the generator (asyncio's stays alive, closed), and the run returns
 * the main task's result. */
static int m_leave_gen(void *arg, void **result)
{
    struct gstate *s = arg;
    CHECK_RC(cio_gen_new(gen_count, s, &s->self), 0);
    void *v;
    CHECK_RC(cio_gen_next(s->self, &v), 0); /* `break` out of the async for */
    return 0;
}

static void t_runner_shutdown_closes_live_generator(void)
{
    struct gstate s = {.n = 5};
    cio_runner_t *r;
    CHECK_RC(cio_runner_new(NULL, &r), 0);
    CHECK_RC(cio_runner_run(r, m_leave_gen, &s, NULL), 0);
    CHECK_INT(s.cleanup, 0); /* still suspended after the run */
    CHECK_RC(cio_runner_close(r), 0);
    CHECK_INT(s.cleanup, 1); /* closed by the shutdown, its cleanup awaited */
    CHECK_RC(cio_runner_close(r), 0); /* idempotent */
    CHECK_RC(cio_gen_close(s.self), 0); /* closed already */
    CHECK_RC(cio_gen_free(s.self), 0);
    CHECK_INT(s.cleanup, 1);
    CHECK_RC(cio_runner_free(r), 0);
    CHECK_ORDER("gen-cleanup=CIO_EGENEXIT");
}

static int m_leave_gen_result(void *arg, void **result)
{
    int rc = m_leave_gen(arg, result);
    *result = "main";
    return rc;
}

static int m_leave_gen_unstarted(void *arg, void **result)
{
    struct gstate *s = arg;
    CHECK_RC(cio_gen_new(gen_count, s, &s->self), 0);
    return 0;
}

/* cio_run: the main task's result, not -EBUSY, and nothing leaks but the
 * user's generator objects, freed after the loop is gone. */
static void t_run_with_generator_left_returns_main_result(void)
{
    struct gstate s = {.n = 5}, s2 = {.n = 5};
    void *v = NULL;
    CHECK_RC(cio_run(m_leave_gen_result, &s, &v), 0);
    CHECK_STR(v ? (const char *)v : "(null)", "main");
    CHECK_INT(s.cleanup, 1);
    CHECK_RC(cio_run(m_leave_gen_unstarted, &s2, NULL), 0);
    CHECK_INT(s2.started, 0);
    CHECK_RC(cio_gen_free(s.self), 0);
    CHECK_RC(cio_gen_free(s2.self), 0);
}

static const struct test_case cases[] = {
    TEST(t_next_values_in_order_then_stop),
    TEST(t_send_delivers_value),
    TEST(t_throw),
    TEST(t_close),
    TEST(t_error_propagates_then_stop),
    TEST(t_cancel_consumer_inside_generator_await),
    TEST(t_ebusy_two_drivers),
    TEST(t_nested_generators),
    TEST(t_misuse),
    TEST(t_stack_size),
    TEST(t_free_suspended_from_task_closes_it),
    TEST(t_free_from_callback_closes_it_in_a_task),
    TEST(t_free_with_loop_not_running_discards),
    TEST(t_shutdown_asyncgens_returns_count),
    TEST(t_runner_shutdown_closes_live_generator),
    TEST(t_run_with_generator_left_returns_main_result),
};

int main(int argc, char **argv)
{
    return run_tests(argc, argv, cases, NCASES(cases));
}
