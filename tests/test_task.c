/* Tasks: scheduling, awaiting, cancellation, names, sleep, stacks. */
#include "harness.h"

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
    CHECK(now_s() - t0 < 1.0);
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
    cio_task_t *inner = cio_create_task(body_sleep_long, NULL);
    cio_task_t *outer = cio_create_task(body_await_arg, inner);
    cio_sleep(0.01);
    CHECK_INT(cio_task_cancel(outer, "bye"), 1);
    CHECK_RC(cio_await(outer, NULL), -ECANCELED);
    CHECK_INT(cio_future_cancelled(inner), 1);
    CHECK_INT(cio_future_cancelled(outer), 1);
    CHECK_INT(cio_task_cancelling(inner), 1);
    CHECK_STR(cio_future_message(inner), "bye");
    cio_unref(inner);
    cio_unref(outer);
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
        if (!ts[i])
            return -ENOMEM;
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
    cio_task_t *t;
    CHECK_RC(cio_loop_create_task(loop, body_never, NULL, NULL, &t), 0);
    CHECK_RC(cio_loop_close(loop), -EBUSY);
    cio_task_cancel(t, NULL);
    CHECK_RC(cio_loop_run_until_complete(loop, t, NULL), -ECANCELED);
    cio_unref(t);
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

static const struct test_case cases[] = {
    TEST(t_first_step_runs_later),
    TEST(t_await_error_and_result),
    TEST(t_await_done_future_does_not_suspend),
    TEST(t_sleep0_yields_one_iteration),
    TEST(t_concurrent_sleeps),
    TEST(t_handover_keeps_batch_order),
    TEST(t_cancel_before_start),
    TEST(t_cancel_while_sleeping),
    TEST(t_catch_cancel_and_go_on),
    TEST(t_self_cancel),
    TEST(t_cancel_propagates_to_awaited),
    TEST(t_inner_swallows_cancel),
    TEST(t_cancel_cancels_awaited_future),
    TEST(t_cancel_after_wakeup),
    TEST(t_uncancel_drops_pending_cancel),
    TEST(t_names_current_all_tasks),
    TEST(t_stack_size_per_task),
    TEST(t_100k_tasks),
    TEST(t_misuse),
    TEST(t_close_refused_with_pending_task),
    TEST(t_stack_overflow_reported),
};

int main(int argc, char **argv)
{
    return run_tests(argc, argv, cases, NCASES(cases));
}
