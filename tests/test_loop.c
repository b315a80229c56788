/* The event loop: ordering, iterations, stop, timers, errors, threads. */
#include "harness.h"

#include <pthread.h>
#include <unistd.h>

struct logcb {
    const char *name;
};

static int cb_log(void *arg)
{
    log_event(arg);
    return 0;
}

static void t_call_soon_fifo(void)
{
    cio_loop_t *loop = new_loop();
    static const char *names[] = {"1", "2", "3", "4", "5"};
    for (int i = 0; i < 5; i++)
        REQ_OK(cio_call_soon(loop, cb_log, (void *)names[i], NULL));
    REQ_OK(cio_call_soon(loop, (cio_callback_fn *)cio_loop_stop, loop, NULL));
    CHECK_RC(cio_loop_run_forever(loop), 0);
    CHECK_ORDER("1 2 3 4 5");
out:
    free_loop(loop);
}

/* Deadline order; equal deadlines in insertion order. */
static void t_call_at_order_and_ties(void)
{
    cio_loop_t *loop = new_loop();
    double t0 = now_s(); /* before the deadlines: a slow setup must not count */
    double base = cio_loop_time(loop) + 0.02;
    REQ_OK(cio_call_at(loop, base + 0.02, cb_log, "late", NULL));
    static const char *names[] = {"t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7"};
    for (int i = 0; i < 8; i++)
        REQ_OK(cio_call_at(loop, base, cb_log, (void *)names[i], NULL));
    REQ_OK(cio_call_at(loop, base - 0.01, cb_log, "early", NULL));
    REQ_OK(cio_call_at(loop, base + 0.03, (cio_callback_fn *)cio_loop_stop, loop, NULL));
    CHECK_RC(cio_loop_run_forever(loop), 0);
    CHECK_ORDER("early t0 t1 t2 t3 t4 t5 t6 t7 late");
    CHECK(now_s() - t0 >= 0.045);                /* never early: the stop is due 0.05 s after t0 */
    CHECK(cio_loop_time(loop) >= base + 0.03); /* nor early by the loop's clock */
out:
    free_loop(loop);
}

struct batch {
    cio_loop_t *loop;
    int stage;
};

static int cb_schedules(void *arg)
{
    struct batch *b = arg;
    log_event("a");
    /* Scheduled during the batch: waits for the next iteration, even a
     * zero-delay timer runs after what is ready then. */
    CHECK_RC(cio_call_later(b->loop, 0, cb_log, "timer0", NULL), 0);
    CHECK_RC(cio_call_soon(b->loop, cb_log, "soon", NULL), 0);
    return 0;
}

static void t_iteration_boundaries(void)
{
    cio_loop_t *loop = new_loop();
    struct batch b = {loop, 0};
    CHECK_RC(cio_call_soon(loop, cb_schedules, &b, NULL), 0);
    CHECK_RC(cio_call_soon(loop, cb_log, "b", NULL), 0);
    CHECK_RC(cio_loop_stop(loop), 0);
    CHECK_RC(cio_loop_run_forever(loop), 0); /* a stop before the run: one iteration */
    CHECK_ORDER("a b");
    CHECK_RC(cio_loop_stop(loop), 0);
    CHECK_RC(cio_loop_run_forever(loop), 0); /* nothing scheduled was lost */
    CHECK_ORDER("a b soon timer0");
    free_loop(loop);
}

static void t_stop_inside_callback_runs_rest_of_batch(void)
{
    cio_loop_t *loop = new_loop();
    REQ_OK(cio_call_soon(loop, cb_log, "x", NULL));
    REQ_OK(cio_call_soon(loop, (cio_callback_fn *)cio_loop_stop, loop, NULL));
    REQ_OK(cio_call_soon(loop, cb_log, "y", NULL));
    CHECK_RC(cio_loop_run_forever(loop), 0);
    CHECK_ORDER("x y");
    CHECK_INT(cio_loop_is_running(loop), 0);
out:
    free_loop(loop);
}

static int cb_fail(void *arg)
{
    log_event(arg);
    return -EIO;
}

struct handler_log {
    int calls;
    int err;
    char msg[64];
};

