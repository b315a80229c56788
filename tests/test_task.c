/* Tasks: scheduling, awaiting, cancellation, names, sleep, stacks. */
#include "harness.h"

#include <fenv.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static int run_main(cio_coro_fn *fn, void *arg, void **result)
{
    return cio_run(fn, arg, result);
}

/* ------------------------------------------------------------ basics */

static int body_log(void *arg, void **result)
{
    log_event(arg);
    *result = arg;
    return 0;
}

static int cb_log(void *arg)
{
    log_event(arg);
    return 0;
}

static int m_first_step_later(void *arg, void **result)
{
    cio_loop_t *loop;
    CHECK_RC(cio_get_running_loop(&loop), 0);
    cio_task_t *t = cio_create_task(body_log, "task");
    CHECK(t != NULL);
    cio_call_soon(loop, cb_log, "cb", NULL);
    log_event("created"); /* the task has not run yet */
    void *v = NULL;
    int rc = cio_await(t, &v);
    CHECK_RC(rc, 0);
    CHECK_STR(v, "task");
    cio_unref(t);
    return 0;
}

static void t_first_step_runs_later(void)
{
    CHECK_RC(run_main(m_first_step_later, NULL, NULL), 0);
    CHECK_ORDER("created task cb");
}

static int body_fail(void *arg, void **result)
{
    return cio_fail(-EPROTO, "bad frame %d", 7);
}

static int m_await_error(void *arg, void **result)
{
    cio_task_t *t = cio_create_task(body_fail, NULL);
    CHECK_RC(cio_await(t, NULL), -EPROTO);
    CHECK_STR(cio_future_message(t), "bad frame 7");
    CHECK_INT(cio_future_done(t), 1);
    CHECK_INT(cio_future_cancelled(t), 0);
    /* Awaiting a done task returns at once, again. */
    CHECK_RC(cio_await(t, NULL), -EPROTO);
    cio_unref(t);
    *result = (void *)99;
    return 0;
}

static void t_await_error_and_result(void)
{
    void *r = NULL;
    CHECK_RC(run_main(m_await_error, NULL, &r), 0);
    CHECK(r == (void *)99);
}

static int body_sleep_log(void *arg, void **result)
{
    int rc = cio_sleep(0.02);
    log_event(arg);
    return rc;
}

/* An awaited future that is already done does not suspend the awaiter. */
static int m_await_done_no_suspend(void *arg, void **result)
{
    cio_future_t *f = cio_create_future();
    cio_future_set_result(f, (void *)3);
    cio_task_t *other = cio_create_task(body_log, "other");
    void *v;
    CHECK_RC(cio_await(f, &v), 0);
    CHECK(v == (void *)3);
    log_event("main"); /* other has not run: no suspension happened */
    cio_await(other, NULL);
    cio_unref(other);
    cio_unref(f);
    return 0;
}

static void t_await_done_future_does_not_suspend(void)
{
    CHECK_RC(run_main(m_await_done_no_suspend, NULL, NULL), 0);
    CHECK_ORDER("main other");
}

struct yielder {
    const char *name;
};