static void record_handler(cio_loop_t *loop, const cio_exc_context_t *ctx, void *ud)
{
    struct handler_log *h = ud;
    (void)loop;
    h->calls++;
    h->err = ctx->error;
    snprintf(h->msg, sizeof h->msg, "%s", ctx->message ? ctx->message : "");
    CHECK(ctx->handle != NULL);
}

static void t_callback_error_goes_to_handler(void)
{
    cio_loop_t *loop = new_loop();
    struct handler_log hl = {0};
    CHECK_RC(cio_loop_set_exception_handler(loop, record_handler, &hl), 0);
    void *ud = NULL;
    CHECK(cio_loop_get_exception_handler(loop, &ud) == record_handler);
    CHECK(ud == &hl);
    REQ_OK(cio_call_soon(loop, cb_fail, "fail", NULL));
    REQ_OK(cio_call_soon(loop, cb_log, "after", NULL));
    REQ_OK(cio_call_soon(loop, (cio_callback_fn *)cio_loop_stop, loop, NULL));
    CHECK_RC(cio_loop_run_forever(loop), 0);
    CHECK_ORDER("fail after");
    CHECK_INT(hl.calls, 1);
    CHECK_RC(hl.err, -EIO);
    CHECK_STR(hl.msg, "Exception in callback");
    CHECK_RC(cio_loop_set_exception_handler(loop, NULL, NULL), 0);
    CHECK(cio_loop_get_exception_handler(loop, NULL) == NULL);
out:
    free_loop(loop);
}

static void t_handle_cancel(void)
{
    cio_loop_t *loop = new_loop();
    cio_handle_t *h1 = NULL, *h2 = NULL, *h3 = NULL;
    REQ_OK(cio_call_soon(loop, cb_log, "soon", &h1));
    REQ_OK(cio_call_later(loop, 0.01, cb_log, "later", &h2));
    REQ_OK(cio_call_later(loop, 0.02, cb_log, "kept", &h3));
    REQ_OK(cio_call_later(loop, 0.03, (cio_callback_fn *)cio_loop_stop, loop, NULL));
    CHECK_INT(cio_handle_cancelled(h1), 0);
    CHECK_RC(cio_handle_cancel(h1), 0);
    CHECK_RC(cio_handle_cancel(h2), 0);
    CHECK_INT(cio_handle_cancelled(h1), 1);
    CHECK_INT(cio_handle_cancelled(h2), 1);
    CHECK(cio_handle_when(h1) < 0);
    double w = cio_handle_when(h3);
    CHECK(w > cio_loop_time(loop) && w < cio_loop_time(loop) + 0.03);
    CHECK_RC(cio_loop_run_forever(loop), 0);
    CHECK_ORDER("kept");
out:
    cio_unref(h1);
    cio_unref(h2);
    cio_unref(h3);
    free_loop(loop);
}

struct waker {
    cio_loop_t *loop;
    int rc; /* of the first try */
};

/* Out of memory, the stop is posted again: nothing else could wake the
 * loop.  The first try's outcome is checked by the case. */
static void *wake_from_thread(void *arg)
{
    struct waker *w = arg;
    usleep(50 * 1000);
    w->rc = cio_call_soon_threadsafe(w->loop, (cio_callback_fn *)cio_loop_stop, w->loop);
    for (int rc = w->rc; rc == -ENOMEM;)
        rc = cio_call_soon_threadsafe(w->loop, (cio_callback_fn *)cio_loop_stop, w->loop);
    return NULL;
}

/* A loop blocked in poll with nothing to do is woken by another thread. */
static void t_call_soon_threadsafe_wakes_poll(void)
{
    struct waker w = {new_loop(), 0};
    pthread_t th;
    double t0 = now_s();
    REQUIRE(pthread_create(&th, NULL, wake_from_thread, &w) == 0);
    CHECK_RC(cio_loop_run_forever(w.loop), 0); /* would block forever otherwise */
    double dt = now_s() - t0;
    pthread_join(th, NULL);
    CHECK_RC(w.rc, 0);
    CHECK(dt >= 0.045 && dt < 5.0);
    free_loop(w.loop);
}

struct counter {
    atomic_int n;
    cio_loop_t *loop;
};

static int count_cb(void *arg)
{
    struct counter *c = arg;
    if (atomic_fetch_add(&c->n, 1) + 1 == 4 * 10000)
        cio_loop_stop(c->loop);
    return 0;
}