static int body_yield3(void *arg, void **result)
{
    char buf[8];
    for (int k = 0; k < 3; k++) {
        snprintf(buf, sizeof buf, "%s%d", (const char *)arg, k);
        log_event(buf);
        int rc = cio_sleep(0);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int m_sleep0_interleaves(void *arg, void **result)
{
    cio_task_t *a = cio_create_task(body_yield3, "a");
    cio_task_t *b = cio_create_task(body_yield3, "b");
    CHECK_RC(cio_await(a, NULL), 0);
    CHECK_RC(cio_await(b, NULL), 0);
    cio_unref(a);
    cio_unref(b);
    return 0;
}

static void t_sleep0_yields_one_iteration(void)
{
    CHECK_RC(run_main(m_sleep0_interleaves, NULL, NULL), 0);
    CHECK_ORDER("a0 b0 a1 b1 a2 b2");
}

/* Two tasks that only yield begin each other's iterations without passing
 * through the loop's context: the loop's other phases must still happen.
 * A timer fires, a sleeping task wakes, a readable pipe's reader runs within
 * CIO__POLL_EVERY (32) iterations plus one, a post from another thread
 * arrives, and a callback that stops the loop stops it. */
struct busy {
    cio_loop_t *loop;
    int fds[2];
    atomic_int timer_fired, sleeper_woke, threadsafe_ran, reader_ran;
    long yields_at_readable, yields_at_reader;
    atomic_long yields, yields_after_post, yields_at_threadsafe;
    double timer_due;                          /* cio_loop_time() */
    long yields_at_timer_due, yields_at_timer; /* yields when due, when run */
    pthread_t th;
    atomic_int post_rc; /* the post from the thread */
    atomic_int give_up; /* a setup failed (out of memory): the yielders stop */
};

static int busy_timer(void *arg)
{
    struct busy *b = arg;
    b->yields_at_timer = b->yields;
    b->timer_fired = 1;
    return 0;
}

static int busy_reader(void *arg)
{
    struct busy *b = arg;
    if (!b->reader_ran)
        b->yields_at_reader = b->yields;
    b->reader_ran = 1;
    cio_loop_remove_reader(b->loop, b->fds[0]);
    return 0;
}

static int busy_threadsafe(void *arg)
{
    struct busy *b = arg;
    b->yields_at_threadsafe = b->yields;
    b->threadsafe_ran = 1;
    return 0;
}

static void *busy_post(void *arg)
{
    struct busy *b = arg;
    /* Once nothing else brings the yielders back to the loop. */
    while (!(atomic_load(&b->reader_ran) && atomic_load(&b->timer_fired) && atomic_load(&b->sleeper_woke)))
        usleep(100);
    b->post_rc = cio_call_soon_threadsafe(b->loop, busy_threadsafe, b);
    if (b->post_rc == 0)
        b->yields_after_post = b->yields; /* no earlier than the post */
    else
        b->give_up = 1; /* it will not run */
    return NULL;
}

static int busy_sleeper(void *arg, void **result)
{
    struct busy *b = arg;
    int rc = cio_sleep(0.02);
    b->sleeper_woke = 1;
    return rc;
}

static int busy_yielder(void *arg, void **result)
{
    struct busy *b = arg;
    double t0 = now_s();
    while (!(b->timer_fired && b->sleeper_woke && b->threadsafe_ran && b->reader_ran) && !b->give_up &&
           now_s() - t0 < 10) {
        b->yields++;
        if (!b->yields_at_timer_due && cio_loop_time(b->loop) >= b->timer_due)
            b->yields_at_timer_due = b->yields;
        if (b->yields == 1000) { /* the pipe becomes readable mid-run */
            b->yields_at_readable = b->yields;
            if (write(b->fds[1], "x", 1) != 1)
                return -EIO;
        }
        int rc = cio_yield();
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int m_busy_yielders(void *arg, void **result)
{
    struct busy *b = arg;
    cio_task_t *s = NULL, *y1 = NULL, *y2 = NULL;
    int started = 0;
    REQ(cio_get_running_loop(&b->loop) == 0);
    REQ(cio_loop_add_reader(b->loop, b->fds[0], busy_reader, b) == 0);
    b->timer_due = cio_loop_time(b->loop) + 0.01;
    REQ(cio_call_at(b->loop, b->timer_due, busy_timer, b, NULL) == 0);
    REQ((s = cio_create_task(busy_sleeper, b)) != NULL);
    REQ((y1 = cio_create_task(busy_yielder, b)) != NULL);
    REQ((y2 = cio_create_task(busy_yielder, b)) != NULL);
    REQ(pthread_create(&b->th, NULL, busy_post, b) == 0);
    started = 1;
out:
    if (!started) {
        b->give_up = 1;
        if (b->loop)
            cio_loop_remove_reader(b->loop, b->fds[0]);
    }
    if (y1)
        CHECK_RC(cio_await(y1, NULL), 0);
    if (y2)
        CHECK_RC(cio_await(y2, NULL), 0);
    if (s)
        CHECK_RC(cio_await(s, NULL), 0);
    if (started)
        pthread_join(b->th, NULL);
    if (s)
        cio_unref(s);
    if (y1)
        cio_unref(y1);
    if (y2)
        cio_unref(y2);
    return 0;
}

struct forever {
    cio_loop_t *loop;
    long n, stop_at;
    cio_task_t **peer; /* if given: should it end first (it failed to start), stop the loop */
};

/* Yields until cancelled; at its stop_at-th yield it stops the loop, whose
 * run_forever must return at the end of that iteration. */
static int busy_forever(void *arg, void **result)
{
    struct forever *f = arg;
    for (;;) {
        if (++f->n == f->stop_at)
            cio_loop_stop(f->loop);
        if (f->n > 10000000)
            return -ETIMEDOUT; /* the stop was ignored */
        if (f->peer && *f->peer && cio_future_done(*f->peer)) {
            cio_loop_stop(f->loop);
            return -ECHILD;
        }
        int rc = cio_yield();
        if (rc < 0)
            return rc;
    }
}

static void t_busy_yielders_leave_room_for_the_loop(void)
{
    struct busy b = {0};
    REQUIRE(pipe(b.fds) == 0);
    CHECK_RC(run_main(m_busy_yielders, &b, NULL), 0);
    CHECK_RC(b.post_rc, 0);
    CHECK(b.timer_fired && b.sleeper_woke && b.threadsafe_ran && b.reader_ran);
    /* Each task yields once per iteration, two yields an iteration. */
    CHECK(b.yields_at_reader - b.yields_at_readable <= 2 * (32 + 1));
    /* A post from another thread runs in the next iteration or the one
     * after. */
    CHECK(b.yields_at_threadsafe - b.yields_after_post <= 2 * 2);
    /* A due timer runs in the next iteration. */
    CHECK(b.yields_at_timer_due > 0 && b.yields_at_timer - b.yields_at_timer_due <= 2 * 2);
    close(b.fds[0]);
    close(b.fds[1]);

    /* stop() from one of two busy tasks ends run_forever after that
     * iteration: the other task has yielded as often, or once more. */
    cio_loop_t *loop = new_loop();
    cio_task_t *a = NULL, *c = NULL;
    struct forever f1 = {loop, 0, 1000, NULL}, f2 = {loop, 0, 0, &a};
    int rc = cio_loop_create_task(loop, busy_forever, &f1, NULL, &a);
    CHECK_RC(rc, 0);
    if (rc == 0) {
        rc = cio_loop_create_task(loop, busy_forever, &f2, NULL, &c);
        CHECK_RC(rc, 0);
    }
    if (rc < 0) {
        loop_reap_task(loop, a);
        free_loop(loop);
        return;
    }
    CHECK_RC(cio_loop_run_forever(loop), 0);
    CHECK_INT(f1.n, 1000);
    CHECK_INT(f2.n, 1000);
    cio_task_cancel(a, NULL);
    cio_task_cancel(c, NULL);
    CHECK_RC(cio_loop_run_until_complete(loop, a, NULL), -ECANCELED);
    CHECK_RC(cio_loop_run_until_complete(loop, c, NULL), -ECANCELED);
    cio_unref(a);
    cio_unref(c);
    free_loop(loop);
}

/* Tasks hand the CPU straight to the next task of the batch: the batch
 * order must stay exact with callbacks between tasks, and a task reached
 * that way may end and give its stack back. */
static int body_yield_then_cb(void *arg, void **result)
{
    cio_loop_t *loop;
    cio_get_running_loop(&loop);
    for (int k = 0; k < 2; k++) {
        char buf[8];
        snprintf(buf, sizeof buf, "%s%d", (const char *)arg, k);
        log_event(buf);
        if (((const char *)arg)[0] == 'a')
            cio_call_soon(loop, cb_log, "cb", NULL); /* lands between a and b next time */
        int rc = cio_sleep(0);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int m_handover(void *arg, void **result)
{
    cio_task_t *a = cio_create_task(body_yield_then_cb, "a");
    cio_task_t *b = cio_create_task(body_yield_then_cb, "b");
    cio_task_t *c = cio_create_task(body_yield_then_cb, "c");
    CHECK_RC(cio_await(a, NULL), 0);
    CHECK_RC(cio_await(b, NULL), 0);
    CHECK_RC(cio_await(c, NULL), 0);
    cio_unref(a);
    cio_unref(b);
    cio_unref(c);
    return 0;
}

static void t_handover_keeps_batch_order(void)
{
    CHECK_RC(run_main(m_handover, NULL, NULL), 0);
    /* As CPython: a's call_soon is queued before a's own wake-up. */
    CHECK_ORDER("a0 b0 c0 cb a1 b1 c1 cb");
}

/* Tasks that start in one batch right after others that end without
 * suspending start on the stack the last one finished with (task.c,
 * start_next_here).  Each still runs in creation order, as itself and with
 * the whole stack; one of another stack size, one cancelled before it
 * starts, one that fails unwatched and one that suspends keep their own
 * paths.  (The rounding a task sets is its own: it does not leak into the
 * next, nor to the thread.) */
static int body_deep(void *arg, void **result)
{
    const char *name = arg;
    char ev[32];
    snprintf(ev, sizeof ev, "%s%s", name, strcmp(cio_task_get_name(cio_current_task()), name) ? "?" : "");
    log_event(ev);
    /* Most of a 64 KiB stack: an overflow if the frames of the task that
     * ended before it were still below. */
    volatile char big[40 * 1024];
    for (size_t i = 0; i < sizeof big; i += 512)
        big[i] = name[0];
    int bad = 0;
    for (size_t i = 0; i < sizeof big; i += 512)
        bad += big[i] != name[0];
    if (bad)
        log_event("smashed");
    /* Each starts with the default rounding, whatever the one before it
     * left: a and d leave others. */
    if (fegetround() != FE_TONEAREST)
        log_event("rounding");
    if (name[0] == 'a')
        fesetround(FE_UPWARD);
    if (name[0] == 'd')
        fesetround(FE_TOWARDZERO);
    if (name[0] == 'e')
        return -EIO;
    if (name[0] == 'f' && cio_sleep(0) < 0)
        return -EINTR;
    *result = (void *)name;
    return 0;
}

static int unretrieved, unretrieved_in_task;

static void count_unretrieved(cio_loop_t *loop, const cio_exc_context_t *ctx, void *ud)
{
    (void)loop;
    (void)ud;
    if (ctx->error == -EIO && ctx->future)
        unretrieved++;
    if (cio_current_task())
        unretrieved_in_task++;
}

static int m_batch_starts(void *arg, void **result)
{
    (void)arg;
    (void)result;
    cio_loop_t *loop = NULL;
    cio_get_running_loop(&loop);
    cio_loop_set_exception_handler(loop, count_unretrieved, NULL);
    static const char *names[] = {"a", "b", "big", "c", "d", "e", "f", "g"};
    enum { N = 8 };
    cio_task_t *ts[N] = {0};
    for (int i = 0; i < N; i++) {
        cio_task_opts_t o = {.name = names[i], .stack_size = strcmp(names[i], "big") ? 0 : 256 * 1024};
        REQ_OK(cio_loop_create_task(loop, body_deep, (void *)names[i], &o, names[i][0] == 'e' ? NULL : &ts[i]));
    }
    CHECK_INT(cio_task_cancel(ts[3], NULL), 1); /* c: cancelled before it starts */
    for (int i = 0; i < N; i++) {
        if (!ts[i])
            continue;
        void *v = NULL;
        int rc = cio_await(ts[i], &v);
        if (i == 3)
            CHECK_RC(rc, -ECANCELED);
        else {
            CHECK_RC(rc, 0);
            CHECK_STR(v, names[i]);
        }
    }
out:
    reap_tasks(ts, N);
    return 0;
}

static void t_batch_starts_on_the_ended_stack(void)
{
    unretrieved = unretrieved_in_task = 0;
    CHECK_RC(run_main(m_batch_starts, NULL, NULL), 0);
    CHECK_ORDER("a b big d e f g");
    CHECK_INT(fegetround(), FE_TONEAREST);
    CHECK_INT(unretrieved, 1);        /* e's error, reported once */
    CHECK_INT(unretrieved_in_task, 0); /* from the loop, not as another task */
}

/* say_after: two sleepers concurrently take the longer time, not the sum. */
static int m_concurrent_sleeps(void *arg, void **result)
{
    double t0 = now_s();
    cio_task_t *a = cio_create_task(body_sleep_log, "a");
    cio_task_t *b = cio_create_task(body_sleep_log, "b");
    cio_await(a, NULL);
    cio_await(b, NULL);
    double dt = now_s() - t0;
    CHECK(dt >= 0.02 && dt < 0.035 + 1.0);
    cio_unref(a);
    cio_unref(b);
    return 0;
}

static void t_concurrent_sleeps(void)
{
    CHECK_RC(run_main(m_concurrent_sleeps, NULL, NULL), 0);
    CHECK_ORDER("a b");
}

/* ------------------------------------------------------- cancellation */

static int body_never(void *arg, void **result)
{
    log_event("RAN");
    return 0;
}

static int m_cancel_before_start(void *arg, void **result)
{
    cio_task_t *t = cio_create_task(body_never, NULL);
    CHECK_INT(cio_task_cancel(t, "early"), 1);
    CHECK_INT(cio_task_cancel(t, NULL), 1); /* true on every call while pending */
    CHECK_INT(cio_task_cancelling(t), 2);
    CHECK_RC(cio_await(t, NULL), -ECANCELED);
    CHECK_INT(cio_future_cancelled(t), 1);
    CHECK_STR(cio_future_message(t), "early");
    CHECK_INT(cio_task_cancel(t, NULL), 0); /* done */
    cio_unref(t);
    return 0;
}

static void t_cancel_before_start(void)
{
    CHECK_RC(run_main(m_cancel_before_start, NULL, NULL), 0);
    CHECK_ORDER("");
}

static int body_sleep_long(void *arg, void **result)
{
    int rc = cio_sleep(10);
    log_event(rc == -ECANCELED ? "sleep-cancelled" : "sleep-done");
    return rc;
}

static int m_cancel_while_sleeping(void *arg, void **result)
{
    cio_task_t *t = cio_create_task(body_sleep_long, NULL);
    cio_sleep(0.01);
    double t0 = now_s();
    CHECK_INT(cio_task_cancel(t, NULL), 1);
    CHECK_RC(cio_await(t, NULL), -ECANCELED);
    CHECK(now_s() - t0 < 5.0); /* not the 10 s sleep */
    CHECK_INT(cio_future_cancelled(t), 1);
    cio_unref(t);
    return 0;
}

static void t_cancel_while_sleeping(void)
{
    CHECK_RC(run_main(m_cancel_while_sleeping, NULL, NULL), 0);
    CHECK_ORDER("sleep-cancelled");
}

static int body_catch_and_go_on(void *arg, void **result)
{
    int rc = cio_sleep(10);
    CHECK_RC(rc, -ECANCELED);
    cio_task_t *self = cio_current_task();
    CHECK_INT(cio_task_cancelling(self), 1);
    /* Cleanup that suspends still works: the cancel was delivered once. */
    rc = cio_sleep(0.005);
    CHECK_RC(rc, 0);
    CHECK_INT(cio_task_cancelling(self), 1); /* the count stays */
    *result = (void *)5;
    return 0;
}

static int m_catch_cancel(void *arg, void **result)
{
    cio_task_t *t = cio_create_task(body_catch_and_go_on, NULL);
    cio_sleep(0.005);
    cio_task_cancel(t, NULL);
    void *v = NULL;
    CHECK_RC(cio_await(t, &v), 0);
    CHECK(v == (void *)5);
    CHECK_INT(cio_future_cancelled(t), 0);
    CHECK_INT(cio_task_cancelling(t), 1);
    CHECK_INT(cio_task_uncancel(t), 0);
    CHECK_INT(cio_task_uncancel(t), 0);
    cio_unref(t);
    return 0;
}

static void t_catch_cancel_and_go_on(void)
{
    CHECK_RC(run_main(m_catch_cancel, NULL, NULL), 0);
}

static int body_self_cancel_return(void *arg, void **result)
{
    cio_task_cancel(cio_current_task(), NULL);
    log_event("returned");
    return 0; /* returns normally but ends cancelled */
}

static int body_self_cancel_yield(void *arg, void **result)
{
    cio_task_cancel(cio_current_task(), NULL);
    int rc = cio_sleep(0);
    log_event(rc == -ECANCELED ? "delivered" : "missed");
    CHECK_INT(cio_task_cancelling(cio_current_task()), 1);
    return 0; /* caught: ends with a result */
}

static int m_self_cancel(void *arg, void **result)
{
    cio_task_t *a = cio_create_task(body_self_cancel_return, NULL);
    CHECK_RC(cio_await(a, NULL), -ECANCELED);
    CHECK_INT(cio_future_cancelled(a), 1);
    cio_task_t *b = cio_create_task(body_self_cancel_yield, NULL);
    CHECK_RC(cio_await(b, NULL), 0);
    CHECK_INT(cio_future_cancelled(b), 0);
    cio_unref(a);
    cio_unref(b);
    return 0;
}

static void t_self_cancel(void)
{
    CHECK_RC(run_main(m_self_cancel, NULL, NULL), 0);
    CHECK_ORDER("returned delivered");
}

static int body_await_arg(void *arg, void **result)
{
    return cio_await(arg, result);
}

/* Cancelling a task that awaits another cancels the awaited one too. */
static int m_cancel_propagates(void *arg, void **result)
{
    cio_task_t *ts[2] = {NULL, NULL}; /* inner, outer */
    REQ((ts[0] = cio_create_task(body_sleep_long, NULL)) != NULL);
    REQ((ts[1] = cio_create_task(body_await_arg, ts[0])) != NULL);
    cio_task_t *inner = ts[0], *outer = ts[1];
    cio_sleep(0.01);
    int rc = cio_task_cancel(outer, "bye");
    CHECK_RC(rc, 1);
    REQ(rc == 1);
    CHECK_RC(cio_await(outer, NULL), -ECANCELED);
    CHECK_INT(cio_future_cancelled(inner), 1);
    CHECK_INT(cio_future_cancelled(outer), 1);
    CHECK_INT(cio_task_cancelling(inner), 1);
    CHECK_STR(cio_future_message(inner), "bye");
out:
    reap_tasks(ts, 2);
    return 0;
}

static void t_cancel_propagates_to_awaited(void)
{
    CHECK_RC(run_main(m_cancel_propagates, NULL, NULL), 0);
    CHECK_ORDER("sleep-cancelled");
}

static int body_swallow(void *arg, void **result)
{
    int rc = cio_sleep(10);
    if (rc == -ECANCELED) {
        *result = "swallowed";
        return 0;
    }
    return rc;
}

/* The awaited task swallows the cancel: the awaiter gets its value (as in
 * asyncio), and its own cancel count stays at 1. */
static int m_inner_swallows(void *arg, void **result)
{
    cio_task_t *inner = cio_create_task(body_swallow, NULL);
    cio_task_t *outer = cio_create_task(body_await_arg, inner);
    cio_sleep(0.01);
    cio_task_cancel(outer, NULL);
    void *v = NULL;
    CHECK_RC(cio_await(outer, &v), 0);
    CHECK_STR(v, "swallowed");
    CHECK_INT(cio_task_cancelling(outer), 1);
    CHECK_INT(cio_future_cancelled(inner), 0);
    cio_unref(inner);
    cio_unref(outer);
    return 0;
}

static void t_inner_swallows_cancel(void)
{
    CHECK_RC(run_main(m_inner_swallows, NULL, NULL), 0);
}

/* Cancel cancels the awaited future synchronously. */
static int m_cancel_awaited_future(void *arg, void **result)
{
    cio_future_t *f = cio_create_future();
    cio_task_t *t = cio_create_task(body_await_arg, f);
    cio_sleep(0);
    CHECK_INT(cio_future_done(f), 0);
    cio_task_cancel(t, NULL);
    CHECK_INT(cio_future_cancelled(f), 1); /* at once */
    CHECK_RC(cio_await(t, NULL), -ECANCELED);
    cio_unref(t);
    cio_unref(f);
    return 0;
}

static void t_cancel_cancels_awaited_future(void)
{
    CHECK_RC(run_main(m_cancel_awaited_future, NULL, NULL), 0);
}

/* A future completing and then its waiter being cancelled before it resumed:
 * the waiter gets -ECANCELED (asyncio's must_cancel). */
static int m_cancel_after_wakeup(void *arg, void **result)
{
    cio_future_t *f = cio_create_future();
    cio_task_t *t = cio_create_task(body_await_arg, f);
    cio_sleep(0);
    cio_future_set_result(f, (void *)1);
    cio_task_cancel(t, NULL);
    CHECK_RC(cio_await(t, NULL), -ECANCELED);
    cio_unref(t);
    cio_unref(f);
    /* The same with an error: the task is told of the cancel, yet the
     * error was read by its wake-up (asyncio's __wakeup calls result()), so
     * it is not reported as never retrieved. */
    unretrieved = 0;
    cio_loop_t *loop = NULL;
    cio_get_running_loop(&loop);
    cio_loop_set_exception_handler(loop, count_unretrieved, NULL);
    f = cio_create_future();
    t = cio_create_task(body_await_arg, f);
    cio_sleep(0);
    cio_future_set_exception(f, -EIO, NULL);
    cio_task_cancel(t, NULL);
    CHECK_RC(cio_await(t, NULL), -ECANCELED);
    cio_unref(t);
    cio_unref(f);
    CHECK_INT(unretrieved, 0);
    return 0;
}

static void t_cancel_after_wakeup(void)
{
    CHECK_RC(run_main(m_cancel_after_wakeup, NULL, NULL), 0);
}

/* uncancel back to 0 drops a cancel not yet delivered (3.13). */
static int body_uncancel_self(void *arg, void **result)
{
    cio_task_t *self = cio_current_task();
    cio_task_cancel(self, NULL);
    CHECK_INT(cio_task_uncancel(self), 0);
    return cio_sleep(0.001); /* not cancelled */
}

static int m_uncancel(void *arg, void **result)
{
    cio_task_t *t = cio_create_task(body_uncancel_self, NULL);
    CHECK_RC(cio_await(t, NULL), 0);
    cio_unref(t);
    return 0;
}

static void t_uncancel_drops_pending_cancel(void)
{
    CHECK_RC(run_main(m_uncancel, NULL, NULL), 0);
}

/* ---------------------------------------------------- introspection */

static int body_names(void *arg, void **result)
{
    cio_task_t *self = cio_current_task();
    CHECK(self != NULL);
    *result = (void *)cio_task_get_name(self);
    return cio_sleep(0.001);
}

static int m_names(void *arg, void **result)
{
    cio_loop_t *loop;
    cio_get_running_loop(&loop);
    cio_task_t *a = cio_create_task(body_names, NULL);
    cio_task_t *b = cio_create_task_named(body_names, NULL, "fetcher");
    cio_task_opts_t o = {.name = "big", .stack_size = 256 * 1024};
    cio_task_t *c = NULL;
    CHECK_RC(cio_loop_create_task(loop, body_names, NULL, &o, &c), 0);
    const char *an = cio_task_get_name(a);
    CHECK(an && strncmp(an, "Task-", 5) == 0);
    cio_coro_fn *fn = NULL;
    void *farg = &fn;
    CHECK_RC(cio_task_get_coro(b, &fn, &farg), 0);
    CHECK(fn == body_names && farg == NULL);
    CHECK_RC(cio_task_get_coro(b, &fn, NULL), 0);
    CHECK_RC(cio_task_get_coro(b, NULL, &farg), -EINVAL);
    CHECK_RC(cio_task_get_coro(NULL, &fn, &farg), -EINVAL);
    cio_future_t *plain = NULL;
    if (cio_loop_create_future(loop, &plain) == 0) {
        CHECK_RC(cio_task_get_coro(plain, &fn, &farg), -EINVAL);
        cio_unref(plain);
    }
    CHECK_STR(cio_task_get_name(b), "fetcher");
    CHECK_RC(cio_task_set_name(b, "renamed"), 0);
    CHECK_STR(cio_task_get_name(b), "renamed");
    cio_task_t *all[8];
    CHECK_INT(cio_all_tasks(loop, all, 8), 4); /* main, a, b, c */
    int seen = 0;
    for (int i = 0; i < 4; i++)
        seen += all[i] == a || all[i] == b || all[i] == c || all[i] == cio_current_task();
    CHECK_INT(seen, 4);
    void *v;
    cio_await(a, &v);
    CHECK_STR(v, an);
    fn = NULL;
    CHECK_RC(cio_task_get_coro(a, &fn, NULL), 0); /* after the run too */
    CHECK(fn == body_names);
    cio_await(b, &v);
    CHECK_STR(v, "renamed");
    cio_await(c, &v);
    CHECK_STR(v, "big");
    CHECK_INT(cio_all_tasks(loop, NULL, 0), 1);
    cio_unref(a);
    cio_unref(b);
    cio_unref(c);
    return 0;
}

static void t_names_current_all_tasks(void)
{
    CHECK(cio_current_task() == NULL);
    CHECK_RC(run_main(m_names, NULL, NULL), 0);
}

static int body_big_frame(void *arg, void **result)
{
    volatile char buf[512 * 1024];
    buf[0] = 1;
    buf[sizeof buf - 1] = 2;
    cio_sleep(0);
    return buf[0] + buf[sizeof buf - 1] == 3 ? 0 : -EIO;
}

static int m_stack_size(void *arg, void **result)
{
    cio_loop_t *loop;
    cio_get_running_loop(&loop);
    cio_task_opts_t o = {.name = "large", .stack_size = 1024 * 1024};
    cio_task_t *t;
    CHECK_RC(cio_loop_create_task(loop, body_big_frame, NULL, &o, &t), 0);
    CHECK_RC(cio_await(t, NULL), 0);
    cio_unref(t);
    o.stack_size = 1000; /* too small */
    CHECK_RC(cio_loop_create_task(loop, body_big_frame, NULL, &o, &t), -EINVAL);
    return 0;
}

static void t_stack_size_per_task(void)
{
    CHECK_RC(run_main(m_stack_size, NULL, NULL), 0);
}

/* ------------------------------------------- registers across a switch */

/* What a C caller may keep across a call must survive the switch inside
 * cio_yield(): the callee-saved registers (x86-64: rbx rbp r12-r15;
 * AArch64: x19-x29 and d8-d15) and the floating-point control state, which
 * each task keeps for itself (x86-64: MXCSR and the x87 control word;
 * AArch64: FPCR).  Three tasks, each with its own register values and its
 * own rounding mode, yield to each other many times; each checks its
 * registers after every switch, and the thread's own FP control is
 * unchanged afterwards. */
#if defined(__x86_64__) || defined(__aarch64__)
#define HAVE_SWITCH_REGS_TEST 1

#if defined(__x86_64__)
/* Sets rbx rbp r12-r15 to seed+1..seed+6, calls cio_yield() and returns a
 * bit per register that came back different (bit 0 rbx, 1 rbp, 2-5 r12-r15).
 * The call is made on a 16-aligned stack below the red zone; rbp (maybe the
 * frame pointer) is saved and restored by hand. */
#define REG_SET(k, r) "lea " #k "(%%rax), %%" r "\n\t"
#define REG_CHK(k, r, bit)                                                     \
    "lea " #k "(%%rcx), %%rdx\n\tcmp %%rdx, %%" r "\n\tsetne %%dl\n\t"         \
    "movzbl %%dl, %%edx\n\tshl $" #bit ", %%rdx\n\tor %%rdx, %%rax\n\t"
static unsigned long switch_regs(unsigned long seed)
{
    unsigned long v = seed;
    __asm__ volatile("mov %%rsp, %%rcx\n\t"
                     "sub $128, %%rsp\n\t"
                     "and $-16, %%rsp\n\t"
                     "push %%rcx\n\t" /* 24(%rsp): the old rsp */
                     "push %%rbp\n\t" /* 16(%rsp) */
                     "push %%rax\n\t" /* 8(%rsp): seed */
                     "push %%rax\n\t" /* alignment */
                     REG_SET(1, "rbx") REG_SET(2, "rbp") REG_SET(3, "r12") REG_SET(4, "r13")
                     REG_SET(5, "r14") REG_SET(6, "r15")
                     "call cio_yield@PLT\n\t"
                     "mov 8(%%rsp), %%rcx\n\t"
                     "xor %%eax, %%eax\n\t"
                     REG_CHK(1, "rbx", 0) REG_CHK(2, "rbp", 1) REG_CHK(3, "r12", 2) REG_CHK(4, "r13", 3)
                     REG_CHK(5, "r14", 4) REG_CHK(6, "r15", 5)
                     "mov 16(%%rsp), %%rbp\n\t"
                     "mov 24(%%rsp), %%rsp\n\t"
                     : "+a"(v)
                     :
                     : "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
                       "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
                       "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "cc", "memory");
    return v;
}
#undef REG_SET
#undef REG_CHK

/* The FP control state: MXCSR in the low half (without its sticky exception
 * flags, bits 0-5), the x87 control word above. */
static unsigned long fp_ctl_get(void)
{
    unsigned int mxcsr;
    unsigned short cw;
    __asm__ volatile("stmxcsr %0\n\tfnstcw %1" : "=m"(mxcsr), "=m"(cw));
    return (unsigned long)cw << 32 | (mxcsr & ~0x3Fu);
}
static void fp_ctl_set(unsigned long v)
{
    unsigned int mxcsr = (unsigned int)v;
    unsigned short cw = (unsigned short)(v >> 32);
    __asm__ volatile("ldmxcsr %0\n\tfldcw %1" : : "m"(mxcsr), "m"(cw) : "memory");
}
/* Per task: MXCSR and x87 rounding (up, toward zero, down; precision and
 * FTZ/DAZ vary too); the exceptions stay masked. */
static const unsigned long fp_ctl_modes[3] = {
    0x0A7Ful << 32 | 0xDF80u, /* up, FTZ; x87 up, double precision */
    0x0C7Ful << 32 | 0x7FC0u, /* toward zero, DAZ; x87 toward zero, single precision */
    0x077Ful << 32 | 0x3F80u, /* down; x87 down, extended precision */
};
#else
/* Sets x19-x29 to seed+1..seed+11 and d8-d15 to seed+12..seed+19, calls
 * cio_yield() and returns a bit per register that came back different
 * (bits 0-10 x19-x29, bits 11-18 d8-d15).  x29 (the frame pointer) is saved
 * and restored by hand. */
#define REG_SET(k, r) "add " r ", x9, #" #k "\n\t"
#define DREG_SET(k, r) "add x10, x9, #" #k "\n\tfmov " r ", x10\n\t"
#define REG_CHK(k, r, bit) "add x10, x9, #" #k "\n\tcmp " r ", x10\n\tcset x11, ne\n\torr x0, x0, x11, lsl #" #bit "\n\t"
#define DREG_CHK(k, r, bit) "fmov x12, " r "\n\t" REG_CHK(k, "x12", bit)
static unsigned long switch_regs(unsigned long seed)
{
    register unsigned long v __asm__("x0") = seed;
    __asm__ volatile("stp x29, x30, [sp, #-32]!\n\t"
                     "str x0, [sp, #16]\n\t"
                     "mov x9, x0\n\t"
                     REG_SET(1, "x19") REG_SET(2, "x20") REG_SET(3, "x21") REG_SET(4, "x22") REG_SET(5, "x23")
                     REG_SET(6, "x24") REG_SET(7, "x25") REG_SET(8, "x26") REG_SET(9, "x27") REG_SET(10, "x28")
                     REG_SET(11, "x29")
                     DREG_SET(12, "d8") DREG_SET(13, "d9") DREG_SET(14, "d10") DREG_SET(15, "d11")
                     DREG_SET(16, "d12") DREG_SET(17, "d13") DREG_SET(18, "d14") DREG_SET(19, "d15")
                     "bl cio_yield\n\t"
                     "ldr x9, [sp, #16]\n\t"
                     "mov x0, #0\n\t"
                     REG_CHK(1, "x19", 0) REG_CHK(2, "x20", 1) REG_CHK(3, "x21", 2) REG_CHK(4, "x22", 3)
                     REG_CHK(5, "x23", 4) REG_CHK(6, "x24", 5) REG_CHK(7, "x25", 6) REG_CHK(8, "x26", 7)
                     REG_CHK(9, "x27", 8) REG_CHK(10, "x28", 9) REG_CHK(11, "x29", 10)
                     DREG_CHK(12, "d8", 11) DREG_CHK(13, "d9", 12) DREG_CHK(14, "d10", 13) DREG_CHK(15, "d11", 14)
                     DREG_CHK(16, "d12", 15) DREG_CHK(17, "d13", 16) DREG_CHK(18, "d14", 17)
                     DREG_CHK(19, "d15", 18)
                     "ldp x29, x30, [sp], #32\n\t"
                     : "+r"(v)
                     :
                     : "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14",
                       "x15", "x16", "x17", "x18", "x19", "x20", "x21", "x22", "x23", "x24", "x25", "x26", "x27",
                       "x28", "x30", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11",
                       "v12", "v13", "v14", "v15", "v16", "v17", "v18", "v19", "v20", "v21", "v22", "v23", "v24",
                       "v25", "v26", "v27", "v28", "v29", "v30", "v31", "cc", "memory");
    return v;
}
#undef REG_SET
#undef DREG_SET
#undef REG_CHK
#undef DREG_CHK

static unsigned long fp_ctl_get(void)
{
    unsigned long v;
    __asm__ volatile("mrs %0, fpcr" : "=r"(v));
    return v;
}
static void fp_ctl_set(unsigned long v)
{
    __asm__ volatile("msr fpcr, %0" : : "r"(v) : "memory");
}
/* Per task: FPCR's rounding mode (RMode, bits 22-23), with FZ (24) or DN (25). */
static const unsigned long fp_ctl_modes[3] = {
    1ul << 22 | 1ul << 24, /* toward +inf, flush to zero */
    3ul << 22 | 1ul << 25, /* toward zero, default NaN */
    2ul << 22,             /* toward -inf */
};
#endif

struct regs_task {
    int id;
    unsigned long seed;
    int rounds;
};

/* 1/3 and -1/3 as the current rounding mode gives them: the pair differs
 * between up, toward zero and down. */
struct thirds {
    double pos, neg;
};
/* Computed where it is called, in the rounding mode set just before: not
 * inlined, its operands and results volatile, and the mode switches clobber
 * memory, so an optimizing build can neither fold the divisions nor move
 * them across a mode change. */
static __attribute__((noinline)) struct thirds thirds(void)
{
    volatile double one = 1.0, three = 3.0;
    volatile double pos = one / three, neg = -one / three;
    return (struct thirds){pos, neg};
}

static int body_regs(void *arg, void **result)
{
    struct regs_task *r = arg;
    unsigned long mode = fp_ctl_modes[r->id];
    fp_ctl_set(mode);
    struct thirds q = thirds();
    for (int i = 0; i < r->rounds; i++) {
        unsigned long bad = switch_regs(r->seed + (unsigned long)i * 64);
        if (bad) {
            FAILF("task %d, switch %d: callee-saved registers changed (bit mask %#lx)", r->id, i, bad);
            break;
        }
        unsigned long now = fp_ctl_get();
        if (now != mode) {
            FAILF("task %d, switch %d: FP control %#lx, expected %#lx", r->id, i, now, mode);
            break;
        }
        struct thirds q2 = thirds();
        if (q2.pos != q.pos || q2.neg != q.neg) {
            FAILF("task %d, switch %d: 1/3 and -1/3 round to %a %a, before the switch %a %a", r->id, i,
                  q2.pos, q2.neg, q.pos, q.neg);
            break;
        }
    }
    return 0;
}

static int m_regs(void *arg, void **result)
{
    unsigned long mine = fp_ctl_get();
    struct regs_task rs[3];
    cio_task_t *ts[3];
    for (int i = 0; i < 3; i++) {
        rs[i] = (struct regs_task){.id = i, .seed = 0x1000u * (unsigned long)(i + 1) << 20, .rounds = 500};
        ts[i] = cio_create_task(body_regs, &rs[i]);
        CHECK(ts[i] != NULL);
    }
    for (int i = 0; i < 3; i++) {
        if (ts[i]) {
            CHECK_RC(cio_await(ts[i], NULL), 0);
            cio_unref(ts[i]);
        }
    }
    unsigned long now = fp_ctl_get();
    if (now != mine) /* the tasks' modes stayed theirs */
        FAILF("main task: FP control %#lx after the tasks, %#lx before", now, mine);
    return 0;
}

static void t_switch_keeps_registers(void)
{
    unsigned long before = fp_ctl_get();
    CHECK_RC(run_main(m_regs, NULL, NULL), 0);
    unsigned long after = fp_ctl_get();
    if (after != before)
        FAILF("thread: FP control %#lx after the run, %#lx before", after, before);
    /* The three modes are told apart by the arithmetic, not only by the
     * register: up, toward zero, down. */
    struct thirds q[3];
    for (int i = 0; i < 3; i++) {
        fp_ctl_set(fp_ctl_modes[i]);
        q[i] = thirds();
        fp_ctl_set(before);
    }
    CHECK(q[0].pos > q[1].pos && q[1].pos == q[2].pos);
    CHECK(q[0].neg == q[1].neg && q[1].neg > q[2].neg);
}
#endif

/* ------------------------------------------------------- many tasks */

static int body_count(void *arg, void **result)
{
    int *n = arg;
    int rc = cio_sleep(0.01);
    (*n)++;
    return rc;
}

static int m_100k(void *arg, void **result)
{
    enum { N = TEST_CROWD(100000) };
    cio_task_t **ts = malloc(N * sizeof *ts);
    int n = 0;
    for (int i = 0; i < N; i++) {
        ts[i] = cio_create_task(body_count, &n);
        if (!ts[i]) { /* the ones created use n: cancel them all, then await them */
            for (int j = 0; j < i; j++)
                cio_task_cancel(ts[j], NULL);
            for (int j = 0; j < i; j++) {
                cio_await(ts[j], NULL);
                cio_unref(ts[j]);
            }
            free(ts);
            return -ENOMEM;
        }
    }
    int bad = 0;
    for (int i = 0; i < N; i++) {
        if (cio_await(ts[i], NULL) != 0)
            bad++;
        cio_unref(ts[i]);
    }
    free(ts);
    CHECK_INT(bad, 0);
    CHECK_INT(n, N);
    return 0;
}

static void t_100k_tasks(void)
{
    CHECK_RC(run_main(m_100k, NULL, NULL), 0);
}

/* ------------------------------------------------------- misuse */

static int m_other_loop(void *arg, void **result)
{
    cio_loop_t *other = arg;
    cio_future_t *f;
    CHECK_RC(cio_loop_create_future(other, &f), 0);
    CHECK_RC(cio_await(f, NULL), CIO_EWRONGLOOP);
    cio_unref(f);
    CHECK_RC(cio_await(cio_current_task(), NULL), CIO_ESELFAWAIT);
    CHECK_RC(cio_sleep(NAN), -EINVAL);
    CHECK_RC(cio_run(body_log, "x", NULL), CIO_ELOOPRUNNING);
    return 0;
}

static void t_misuse(void)
{
    cio_loop_t *other = new_loop();
    CHECK_RC(cio_sleep(0.1), CIO_ENOTASK);
    CHECK_RC(cio_yield(), CIO_ENOTASK);
    CHECK_RC(cio_run(m_other_loop, other, NULL), 0);
    CHECK(cio_create_task(body_log, "x") == NULL); /* no running loop */
    CHECK_RC(cio_loop_create_task(NULL, body_log, NULL, NULL, NULL), -EINVAL);
    CHECK_RC(cio_loop_create_task(other, NULL, NULL, NULL, NULL), -EINVAL);
    CHECK_RC(cio_task_cancel(NULL, NULL), -EINVAL);
    CHECK_RC(cio_task_cancelling(NULL), -EINVAL);
    CHECK_RC(cio_task_uncancel(NULL), -EINVAL);
    CHECK(cio_task_get_name(NULL) == NULL);
    CHECK_RC(cio_task_set_name(NULL, "x"), -EINVAL);
    CHECK_RC(cio_all_tasks(NULL, NULL, 0), -EINVAL);
    cio_future_t *f;
    CHECK_RC(cio_loop_create_future(other, &f), 0);
    CHECK_RC(cio_task_cancel(f, NULL), -EINVAL);  /* a future is not a task */
    CHECK_RC(cio_task_cancelling(f), -EINVAL);
    cio_unref(f);
    free_loop(other);
}

/* A task still pending keeps the loop from closing. */
static void t_close_refused_with_pending_task(void)
{
    cio_loop_t *loop = new_loop();
    cio_task_t *t = NULL;
    int rc = cio_loop_create_task(loop, body_never, NULL, NULL, &t);
    CHECK_RC(rc, 0);
    if (rc == 0) {
        CHECK_RC(cio_loop_close(loop), -EBUSY);
        cio_task_cancel(t, NULL);
        CHECK_RC(cio_loop_run_until_complete(loop, t, NULL), -ECANCELED);
        loop_reap_task(loop, t); /* not done if the run could not start */
    }
    free_loop(loop);
    CHECK_ORDER("");
}

/* ------------------------------------------------------- overflow */

static int recurse(int depth)
{
    volatile char pad[1024];
    pad[0] = (char)depth;
    if (depth > 1000000)
        return pad[0];
    return recurse(depth + 1) + pad[0];
}

static int body_overflow(void *arg, void **result)
{
    return recurse(0);
}

static int m_overflow(void *arg, void **result)
{
    cio_task_t *t = cio_create_task_named(body_overflow, NULL, "deep-recursion");
    cio_await(t, NULL);
    cio_unref(t);
    return 0;
}

static void t_stack_overflow_reported(void)
{
    int pipefd[2];
    REQUIRE(pipe(pipefd) == 0);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        dup2(pipefd[1], 2);
        close(pipefd[0]);
        cio_run(m_overflow, NULL, NULL);
        _exit(0); /* not reached: the overflow ends the process */
    }
    close(pipefd[1]);
    char buf[4096];
    size_t len = 0;
    ssize_t r;
    while ((r = read(pipefd[0], buf + len, sizeof buf - 1 - len)) > 0)
        len += (size_t)r;
    buf[len] = 0;
    close(pipefd[0]);
    int status;
    waitpid(pid, &status, 0);
    CHECK(!(WIFEXITED(status) && WEXITSTATUS(status) == 0)); /* it did not go on silently */
#ifndef CIO_TEST_SANITIZED
    CHECK(WIFSIGNALED(status));
    CHECK(strstr(buf, "stack overflow in task 'deep-recursion'") != NULL);
#else
    CHECK(strstr(buf, "stack-overflow") != NULL || strstr(buf, "deep-recursion") != NULL ||
          strstr(buf, "SEGV") != NULL);
#endif
    if (test_failed)
        fprintf(stderr, "child said: %s\n", buf);
}

/* Timers taken off while due.  Two timers fall due in one iteration (the
 * main task blocks the thread past both deadlines); the first one's
 * callback cancels what the second would fire: a call_later handle, a
 * sleeping task, a task waiting for an fd with a timeout.  The second must
 * not run, the tasks end cancelled (asyncio's sleep future is cancelled
 * before its timer handle runs), and a task that resumes and reuses its
 * stack leaves nothing behind for the timer phase to fire. */
static cio_handle_t *rd_h2;
static cio_task_t *rd_victim;

static int rd_second(void *arg)
{
    (void)arg;
    log_event("second-ran");
    return 0;
}

static int rd_first(void *arg)
{
    (void)arg;
    log_event("first");
    if (rd_h2)
        cio_handle_cancel(rd_h2);
    if (rd_victim)
        cio_task_cancel(rd_victim, NULL);
    return 0;
}

static __attribute__((noinline)) void rd_scribble(void)
{
    volatile unsigned char junk[16384];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = 0xa5;
}

static int rd_victim_fn(void *arg, void **result)
{
    (void)result;
    int *fd = arg;
    int rc = fd ? cio_wait_readable(*fd, 0.02) : cio_sleep(0.02);
    log_event(rc == -ECANCELED ? "victim-cancelled" : rc == 0 ? "victim-woke" : "victim-other");
    rd_scribble(); /* the frame that held the timer is reused */
    return rc;
}

static int m_removed_while_due(void *arg, void **result)
{
    (void)result;
    int which = *(int *)arg;
    cio_loop_t *loop = NULL;
    int sv[2] = {-1, -1};
    cio_handle_t *h1 = NULL;
    rd_h2 = NULL;
    rd_victim = NULL;
    cio_get_running_loop(&loop);
    REQ_OK(cio_call_later(loop, 0.01, rd_first, NULL, &h1));
    if (which == 0) {
        REQ_OK(cio_call_later(loop, 0.02, rd_second, NULL, &rd_h2));
    } else {
        if (which == 2)
            REQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0);
        REQ(rd_victim = cio_create_task(rd_victim_fn, which == 2 ? &sv[0] : NULL));
        REQ_OK(cio_sleep(0)); /* the victim's timer is armed: +0.02 */
    }
    usleep(50000); /* both due in the next timer phase */
    REQ_OK(cio_sleep(0.05));
    if (rd_victim)
        CHECK_RC(cio_await(rd_victim, NULL), -ECANCELED);
    if (rd_h2)
        CHECK_INT(cio_handle_cancelled(rd_h2), 1);
    log_event("end");
out:
    reap_tasks(&rd_victim, 1);
    if (h1)
        cio_unref(h1);
    if (rd_h2)
        cio_unref(rd_h2);
    rd_h2 = NULL;
    if (sv[0] >= 0) {
        close(sv[0]);
        close(sv[1]);
    }
    return 0;
}

static void t_timers_removed_while_due(void)
{
    static const char *want[] = {"first end", "first victim-cancelled end", "first victim-cancelled end"};
    for (int which = 0; which < 3; which++) {
        log_reset();
        CHECK_RC(cio_run(m_removed_while_due, &which, NULL), 0);
        CHECK_ORDER(want[which]);
    }
}

/* ------------------------------------------------------- task factories */

static int body_log_then_sleep(void *arg, void **result)
{
    log_event(arg);
    int rc = cio_sleep(0);
    log_event("resumed");
    return rc;
}

static int counting_factory(cio_loop_t *loop, cio_coro_fn *fn, void *arg, const cio_task_opts_t *opts,
                            cio_task_t **out, void *ud)
{
    (*(int *)ud)++;
    cio_task_opts_t o = opts ? *opts : (cio_task_opts_t){0};
    o.name = "made-by-factory";
    return cio_task_new(loop, fn, arg, &o, out);
}

static int refusing_factory(cio_loop_t *loop, cio_coro_fn *fn, void *arg, const cio_task_opts_t *opts,
                            cio_task_t **out, void *ud)
{
    return -EPERM;
}

static int m_task_factories(void *arg, void **result)
{
    cio_loop_t *loop;
    cio_task_t *t = NULL;
    int made = 0;
    void *ud = (void *)1;
    cio_get_running_loop(&loop);
    CHECK(cio_loop_get_task_factory(loop, &ud) == NULL && ud == NULL);
    /* The eager factory, loop-wide: the first step runs inside the call. */
    REQ_RC(cio_loop_set_task_factory(loop, cio_eager_task_factory, NULL));
    CHECK(cio_loop_get_task_factory(loop, NULL) == cio_eager_task_factory);
    log_event("before");
    t = cio_create_task(body_log_then_sleep, "first-step");
    REQ(t);
    log_event("after");
    CHECK_RC(cio_await(t, NULL), 0);
    cio_unref(t);
    t = NULL;
    /* A factory of one's own sees every creation. */
    REQ_RC(cio_loop_set_task_factory(loop, counting_factory, &made));
    CHECK(cio_loop_get_task_factory(loop, &ud) == counting_factory && ud == &made);
    REQ_RC(cio_loop_create_task(loop, body_log_then_sleep, "lazy", NULL, &t));
    CHECK_STR(cio_task_get_name(t), "made-by-factory");
    CHECK_INT(made, 1);
    CHECK_RC(cio_await(t, NULL), 0);
    cio_unref(t);
    t = NULL;
    REQ_RC(cio_loop_set_task_factory(loop, refusing_factory, NULL));
    CHECK_RC(cio_loop_create_task(loop, body_log_then_sleep, "never", NULL, &t), -EPERM);
    CHECK(t == NULL);
    REQ_RC(cio_loop_set_task_factory(loop, NULL, &made));
    CHECK(cio_loop_get_task_factory(loop, &ud) == NULL && ud == NULL);
    CHECK_RC(cio_task_new(loop, body_log_then_sleep, "x", NULL, NULL), -EINVAL);
    CHECK_RC(cio_loop_set_task_factory(NULL, NULL, NULL), -EINVAL);
out:
    cio_loop_set_task_factory(loop, NULL, NULL);
    if (t) {
        cio_await(t, NULL);
        cio_unref(t);
    }
    return 0;
}

static void t_task_factories(void)
{
    CHECK_RC(run_main(m_task_factories, NULL, NULL), 0);
    CHECK_ORDER("before first-step after resumed lazy resumed");
}

static const struct test_case cases[] = {
    TEST(t_first_step_runs_later),
    TEST(t_await_error_and_result),
    TEST(t_await_done_future_does_not_suspend),
    TEST(t_sleep0_yields_one_iteration),
    TEST(t_busy_yielders_leave_room_for_the_loop),
    TEST(t_concurrent_sleeps),
    TEST(t_handover_keeps_batch_order),
    TEST(t_batch_starts_on_the_ended_stack),
    TEST(t_cancel_before_start),
    TEST(t_cancel_while_sleeping),
    TEST(t_timers_removed_while_due),
    TEST(t_catch_cancel_and_go_on),
    TEST(t_self_cancel),
    TEST(t_cancel_propagates_to_awaited),
    TEST(t_inner_swallows_cancel),
    TEST(t_cancel_cancels_awaited_future),
    TEST(t_cancel_after_wakeup),
    TEST(t_uncancel_drops_pending_cancel),
    TEST(t_names_current_all_tasks),
    TEST(t_stack_size_per_task),
#ifdef HAVE_SWITCH_REGS_TEST
    TEST(t_switch_keeps_registers),
#endif
    TEST(t_100k_tasks),
    TEST(t_misuse),
    TEST(t_close_refused_with_pending_task),
    TEST(t_stack_overflow_reported),
    TEST(t_task_factories),
};

int main(int argc, char **argv)
{
    return run_tests(argc, argv, cases, NCASES(cases));
}