static void *post_many(void *arg)
{
    struct counter *c = arg;
    for (int i = 0; i < 10000; i++)
        while (cio_call_soon_threadsafe(c->loop, count_cb, c) == -ENOMEM)
            ;
    return NULL;
}

static void t_threadsafe_many_threads_lose_nothing(void)
{
    struct counter c = {0, new_loop()};
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, post_many, &c);
    CHECK_RC(cio_loop_run_forever(c.loop), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    CHECK_INT(atomic_load(&c.n), 40000);
    free_loop(c.loop);
}

static int nested_run(void *arg)
{
    cio_loop_t *other = arg;
    log_event(cio_loop_run_forever(other) == CIO_ELOOPRUNNING ? "refused" : "ran");
    cio_loop_t *self = NULL;
    CHECK_RC(cio_get_running_loop(&self), 0);
    log_event(cio_loop_run_forever(self) == CIO_ELOOPRUNNING ? "refused" : "ran");
    cio_loop_stop(self);
    return 0;
}

static void t_nested_run_refused(void)
{
    cio_loop_t *a = new_loop(), *b = NULL;
    REQ_OK(cio_loop_new(&b)); /* not new_loop(): a would be left behind */
    REQ_OK(cio_call_soon(a, nested_run, b, NULL));
    CHECK_RC(cio_loop_run_forever(a), 0);
    CHECK_ORDER("refused refused");
out:
    free_loop(a);
    if (b)
        free_loop(b);
}

static int check_running(void *arg)
{
    cio_loop_t *loop = arg, *got = NULL;
    CHECK_RC(cio_get_running_loop(&got), 0);
    CHECK(got == loop);
    CHECK_INT(cio_loop_is_running(loop), 1);
    cio_loop_stop(loop);
    return 0;
}

static void t_running_loop_and_thread_loop(void)
{
    cio_loop_t *loop = new_loop(), *got = NULL;
    CHECK_RC(cio_get_running_loop(&got), CIO_ENOLOOP);
    CHECK(got == NULL);
    CHECK_RC(cio_get_event_loop(&got), CIO_ENOLOOP);
    CHECK_RC(cio_set_event_loop(loop), 0);
    CHECK_RC(cio_get_event_loop(&got), 0);
    CHECK(got == loop);
    REQ_OK(cio_call_soon(loop, check_running, loop, NULL));
    CHECK_RC(cio_loop_run_forever(loop), 0);
    CHECK_INT(cio_loop_is_running(loop), 0);
out:
    CHECK_RC(cio_set_event_loop(NULL), 0);
    CHECK_RC(cio_get_event_loop(&got), CIO_ENOLOOP);
    free_loop(loop);
}

static void t_closed_loop(void)
{
    cio_loop_t *loop = new_loop();
    CHECK_RC(cio_call_soon(loop, cb_log, "dropped", NULL), 0);
    CHECK_RC(cio_call_later(loop, 10, cb_log, "dropped-timer", NULL), 0);
    CHECK_RC(cio_loop_close(loop), 0);
    CHECK_INT(cio_loop_is_closed(loop), 1);
    CHECK_RC(cio_loop_close(loop), 0); /* idempotent */
    CHECK_RC(cio_loop_run_forever(loop), CIO_ELOOPCLOSED);
    CHECK_RC(cio_call_soon(loop, cb_log, "x", NULL), CIO_ELOOPCLOSED);
    CHECK_RC(cio_call_later(loop, 1, cb_log, "x", NULL), CIO_ELOOPCLOSED);
    CHECK_RC(cio_call_soon_threadsafe(loop, cb_log, "x"), CIO_ELOOPCLOSED);
    cio_future_t *f = NULL;
    CHECK_RC(cio_loop_create_future(loop, &f), CIO_ELOOPCLOSED);
    CHECK_ORDER("");
    free_loop(loop);
}

static void t_close_refuses_while_alive(void)
{
    cio_loop_t *loop = new_loop();
    cio_handle_t *h = NULL;
    REQ_OK(cio_call_soon(loop, cb_log, "x", &h));
    CHECK_RC(cio_loop_close(loop), -EBUSY); /* the user still holds h */
    CHECK_INT(cio_loop_is_closed(loop), 0);
out:
    cio_unref(h);
    free_loop(loop);
}

/* asyncio orders a negative delay by its real deadline: call_later(-5)
 * runs before an earlier call_later(0). */
static void t_call_later_negative_delay_keeps_its_deadline(void)
{
    cio_loop_t *loop = new_loop();
    REQ_OK(cio_call_later(loop, 0, cb_log, "zero", NULL));
    REQ_OK(cio_call_later(loop, -5, cb_log, "neg", NULL));
    REQ_OK(cio_call_later(loop, -0.001, cb_log, "ms", NULL));
    REQ_OK(cio_call_later(loop, 0.01, (cio_callback_fn *)cio_loop_stop, loop, NULL));
    CHECK_RC(cio_loop_run_forever(loop), 0);
    CHECK_ORDER("neg ms zero");
out:
    free_loop(loop);
}

static int cb_check_time(void *arg)
{
    double when = *(double *)arg;
    CHECK(cio_loop_time(NULL) >= when); /* never early by the loop's own clock */
    log_event("due");
    return 0;
}

/* when() is the deadline given, to the bit; and it is never met early. */
static void t_handle_when_is_exact(void)
{
    cio_loop_t *loop = new_loop();
    static double whens[64];
    cio_handle_t *h = NULL;
    double base = cio_loop_time(loop);
    for (int i = 0; i < 64; i++) {
        whens[i] = base + 0.001 + i * 1.37e-7 + i * 1e-12;
        REQ_OK(cio_call_at(loop, whens[i], cb_check_time, &whens[i], &h));
        CHECK(cio_handle_when(h) == whens[i]);
        cio_unref(h);
    }
    REQ_OK(cio_call_later(loop, 0.0123456789, (cio_callback_fn *)cio_loop_stop, loop, &h));
    double w = cio_handle_when(h);
    CHECK(w >= base + 0.0123456789 && w <= cio_loop_time(loop) + 0.0123456789);
    cio_unref(h);
    CHECK_RC(cio_loop_run_forever(loop), 0);
    CHECK_INT((int)strlen(order.buf), 64 * 4 - 1);
out:
    free_loop(loop);
}

/* One FIFO: a thread-safe post made before a call_soon runs before it, from
 * the loop's thread (running or not) as from another thread. */
static int cb_post_then_soon(void *arg)
{
    cio_loop_t *loop = arg;
    CHECK_RC(cio_call_soon_threadsafe(loop, cb_log, "ts2"), 0);
    CHECK_RC(cio_call_soon(loop, cb_log, "soon2", NULL), 0);
    return 0;
}

struct poster {
    cio_loop_t *loop;
    atomic_int posted;
};

static void *post_one(void *arg)
{
    struct poster *p = arg;
    while (cio_call_soon_threadsafe(p->loop, cb_log, "ts3") == -ENOMEM)
        ;
    atomic_store(&p->posted, 1);
    return NULL;
}

static int cb_wait_post_then_soon(void *arg)
{
    struct poster *p = arg;
    pthread_t th;
    if (pthread_create(&th, NULL, post_one, p) == 0)
        pthread_join(th, NULL);
    CHECK_INT(atomic_load(&p->posted), 1);
    CHECK_RC(cio_call_soon(p->loop, cb_log, "soon3", NULL), 0);
    CHECK_RC(cio_call_soon(p->loop, (cio_callback_fn *)cio_loop_stop, p->loop, NULL), 0);
    return 0;
}

static void t_call_soon_threadsafe_one_fifo(void)
{
    cio_loop_t *loop = new_loop();
    struct poster p = {loop, 0};
    REQ_OK(cio_call_soon_threadsafe(loop, cb_log, "ts1"));
    REQ_OK(cio_call_soon(loop, cb_log, "soon1", NULL));
    REQ_OK(cio_call_soon(loop, cb_post_then_soon, loop, NULL));
    REQ_OK(cio_call_soon(loop, cb_wait_post_then_soon, &p, NULL));
    CHECK_RC(cio_loop_run_forever(loop), 0);
    CHECK_ORDER("ts1 soon1 ts2 soon2 ts3 soon3");
out:
    free_loop(loop);
}

struct ts_cancel {
    cio_loop_t *loop;
    cio_handle_t *h;
    int rc;
};

static void *post_and_cancel(void *arg)
{
    struct ts_cancel *c = arg;
    c->rc = cio_call_soon_threadsafe_handle(c->loop, cb_log, "never", &c->h);
    if (c->rc == 0) {
        CHECK_RC(cio_handle_cancelled(c->h), 0);
        CHECK_RC(cio_handle_cancel(c->h), 0);
        CHECK_RC(cio_handle_cancelled(c->h), 1);
    }
    return NULL;
}

/* call_soon_threadsafe's handle: cancelled by the posting thread before the
 * loop takes the post in, the callback never runs; the handle is released
 * by that thread, even after the loop is gone. */
static void t_call_soon_threadsafe_handle_cancel(void)
{
    cio_loop_t *loop = new_loop();
    struct ts_cancel c = {loop, NULL, 0};
    pthread_t th;
    REQUIRE(pthread_create(&th, NULL, post_and_cancel, &c) == 0);
    pthread_join(th, NULL);
    REQ_OK(c.rc);
    REQ_OK(cio_call_soon(loop, cb_log, "after", NULL));
    REQ_OK(cio_loop_stop(loop));
    CHECK_RC(cio_loop_run_forever(loop), 0);
    CHECK_ORDER("after");
    cio_handle_t *h2 = NULL;
    REQ_OK(cio_call_soon_threadsafe_handle(loop, cb_log, "ran", &h2));
    REQ_OK(cio_loop_stop(loop));
    CHECK_RC(cio_loop_run_forever(loop), 0);
    CHECK_ORDER("after ran");
    CHECK_RC(cio_handle_cancel(h2), 0); /* after it ran: only marks it */
    CHECK_RC(cio_handle_cancelled(h2), 1);
    cio_unref(h2);
    CHECK_RC(cio_call_soon_threadsafe_handle(NULL, cb_log, "x", &h2), -EINVAL);
    CHECK(h2 == NULL);
    free_loop(loop);
    loop = NULL;
    CHECK_RC(cio_unref(c.h), 0); /* the loop is gone: the handle is not */
    c.h = NULL;
out:
    cio_unref(c.h);
    if (loop)
        free_loop(loop);
}

/* Every errno has its name (EDOM, ENODATA: cio returns them). */
static void t_err_name_every_errno(void)
{
    CHECK_STR(cio_err_name(-EDOM), "EDOM");
    CHECK_STR(cio_err_name(-ENODATA), "ENODATA");
    CHECK_STR(cio_err_name(-ENOTSUP), "ENOTSUP");
    CHECK_STR(cio_err_name(-EAGAIN), "EAGAIN");
    CHECK_STR(cio_err_name(-ESHUTDOWN), "ESHUTDOWN");
    CHECK_STR(cio_err_name(CIO_ECLOSED), "CIO_ECLOSED");
    for (int e = 1; e < 134; e++)
        if (e != 41 && e != 58) /* unused on Linux */
            CHECK(strcmp(cio_err_name(-e), "E?") != 0);
    CHECK_STR(cio_err_name(-3999), "E?");
}

static int cb_exit(void *arg)
{
    log_event("boom");
    CHECK_RC(cio_loop_stop_with_error(arg, -EPIPE), 0);
    return 0;
}

static int cb_exit_timer(void *arg)
{
    log_event("t1");
    CHECK_RC(cio_loop_stop_with_error(arg, -EPROTO), 0);
    return 0;
}

static void count_handler(cio_loop_t *loop, const cio_exc_context_t *ctx, void *ud)
{
    (void)loop;
    (void)ctx;
    log_event("handler");
}

/* asyncio's SystemExit out of a callback: run_forever raises it at once, the
 * exception handler is not called, the rest of the batch runs in the next
 * run (timers too). */
static void t_stop_with_error_from_callback(void)
{
    cio_loop_t *loop = new_loop();
    REQ_OK(cio_loop_set_exception_handler(loop, count_handler, NULL));
    REQ_OK(cio_call_soon(loop, cb_log, "a", NULL));
    REQ_OK(cio_call_soon(loop, cb_exit, loop, NULL));
    REQ_OK(cio_call_soon(loop, cb_log, "b", NULL));
    CHECK_RC(cio_loop_run_forever(loop), -EPIPE);
    CHECK_ORDER("a boom");
    CHECK_INT(cio_loop_is_running(loop), 0);
    REQ_OK(cio_call_soon(loop, (cio_callback_fn *)cio_loop_stop, loop, NULL));
    CHECK_RC(cio_loop_run_forever(loop), 0);
    CHECK_ORDER("a boom b");
    /* From a timer: the other due timers wait for the next run. */
    log_reset();
    double when = cio_loop_time(loop) - 1;
    REQ_OK(cio_call_at(loop, when, cb_exit_timer, loop, NULL));
    REQ_OK(cio_call_at(loop, when, cb_log, "t2", NULL));
    REQ_OK(cio_call_at(loop, when + 0.5, cb_log, "t3", NULL));
    CHECK_RC(cio_loop_run_forever(loop), -EPROTO);
    CHECK_ORDER("t1");
    REQ_OK(cio_call_soon(loop, (cio_callback_fn *)cio_loop_stop, loop, NULL));
    CHECK_RC(cio_loop_run_forever(loop), 0);
    CHECK_ORDER("t1 t2 t3");
    CHECK_RC(cio_loop_stop_with_error(loop, -EIO), CIO_EINVALSTATE); /* not running */
    CHECK_RC(cio_loop_stop_with_error(loop, 0), -EINVAL);
    CHECK_RC(cio_loop_stop_with_error(NULL, -EIO), -EINVAL);
out:
    free_loop(loop);
}

static void t_bad_arguments(void)
{
    cio_loop_t *loop = new_loop();
    int junk[8] = {0};
    CHECK_RC(cio_loop_new(NULL), -EINVAL);
    CHECK_RC(cio_loop_run_forever(NULL), -EINVAL);
    CHECK_RC(cio_loop_run_forever((cio_loop_t *)junk), -EINVAL);
    CHECK_RC(cio_loop_stop(NULL), -EINVAL);
    CHECK_RC(cio_loop_close(NULL), -EINVAL);
    CHECK_RC(cio_loop_free(NULL), -EINVAL);
    CHECK_RC(cio_loop_is_running(NULL), -EINVAL);
    CHECK_RC(cio_call_soon(NULL, cb_log, "x", NULL), -EINVAL);
    CHECK_RC(cio_call_soon(loop, NULL, "x", NULL), -EINVAL);
    CHECK_RC(cio_call_later(loop, NAN, cb_log, "x", NULL), -EINVAL);
    CHECK_RC(cio_call_later(loop, INFINITY, cb_log, "x", NULL), -EINVAL);
    CHECK_RC(cio_call_at(loop, NAN, cb_log, "x", NULL), -EINVAL);
    CHECK_RC(cio_call_soon_threadsafe(NULL, cb_log, "x"), -EINVAL);
    CHECK_RC(cio_handle_cancel(NULL), -EINVAL);
    CHECK_RC(cio_handle_cancel((cio_handle_t *)junk), -EINVAL);
    CHECK_RC(cio_unref(junk), -EINVAL);
    CHECK(cio_ref(junk) == NULL);
    CHECK_RC(cio_loop_set_stack_size(loop, 100), -EINVAL);
    CHECK_RC(cio_loop_set_exception_handler(NULL, NULL, NULL), -EINVAL);
    CHECK_RC(cio_loop_call_exception_handler(loop, NULL), -EINVAL);
    CHECK_RC(cio_get_running_loop(NULL), -EINVAL);
    CHECK_RC(cio_set_event_loop((cio_loop_t *)junk), -EINVAL);
    CHECK_RC(cio_loop_run_until_complete(loop, NULL, NULL), -EINVAL);
    /* A negative delay is due at once. */
    REQ_OK(cio_call_later(loop, -5, cb_log, "neg", NULL));
    REQ_OK(cio_call_later(loop, 0.001, (cio_callback_fn *)cio_loop_stop, loop, NULL));
    CHECK_RC(cio_loop_run_forever(loop), 0);
    CHECK_ORDER("neg");
out:
    free_loop(loop);
}

static int stop_cb(void *arg)
{
    return cio_loop_stop(arg);
}

/* Many timers: deadline order over a large random set, with a third of them
 * cancelled. */
struct tstate {
    double last;
    int fired, disorder;
};

static int timer_cb(void *arg)
{
    struct tstate *s = arg;
    s->fired++;
    return 0;
}

static void t_many_timers_with_cancels(void)
{
    cio_loop_t *loop = new_loop();
    enum { N = 200000 };
    cio_handle_t **hs = calloc(N, sizeof *hs);
    struct tstate st = {0, 0, 0};
    uint64_t x = 88172645463325252ull;
    int cancelled = 0;
    REQ_OK(hs ? 0 : -ENOMEM);
    for (int i = 0; i < N; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        REQ_OK(cio_call_later(loop, (double)(x % 200) / 1000.0, timer_cb, &st, &hs[i]));
    }
    for (int i = 0; i < N; i += 3) {
        cio_handle_cancel(hs[i]);
        cancelled++;
    }
    REQ_OK(cio_call_later(loop, 0.25, stop_cb, loop, NULL));
    CHECK_RC(cio_loop_run_forever(loop), 0);
    /* Exactly the handles not cancelled ran. */
    CHECK_INT(st.fired, N - cancelled);
    int bad = 0;
    for (int i = 0; i < N; i++) {
        int c = cio_handle_cancelled(hs[i]);
        if ((i % 3 == 0) != (c == 1))
            bad++;
        cio_unref(hs[i]);
        hs[i] = NULL;
    }
    CHECK_INT(bad, 0);
    CHECK(cancelled > 0);
out:
    for (int i = 0; hs && i < N; i++) /* after a failed setup: the handles made */
        cio_unref(hs[i]);
    free(hs);
    free_loop(loop);
}

/* Timers fire in (deadline, insertion) order even when many are pending. */
struct ordcheck {
    double prev_when;
    int prev_seq;
    int seq;
    int violations;
    int fired;
};
static struct ordcheck oc;
struct tm_item {
    double when;
    int seq;
};

static int ordered_cb(void *arg)
{
    struct tm_item *it = arg;
    if (it->when < oc.prev_when || (it->when == oc.prev_when && it->seq < oc.prev_seq))
        oc.violations++;
    oc.prev_when = it->when;
    oc.prev_seq = it->seq;
    oc.fired++;
    return 0;
}

static void t_timer_order_random(void)
{
    cio_loop_t *loop = new_loop();
    enum { N = 50000 };
    struct tm_item *items = malloc(N * sizeof *items);
    double base = cio_loop_time(loop) + 0.01;
    memset(&oc, 0, sizeof oc);
    uint64_t x = 1234567;
    REQ_OK(items ? 0 : -ENOMEM);
    for (int i = 0; i < N; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        items[i].when = base + (double)(x % 50) / 1000.0; /* many ties */
        items[i].seq = i;
        REQ_OK(cio_call_at(loop, items[i].when, ordered_cb, &items[i], NULL));
    }
    REQ_OK(cio_call_at(loop, base + 0.1, stop_cb, loop, NULL));
    CHECK_RC(cio_loop_run_forever(loop), 0);
    CHECK_INT(oc.fired, N);
    CHECK_INT(oc.violations, 0);
out:
    free_loop(loop); /* the timers not run go with it, before their items */
    free(items);
}

/* A mix of several in-order sequences of deadlines (one of equal
 * deadlines), a decreasing one and random ones, with cancels right after
 * arming and later in random order, fires exactly the timers not
 * cancelled, in (deadline, insertion) order. */
struct mix_item {
    struct tm_item it;
    cio_handle_t *h;
    int cancelled, fired;
};

static int mixed_cb(void *arg)
{
    struct mix_item *m = arg;
    m->fired++;
    if (m->cancelled)
        oc.violations++;
    return ordered_cb(&m->it);
}

static void t_timer_order_mixed(void)
{
    cio_loop_t *loop = new_loop();
    enum { N = 60000 };
    struct mix_item *ms = calloc(N, sizeof *ms);
    int *perm = malloc(N * sizeof *perm);
    double base = cio_loop_time(loop) + 0.01;
    memset(&oc, 0, sizeof oc);
    uint64_t x = 99991;
    int cancelled = 0;
    REQ_OK(ms && perm ? 0 : -ENOMEM);
    for (int i = 0; i < N; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double w;
        switch (i % 6) {
        case 0: w = base + 0.001 + i * 1e-7; break;        /* in order */
        case 1: w = base + 0.020 + i * 1e-7; break;        /* in order, later */
        case 2: w = base + (double)(x % 50) / 1000.0; break; /* random, ties */
        case 3: w = base + 0.050 - i * 1e-7; break;        /* decreasing */
        case 4: w = base + 0.030; break;                   /* all equal */
        default: w = base + 0.010 + (i / 6) * 1e-7; break; /* in order */
        }
        ms[i].it.when = w;
        ms[i].it.seq = i;
        REQ_OK(cio_call_at(loop, w, mixed_cb, &ms[i], &ms[i].h));
        if (x % 7 == 0) { /* cancelled at once: often the newest timer */
            cio_handle_cancel(ms[i].h);
            ms[i].cancelled = 1;
            cancelled++;
        }
        perm[i] = i;
    }
    for (int i = N - 1; i > 0; i--) { /* a random order */
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int j = (int)(x % (uint64_t)(i + 1)), tmp = perm[i];
        perm[i] = perm[j];
        perm[j] = tmp;
    }
    for (int k = 0; k < N / 3; k++) {
        struct mix_item *m = &ms[perm[k]];
        if (!m->cancelled) {
            cio_handle_cancel(m->h);
            m->cancelled = 1;
            cancelled++;
        }
    }
    REQ_OK(cio_call_at(loop, base + 0.1, stop_cb, loop, NULL));
    CHECK_RC(cio_loop_run_forever(loop), 0);
    CHECK_INT(oc.fired, N - cancelled);
    CHECK_INT(oc.violations, 0);
    int wrong = 0;
    for (int i = 0; i < N; i++)
        wrong += ms[i].fired != !ms[i].cancelled;
    CHECK_INT(wrong, 0);
out:
    for (int i = 0; ms && i < N; i++)
        if (ms[i].h)
            cio_unref(ms[i].h);
    free_loop(loop);
    free(ms);
    free(perm);
}

static void t_debug_flag_and_time(void)
{
    cio_loop_t *loop = new_loop();
    CHECK_RC(cio_loop_set_debug(loop, 1), 0);
    CHECK_INT(cio_loop_get_debug(loop), 1);
    CHECK_RC(cio_loop_set_debug(loop, 0), 0);
    CHECK_INT(cio_loop_get_debug(loop), 0);
    double a = cio_loop_time(loop);
    usleep(10000);
    double b = cio_loop_time(loop);
    CHECK(b - a >= 0.009 && b - a < 5);
    CHECK_STR(cio_err_name(CIO_EINVALSTATE), "CIO_EINVALSTATE");
    CHECK_STR(cio_err_name(-ECANCELED), "ECANCELED");
    CHECK_STR(cio_strerror(-ETIMEDOUT), "timed out");
    CHECK(strlen(cio_strerror(CIO_ENOLOOP)) > 0);
    CHECK(strlen(cio_version()) >= 5);
    free_loop(loop);
}

static const struct test_case cases[] = {
    TEST(t_call_soon_fifo),
    TEST(t_call_at_order_and_ties),
    TEST(t_timer_order_mixed),
    TEST(t_iteration_boundaries),
    TEST(t_stop_inside_callback_runs_rest_of_batch),
    TEST(t_callback_error_goes_to_handler),
    TEST(t_handle_cancel),
    TEST(t_call_soon_threadsafe_wakes_poll),
    TEST(t_threadsafe_many_threads_lose_nothing),
    TEST(t_nested_run_refused),
    TEST(t_running_loop_and_thread_loop),
    TEST(t_closed_loop),
    TEST(t_close_refuses_while_alive),
    TEST(t_bad_arguments),
    TEST(t_call_later_negative_delay_keeps_its_deadline),
    TEST(t_handle_when_is_exact),
    TEST(t_call_soon_threadsafe_one_fifo),
    TEST(t_call_soon_threadsafe_handle_cancel),
    TEST(t_err_name_every_errno),
    TEST(t_stop_with_error_from_callback),
    TEST(t_many_timers_with_cancels),
    TEST(t_timer_order_random),
    TEST(t_debug_flag_and_time),
};

int main(int argc, char **argv)
{
    return run_tests(argc, argv, cases, NCASES(cases));
}
