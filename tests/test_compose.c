/* Composition: gather, wait, wait_for, as_completed, shield, timeout scopes,
 * TaskGroup — asyncio's semantics, including the cancellation corners. */
#include "harness.h"

/* A child: sleeps `delay`, logs, then returns rc (value = name). */
struct job {
    double delay;
    const char *name;
    int rc;
    int swallow; /* catch a cancel and return normally */
};

static int job_fn(void *arg, void **result)
{
    struct job *j = arg;
    int rc = cio_sleep(j->delay);
    if (rc < 0 && rc != -ECANCELED)
        return rc; /* out of memory: no sleep, no value */
    if (rc == -ECANCELED) {
        char buf[64];
        snprintf(buf, sizeof buf, "%s-cancelled", j->name);
        log_event(buf);
        if (j->swallow) {
            *result = (void *)j->name;
            return 0;
        }
        return rc;
    }
    log_event(j->name);
    *result = (void *)j->name;
    return j->rc;
}

static cio_task_t *spawn(struct job *j)
{
    cio_task_t *t = NULL;
    cio_task_opts_t o = {.name = j->name};
    int rc = cio_loop_create_task(cio_future_get_loop(cio_current_task()), job_fn, j, &o, &t);
    if (rc < 0)
        FAILF("cio_loop_create_task: %s", cio_err_name(rc));
    return t;
}

/* 1 when every one of the n tasks was created. */
static int all_made(cio_task_t *const *ts, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!ts[i])
            return 0;
    return 1;
}

/* A future (plain, gather or task) at the end of a case: cancelled and
 * awaited if still pending, then released. */
static void reap_future(cio_future_t **f)
{
    if (*f)
        reap_tasks(f, 1);
}

/* ------------------------------------------------------------- gather */

static int m_gather_order(void *arg, void **result)
{
    struct job a = {0.03, "a", 0, 0}, b = {0.01, "b", 0, 0}, c = {0.02, "c", 0, 0};
    cio_task_t *ts[4] = {spawn(&a), spawn(&b), spawn(&c), NULL};
    REQ(all_made(ts, 3));
    ts[3] = ts[1]; /* the same task twice: awaited once */
    void *res[4];
    int rcs[4];
    double t0 = now_s();
    REQ_RC(cio_gather(ts, 4, res, rcs, 0));
    CHECK(now_s() - t0 < 0.03 + 1.0);
    CHECK_STR(res[0], "a");
    CHECK_STR(res[1], "b");
    CHECK_STR(res[2], "c");
    CHECK_STR(res[3], "b");
    for (int i = 0; i < 4; i++)
        CHECK_RC(rcs[i], 0);
    CHECK_RC(cio_gather(NULL, 0, NULL, NULL, 0), 0); /* empty: at once */
out:
    reap_tasks(ts, 4);
    return 0;
}

/* Many children (their bookkeeping is a block of its own, in huge pages):
 * every result in its place. */
static int ret_index(void *arg, void **result)
{
    *result = arg;
    return 0;
}

static int m_gather_many(void *arg, void **result)
{
    enum { N = 40000 };
    cio_task_t **ts = calloc(N, sizeof *ts);
    void **res = calloc(N, sizeof *res);
    REQ(ts && res);
    for (long i = 0; i < N; i++)
        REQ(ts[i] = cio_create_task(ret_index, (void *)i));
    REQ_RC(cio_gather(ts, N, res, NULL, 0));
    long wrong = 0;
    for (long i = 0; i < N; i++)
        wrong += res[i] != (void *)i;
    CHECK(wrong == 0);
out:
    if (ts)
        reap_tasks(ts, N);
    free(ts);
    free(res);
    return 0;
}

static void t_gather_many(void)
{
    CHECK_RC(cio_run(m_gather_many, NULL, NULL), 0);
}

static void t_gather_results_in_argument_order(void)
{
    SKIP_TIMING_UNDER_TSAN();
    CHECK_RC(cio_run(m_gather_order, NULL, NULL), 0);
    CHECK_ORDER("b c a");
}

static int m_gather_fail_fast(void *arg, void **result)
{
    struct job a = {0.01, "a", -EIO, 0}, b = {0.03, "b", 0, 0};
    cio_task_t *ts[2] = {spawn(&a), spawn(&b)};
    int rcs[2] = {0, 0};
    REQ(all_made(ts, 2));
    int rc = cio_gather(ts, 2, NULL, rcs, 0);
    CHECK_RC(rc, -EIO);
    REQ(rc == -EIO);
    log_event("gather-returned");
    CHECK_RC(rcs[0], -EIO);
    CHECK_RC(rcs[1], CIO_EINVALSTATE); /* still running: not cancelled */
    CHECK_RC(cio_await(ts[1], NULL), 0);
out:
    reap_tasks(ts, 2);
    return 0;
}

static void t_gather_first_error_does_not_cancel_siblings(void)
{
    CHECK_RC(cio_run(m_gather_fail_fast, NULL, NULL), 0);
    CHECK_ORDER("a gather-returned b");
}

static int m_gather_return_exc(void *arg, void **result)
{
    struct job a = {0.05, "a", -EIO, 0}, b = {1, "b", 0, 0}, c = {0.1, "c", 0, 0};
    cio_task_t *ts[3] = {spawn(&a), spawn(&b), spawn(&c)};
    cio_future_t *g = NULL;
    REQ(all_made(ts, 3));
    REQ_RC(cio_gather_start(ts, 3, CIO_RETURN_EXCEPTIONS, &g));
    cio_sleep(0.005);
    cio_task_cancel(ts[1], NULL); /* a child cancelled on its own */
    void *res[3] = {NULL, NULL, NULL};
    int rcs[3] = {0, 0, 0};
    CHECK_RC(cio_await(g, NULL), 0);
    CHECK_INT(cio_future_cancelled(g), 0);
    CHECK_RC(cio_gather_results(g, res, rcs), 0);
    CHECK_RC(rcs[0], -EIO);
    CHECK_RC(rcs[1], -ECANCELED);
    CHECK_RC(rcs[2], 0);
    CHECK_STR(res[2], "c");
out:
    reap_future(&g);
    reap_tasks(ts, 3);
    return 0;
}

static void t_gather_return_exceptions(void)
{
    SKIP_TIMING_UNDER_TSAN();
    CHECK_RC(cio_run(m_gather_return_exc, NULL, NULL), 0);
    CHECK_ORDER("b-cancelled a c");
}

/* A child cancelled on its own, without return_exceptions: the gather is
 * done with -ECANCELED as its error, not cancelled; siblings go on. */
static int m_gather_child_cancelled(void *arg, void **result)
{
    struct job a = {1, "a", 0, 0}, b = {0.02, "b", 0, 0};
    cio_task_t *ts[2] = {spawn(&a), spawn(&b)};
    cio_future_t *g = NULL;
    REQ(all_made(ts, 2));
    REQ_RC(cio_gather_start(ts, 2, 0, &g));
    cio_sleep(0.005);
    cio_task_cancel(ts[0], NULL);
    CHECK_RC(cio_await(g, NULL), -ECANCELED);
    CHECK_INT(cio_future_cancelled(g), 0);
    CHECK_INT(cio_future_done(ts[1]), 0);
    CHECK_RC(cio_await(ts[1], NULL), 0);
out:
    reap_future(&g);
    reap_tasks(ts, 2);
    return 0;
}

static void t_gather_child_cancelled_alone(void)
{
    CHECK_RC(cio_run(m_gather_child_cancelled, NULL, NULL), 0);
    CHECK_ORDER("a-cancelled b");
}

static int body_gather_xy(void *arg, void **result)
{
    struct job *js = arg;
    cio_call_t calls[2] = {{job_fn, &js[0]}, {job_fn, &js[1]}};
    int rc = cio_gather_calls(calls, 2, NULL, NULL, CIO_RETURN_EXCEPTIONS);
    log_event(rc == -ECANCELED ? "awaiter-cancelled" : "awaiter-done");
    return rc;
}

/* Cancelling the task awaiting a gather cancels every child (even with
 * return_exceptions) and the awaiter gets -ECANCELED. */
static int m_gather_cancel_awaiter(void *arg, void **result)
{
    struct job js[2] = {{1, "x", 0, 0}, {1, "y", 0, 0}};
    cio_task_t *t = cio_create_task(body_gather_xy, js);
    REQ(t);
    cio_sleep(0.01);
    CHECK_INT(cio_task_cancel(t, NULL), 1);
    CHECK_RC(cio_await(t, NULL), -ECANCELED);
out:
    reap_tasks(&t, 1);
    return 0;
}

static void t_gather_cancel_cancels_children(void)
{
    CHECK_RC(cio_run(m_gather_cancel_awaiter, NULL, NULL), 0);
    CHECK_ORDER("x-cancelled y-cancelled awaiter-cancelled");
}

/* When the gather completes, in loop iterations: a child's end is reported
 * to the gather through the ready queue (asyncio's _done_callback, queued
 * by call_soon), and the gather's completion wakes the awaiter through it
 * too, so a task yielding beside it sees two iterations pass.  The orders
 * are what python3 prints for the same program. */
static int ticks = 6;

static int ticker(void *arg, void **result)
{
    (void)arg;
    (void)result;
    for (int i = 0; i < ticks; i++) {
        char ev[16];
        snprintf(ev, sizeof ev, "t%d", i);
        log_event(ev);
        int rc = cio_sleep(0);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int logs_and_returns(void *arg, void **result)
{
    log_event(arg);
    *result = arg;
    return strcmp(arg, "bad") ? 0 : -EIO;
}

static int m_gather_iterations(void *arg, void **result)
{
    (void)result;
    int which = *(int *)arg;
    cio_loop_t *loop = NULL;
    cio_get_running_loop(&loop);
    cio_task_t *t = NULL, *c[2] = {NULL, NULL};
    cio_future_t *f = NULL;
    REQ(t = cio_create_task(ticker, NULL));
    if (which == 0) { /* a child that ends in its first step */
        REQ(c[0] = cio_create_task(logs_and_returns, "child"));
        CHECK_RC(cio_gather(c, 1, NULL, NULL, 0), 0);
    } else if (which == 1) { /* a future done before the gather */
        REQ_OK(cio_sleep(0));
        REQ_OK(cio_loop_create_future(loop, &f));
        REQ_OK(cio_future_set_result(f, NULL));
        CHECK_RC(cio_gather(&f, 1, NULL, NULL, 0), 0);
    } else { /* the first failure */
        REQ(c[0] = cio_create_task(logs_and_returns, "bad"));
        REQ(c[1] = cio_create_task(logs_and_returns, "child"));
        CHECK_RC(cio_gather(c, 2, NULL, NULL, 0), -EIO);
    }
    log_event(which == 2 ? "failed" : "gathered");
    CHECK_RC(cio_await(t, NULL), 0);
out:
    reap_tasks(c, 2);
    reap_tasks(&t, 1);
    if (f)
        cio_unref(f);
    return 0;
}

static void t_gather_completes_when_asyncio_does(void)
{
    static const char *want[3] = {"t0 child t1 t2 gathered t3 t4 t5", "t0 t1 t2 gathered t3 t4 t5",
                                  "t0 bad child t1 t2 failed t3 t4 t5"};
    for (int which = 0; which < 3; which++) {
        log_reset();
        CHECK_RC(cio_run(m_gather_iterations, &which, NULL), 0);
        CHECK_ORDER(want[which]);
    }
}

/* The other compositions, in loop iterations, beside the same ticker: what
 * python3 prints for the same programs (wait_for as 3.12's, a timeout scope
 * around an await: `async with timeout(t): return await aw`).  Each child's
 * end reaches wait, shield and as_completed through a queued done callback,
 * and the waiting task is woken through the queue after it. */
static cio_future_t *done_future(void)
{
    cio_loop_t *loop = NULL;
    cio_future_t *f = NULL;
    cio_get_running_loop(&loop);
    if (cio_loop_create_future(loop, &f) == 0 && cio_future_set_result(f, NULL) < 0) {
        cio_unref(f);
        f = NULL;
    }
    return f;
}

static int m_compose_iterations(void *arg, void **result)
{
    (void)result;
    int which = *(int *)arg;
    cio_task_t *t = NULL, *c[3] = {NULL, NULL, NULL};
    cio_as_completed_t *it = NULL;
    cio_taskgroup_t *tg = NULL;
    size_t nd = 0;
    char ev[16];
    REQ(t = cio_create_task(ticker, NULL));
    REQ_OK(cio_sleep(0));
    switch (which) {
    case 0:
        REQ(c[0] = cio_create_task(logs_and_returns, "child"));
        REQ_OK(cio_wait(c, 1, INFINITY, CIO_ALL_COMPLETED, NULL, NULL, NULL, NULL));
        log_event("wait");
        break;
    case 1:
    case 2:
        REQ(c[0] = cio_create_task(logs_and_returns, "bad"));
        REQ(c[1] = cio_create_task(logs_and_returns, "child"));
        REQ_OK(cio_wait(c, 2, INFINITY, which == 1 ? CIO_FIRST_COMPLETED : CIO_FIRST_EXCEPTION, NULL, &nd, NULL, NULL));
        snprintf(ev, sizeof ev, "%s%zu", which == 1 ? "first" : "exc", nd);
        log_event(ev);
        CHECK_RC(cio_future_exception(c[0]), -EIO);
        break;
    case 3:
        REQ(c[0] = done_future());
        REQ_OK(cio_wait(c, 1, INFINITY, CIO_ALL_COMPLETED, NULL, NULL, NULL, NULL));
        log_event("wait-done");
        break;
    case 4:
        REQ(c[0] = cio_create_task(logs_and_returns, "child"));
        REQ_OK(cio_shield(c[0], NULL));
        log_event("shield");
        break;
    case 5:
        REQ(c[0] = cio_create_task(logs_and_returns, "bad"));
        CHECK_RC(cio_shield(c[0], NULL), -EIO);
        log_event("shield-err");
        break;
    case 6: { /* a done future, and a task given twice: two to hand out */
        REQ(c[1] = done_future());
        REQ(c[0] = cio_create_task(logs_and_returns, "child"));
        cio_future_t *in[3] = {c[0], c[1], c[0]};
        REQ_OK(cio_as_completed_new(in, 3, INFINITY, &it));
        cio_future_t *f;
        int got = 0, rc;
        while ((rc = cio_as_completed_next(it, &f)) == 1) {
            REQ_OK(cio_await(f, NULL));
            log_event("got");
            got++;
        }
        CHECK_RC(rc, 0);
        CHECK_INT(got, 2);
        break;
    }
    case 7:
        REQ(tg = cio_taskgroup_new());
        REQ(cio_taskgroup_create_task(tg, logs_and_returns, "child"));
        REQ_OK(cio_taskgroup_wait(tg));
        log_event("group");
        break;
    case 8:
        REQ(c[0] = cio_create_task(logs_and_returns, "child"));
        REQ_OK(cio_wait_for(c[0], 10, NULL));
        log_event("wait_for");
        break;
    case 9:
        REQ_OK(cio_wait_for_call(logs_and_returns, "child", 10, NULL));
        log_event("wait_for_call");
        break;
    }
    CHECK_RC(cio_await(t, NULL), 0);
out:
    if (it)
        cio_as_completed_free(it);
    if (tg) {
        cio_taskgroup_exit(tg, -ECANCELED);
        cio_taskgroup_free(tg);
    }
    reap_tasks(c, 3);
    reap_tasks(&t, 1);
    return 0;
}

static void t_compositions_complete_when_asyncio_does(void)
{
    static const char *want[] = {
        "t0 t1 child t2 t3 wait t4 t5",         "t0 t1 bad child t2 t3 first2 t4 t5",
        "t0 t1 bad child t2 t3 exc2 t4 t5",     "t0 t1 t2 wait-done t3 t4 t5",
        "t0 t1 child t2 t3 shield t4 t5",       "t0 t1 bad t2 t3 shield-err t4 t5",
        "t0 t1 child t2 got got t3 t4 t5",      "t0 t1 child t2 t3 group t4 t5",
        "t0 t1 child t2 wait_for t3 t4 t5",     "t0 child wait_for_call t1 t2 t3 t4 t5",
    };
    for (int which = 0; which < (int)(sizeof want / sizeof *want); which++) {
        log_reset();
        CHECK_RC(cio_run(m_compose_iterations, &which, NULL), 0);
        CHECK_ORDER(want[which]);
    }
}

/* Cancellation travelling down, in loop iterations beside the ticker, as
 * python3 prints for the same programs: a task awaiting a gather, a task,
 * a wait or a shield is cancelled; a TaskGroup child fails while the body
 * sleeps. */
static int sleeper_logs(void *arg, void **result)
{
    (void)result;
    int rc = cio_sleep(10);
    if (rc == -ECANCELED && arg) { /* NULL: a sleeper left alone, reaped quietly */
        char ev[16];
        snprintf(ev, sizeof ev, "%s-c", (const char *)arg);
        log_event(ev);
    }
    return rc;
}

static int fails_after_a_step(void *arg, void **result)
{
    (void)arg;
    (void)result;
    int rc = cio_sleep(0);
    log_event("fail");
    return rc < 0 ? rc : -EIO;
}

static cio_task_t *shielded, *left_alone;

static int awaits_in_way(void *arg, void **result)
{
    (void)result;
    int which = *(int *)arg, rc = 0;
    cio_task_t *c[2] = {NULL, NULL};
    if (which == 0) {
        c[0] = cio_create_task(sleeper_logs, "a");
        c[1] = cio_create_task(sleeper_logs, "b");
        rc = c[0] && c[1] ? cio_gather(c, 2, NULL, NULL, 0) : -ENOMEM;
    } else if (which == 1) {
        c[0] = cio_create_task(sleeper_logs, "a");
        rc = c[0] ? cio_await(c[0], NULL) : -ENOMEM;
    } else if (which == 2) {
        c[0] = cio_create_task(sleeper_logs, NULL);
        rc = c[0] ? cio_wait(c, 1, INFINITY, CIO_ALL_COMPLETED, NULL, NULL, NULL, NULL) : -ENOMEM;
    } else {
        rc = cio_shield(shielded, NULL);
    }
    if (rc == -ECANCELED)
        log_event("inner-c");
    if (which == 2) { /* wait cancels nothing: it sleeps on, reaped at the end */
        left_alone = c[0];
        c[0] = NULL;
    }
    for (int i = 0; i < 2; i++)
        if (c[i])
            cio_unref(c[i]);
    return rc;
}

static int m_cancel_orders(void *arg, void **result)
{
    (void)result;
    int which = *(int *)arg;
    cio_task_t *t = NULL, *x = NULL;
    cio_taskgroup_t *tg = NULL;
    REQ(t = cio_create_task(ticker, NULL));
    REQ_OK(cio_sleep(0));
    if (which == 4) {
        REQ(tg = cio_taskgroup_new());
        REQ(cio_taskgroup_create_task(tg, sleeper_logs, "a"));
        REQ(cio_taskgroup_create_task(tg, fails_after_a_step, NULL));
        int rc = sleeper_logs("body", NULL);
        rc = cio_taskgroup_exit(tg, rc);
        CHECK_RC(rc, CIO_ETASKGROUP);
        if (rc == CIO_ETASKGROUP)
            log_event("tg");
    } else {
        if (which == 3)
            REQ(shielded = cio_create_task(sleeper_logs, "s"));
        REQ(x = cio_create_task(awaits_in_way, arg));
        REQ_OK(cio_sleep(0));
        REQ_OK(cio_sleep(0));
        CHECK_INT(cio_task_cancel(x, NULL), 1);
        log_event("cancel");
        CHECK_RC(cio_await(x, NULL), -ECANCELED);
        log_event("outer");
        if (which == 3) {
            CHECK_INT(cio_future_done(shielded), 0); /* the shield kept it running */
            cio_task_cancel(shielded, NULL);
            CHECK_RC(cio_await(shielded, NULL), -ECANCELED);
        }
    }
    CHECK_RC(cio_await(t, NULL), 0);
out:
    if (tg) {
        cio_taskgroup_exit(tg, -ECANCELED);
        cio_taskgroup_free(tg);
    }
    if (which == 3 && shielded) {
        reap_tasks(&shielded, 1);
        shielded = NULL;
    }
    if (left_alone) {
        CHECK_INT(cio_future_done(left_alone), 0);
        reap_tasks(&left_alone, 1);
        left_alone = NULL;
    }
    reap_tasks(&x, 1);
    reap_tasks(&t, 1);
    return 0;
}

static void t_cancel_orders_as_asyncio(void)
{
    static const char *want[] = {
        "t0 t1 t2 cancel t3 a-c b-c t4 t5 inner-c t6 outer t7 t8 t9",
        "t0 t1 t2 cancel t3 a-c t4 inner-c t5 outer t6 t7 t8 t9",
        "t0 t1 t2 cancel t3 inner-c t4 outer t5 t6 t7 t8 t9",
        "t0 t1 t2 cancel t3 inner-c t4 outer t5 s-c t6 t7 t8 t9",
        "t0 t1 t2 fail t3 t4 a-c body-c t5 t6 tg t7 t8 t9",
    };
    for (int which = 0; which < (int)(sizeof want / sizeof *want); which++) {
        log_reset();
        ticks = 10;
        CHECK_RC(cio_run(m_cancel_orders, &which, NULL), 0);
        CHECK_ORDER(want[which]);
    }
    ticks = 6;
}

/* Timers due in the same iteration as a call_later handle that queues a
 * call_soon: a sleep, wait's and as_completed's timeouts, a timeout scope
 * and wait_for resume their task in the next iteration, as asyncio's timer
 * callbacks complete a future that then wakes the task.  The strings are
 * what python3 prints for the same programs (wait_for as 3.12's, a timeout
 * scope).  The main task blocks the thread past both deadlines, so both
 * timers are due in one timer phase, in deadline order. */
static cio_loop_t *tw_loop;
static int tw_which;

static int tw_soon(void *arg)
{
    (void)arg;
    log_event("soon");
    return 0;
}

static int tw_cb(void *arg)
{
    (void)arg;
    log_event("cb");
    return cio_call_soon(tw_loop, tw_soon, NULL, NULL);
}

static int tw_sleep10(void *arg, void **result)
{
    (void)arg, (void)result;
    return cio_sleep(10);
}

static int tw_body(void *arg, void **result)
{
    (void)result;
    cio_task_t *never = arg;
    cio_as_completed_t *it = NULL;
    cio_timeout_t to;
    cio_future_t *f;
    size_t np = 0;
    int rc = 0;
    switch (tw_which / 2) {
    case 0:
        if ((rc = cio_sleep(0.02)) == 0)
            log_event("slept");
        break;
    case 1:
        if ((rc = cio_wait(&never, 1, 0.02, CIO_ALL_COMPLETED, NULL, NULL, NULL, &np)) == 0 && np == 1)
            log_event("waited1");
        break;
    case 2:
        if ((rc = cio_timeout_enter(&to, 0.02)) < 0)
            break;
        if ((rc = cio_timeout_exit(&to, cio_sleep(10))) == -ETIMEDOUT)
            log_event("timedout");
        break;
    case 3:
        if ((rc = cio_as_completed_new(&never, 1, 0.02, &it)) < 0)
            break;
        if ((rc = cio_as_completed_next(it, &f)) == -ETIMEDOUT)
            log_event("asc-timeout");
        cio_as_completed_free(it);
        break;
    case 4:
        if ((rc = cio_wait_for_call(tw_sleep10, NULL, 0.02, NULL)) == -ETIMEDOUT)
            log_event("wf-timeout");
        break;
    }
    return rc == -ETIMEDOUT ? 0 : rc;
}

static int m_timer_wakes(void *arg, void **result)
{
    (void)arg, (void)result;
    cio_task_t *never = NULL, *t = NULL;
    cio_get_running_loop(&tw_loop);
    int cb_first = tw_which % 2 == 0;
    REQ(never = cio_create_task(tw_sleep10, NULL));
    if (cb_first)
        REQ_OK(cio_call_later(tw_loop, 0.01, tw_cb, NULL, NULL));
    REQ(t = cio_create_task(tw_body, never));
    REQ_OK(cio_sleep(0)); /* the body's timer is now at +0.02 */
    if (!cb_first)
        REQ_OK(cio_call_later(tw_loop, 0.03, tw_cb, NULL, NULL));
    usleep(50000); /* both overdue at the next timer phase */
    REQ_OK(cio_sleep(0.05));
    CHECK_RC(cio_await(t, NULL), 0);
out:
    reap_tasks(&t, 1);
    reap_tasks(&never, 1);
    return 0;
}

static void t_timers_wake_when_asyncio_does(void)
{
    static const char *want[] = {
        "cb soon slept",       "cb slept soon",       "cb soon waited1",    "cb waited1 soon",
        "cb soon timedout",    "cb timedout soon",    "cb soon asc-timeout", "cb asc-timeout soon",
        "cb soon wf-timeout",  "cb wf-timeout soon",
    };
    for (tw_which = 0; tw_which < (int)(sizeof want / sizeof *want); tw_which++) {
        log_reset();
        CHECK_RC(cio_run(m_timer_wakes, NULL, NULL), 0);
        CHECK_ORDER(want[tw_which]);
    }
}

/* Cancelling the gather future itself; twice in a row. */
static int m_gather_future_cancel(void *arg, void **result)
{
    struct job a = {1, "p", 0, 0}, b = {1, "q", 0, 1 /* swallows */};
    cio_task_t *ts[2] = {spawn(&a), spawn(&b)};
    cio_future_t *g = NULL;
    REQ(all_made(ts, 2));
    REQ_RC(cio_gather_start(ts, 2, CIO_RETURN_EXCEPTIONS, &g));
    cio_sleep(0.005);
    CHECK_INT(cio_future_cancel(g, NULL), 1);
    CHECK_INT(cio_future_cancel(g, NULL), 1);
    CHECK_RC(cio_await(g, NULL), -ECANCELED); /* even though q swallowed */
    CHECK_INT(cio_future_cancel(g, NULL), 0); /* done */
    CHECK_INT(cio_task_cancelling(ts[0]), 2);
out:
    reap_future(&g);
    reap_tasks(ts, 2);
    return 0;
}

static void t_gather_future_cancel(void)
{
    CHECK_RC(cio_run(m_gather_future_cancel, NULL, NULL), 0);
    CHECK_ORDER("p-cancelled q-cancelled");
}

/* The gather keeps each outcome when its child finishes and lets the child
 * go, so children whose callers dropped them early are freed on time; every
 * outcome stays readable, a repeated child (done or pending) is watched
 * once, and a cancel of the gather reaches only the unfinished ones.  ASan
 * makes any read of a freed child a failure. */
static int m_gather_outcomes_kept(void *arg, void **result)
{
    (void)arg;
    (void)result;
    cio_loop_t *loop = NULL;
    cio_get_running_loop(&loop);
    cio_future_t *f[5] = {0}, *g = NULL, *h = NULL;
    for (int i = 0; i < 5; i++)
        REQ_OK(cio_loop_create_future(loop, &f[i]));
    REQ_OK(cio_future_set_result(f[3], "done-before"));
    /* f0 twice, f3 (done) twice: five distinct watches would be wrong. */
    cio_future_t *in[7] = {f[0], f[1], f[0], f[3], f[3], f[2], f[4]};
    REQ_OK(cio_gather_start(in, 7, CIO_RETURN_EXCEPTIONS, &g));
    cio_future_t *f1 = f[1];
    cio_unref(f[1]); /* the gather's reference is f1's last */
    f[1] = NULL;
    REQ_OK(cio_future_set_result(f[0], "zero"));
    REQ_OK(cio_future_set_exception(f[2], -EIO, "two"));
    REQ_OK(cio_future_set_result(f1, "one"));
    cio_unref(f[0]); /* finished: the gather no longer holds it */
    f[0] = NULL;
    CHECK_INT(cio_future_done(g), 0); /* f4 still pending */
    void *res[7];
    int rcs[7];
    REQ_OK(cio_gather_results(g, res, rcs));
    CHECK_RC(rcs[6], CIO_EINVALSTATE);
    REQ_OK(cio_future_set_result(f[4], "four"));
    REQ_OK(cio_await(g, NULL));
    REQ_OK(cio_gather_results(g, res, rcs));
    static const char *want[7] = {"zero", "one", "zero", "done-before", "done-before", NULL, "four"};
    for (int i = 0; i < 7; i++) {
        CHECK_RC(rcs[i], i == 5 ? -EIO : 0);
        if (want[i])
            CHECK_STR(res[i], want[i]);
        else
            CHECK(res[i] == NULL);
    }
    cio_unref(g);
    g = NULL;

    /* A cancel after some children finished and were freed. */
    cio_future_t *k[3] = {0};
    for (int i = 0; i < 3; i++)
        REQ_OK(cio_loop_create_future(loop, &k[i]));
    REQ_OK(cio_gather_start(k, 3, CIO_RETURN_EXCEPTIONS, &h));
    REQ_OK(cio_future_set_result(k[1], "k1"));
    cio_unref(k[1]);
    k[1] = NULL;
    CHECK_INT(cio_future_cancel(h, "stop"), 1);
    CHECK_INT(cio_future_cancelled(k[0]), 1);
    CHECK_INT(cio_future_cancelled(k[2]), 1);
    /* Cancelled, even with CIO_RETURN_EXCEPTIONS, with the message: each
     * child's cancel completed it at once, the last inside the cancel. */
    CHECK_RC(cio_await(h, NULL), -ECANCELED);
    CHECK_STR(cio_future_message(h), "stop");
    REQ_OK(cio_gather_results(h, res, rcs));
    CHECK_RC(rcs[0], -ECANCELED);
    CHECK_RC(rcs[1], 0);
    CHECK_STR(res[1], "k1");
    CHECK_RC(rcs[2], -ECANCELED);
out:
    for (int i = 0; i < 5; i++)
        if (f[i])
            cio_unref(f[i]);
    for (int i = 0; i < 3; i++)
        if (k[i])
            cio_unref(k[i]);
    /* A gather keeps itself and its children until they finish: a case cut
     * short cancels what is left. */
    if (g) {
        cio_future_cancel(g, NULL);
        cio_unref(g);
    }
    if (h) {
        cio_future_cancel(h, NULL);
        cio_unref(h);
    }
    return 0;
}

static void t_gather_outcomes_kept(void)
{
    CHECK_RC(cio_run(m_gather_outcomes_kept, NULL, NULL), 0);
}

/* --------------------------------------------------------------- wait */

static int m_wait(void *arg, void **result)
{
    struct job a = {0.01, "a", 0, 0}, b = {0.03, "b", -EIO, 0}, c = {0.2, "c", 0, 0};
    cio_task_t *ts[3] = {spawn(&a), spawn(&b), spawn(&c)};
    cio_future_t *done[3], *pending[3];
    size_t nd, np;
    REQ(all_made(ts, 3));
    REQ_RC(cio_wait(ts, 3, INFINITY, CIO_FIRST_COMPLETED, done, &nd, pending, &np));
    CHECK_INT(nd, 1);
    CHECK_INT(np, 2);
    CHECK(done[0] == ts[0]);
    REQ_RC(cio_wait(ts, 3, INFINITY, CIO_FIRST_EXCEPTION, done, &nd, pending, &np));
    CHECK_INT(nd, 2);
    CHECK(pending[0] == ts[2]);
    /* A timeout returns what is done, cancels nothing, raises nothing. */
    double t0 = now_s();
    REQ_RC(cio_wait(ts, 3, 0.02, CIO_ALL_COMPLETED, done, &nd, pending, &np));
    CHECK(now_s() - t0 >= 0.019);
    CHECK_INT(np, 1);
    CHECK_INT(cio_future_cancelled(ts[2]), 0);
    REQ_RC(cio_wait(ts, 3, INFINITY, CIO_ALL_COMPLETED, NULL, &nd, NULL, &np));
    CHECK_INT(nd, 3);
    CHECK_INT(np, 0);
    CHECK_RC(cio_wait(ts, 0, -1, CIO_ALL_COMPLETED, NULL, NULL, NULL, NULL), -EINVAL);
    CHECK_RC(cio_wait(ts, 3, -1, 7, NULL, NULL, NULL, NULL), -EINVAL);
    CHECK_RC(cio_wait(ts, 3, NAN, CIO_ALL_COMPLETED, NULL, NULL, NULL, NULL), -EINVAL);
    CHECK_RC(cio_future_exception(ts[1]), -EIO);
out:
    reap_tasks(ts, 3);
    return 0;
}

static void t_wait_modes_and_timeout(void)
{
    CHECK_RC(cio_run(m_wait, NULL, NULL), 0);
    CHECK_ORDER("a b c");
}

static int body_wait_forever(void *arg, void **result)
{
    cio_future_t *f = arg;
    int rc = cio_wait(&f, 1, INFINITY, CIO_ALL_COMPLETED, NULL, NULL, NULL, NULL);
    log_event(rc == -ECANCELED ? "wait-cancelled" : "wait-returned");
    return rc;
}

static int m_wait_cancelled(void *arg, void **result)
{
    cio_future_t *f = cio_create_future();
    cio_task_t *t = NULL;
    REQ(f);
    t = cio_create_task(body_wait_forever, f);
    REQ(t);
    cio_sleep(0.005);
    cio_task_cancel(t, NULL);
    CHECK_RC(cio_await(t, NULL), -ECANCELED);
    CHECK_INT(cio_future_done(f), 0); /* wait cancels nothing */
    cio_future_set_result(f, NULL);   /* no registration is left behind */
    cio_sleep(0);
out:
    reap_tasks(&t, 1);
    reap_future(&f);
    return 0;
}

static void t_wait_cancelled_cancels_nothing(void)
{
    CHECK_RC(cio_run(m_wait_cancelled, NULL, NULL), 0);
    CHECK_ORDER("wait-cancelled");
}

/* ------------------------------------------------------------ wait_for */

static int m_wait_for(void *arg, void **result)
{
    struct job fast = {0.01, "fast", 0, 0}, slow = {1, "slow", 0, 0}, sw = {1, "sw", 0, 1};
    cio_task_t *t = spawn(&fast);
    void *v = NULL;
    REQ(t);
    CHECK_RC(cio_wait_for(t, 1.0, &v), 0);
    CHECK_STR(v, "fast");
    reap_tasks(&t, 1);

    t = spawn(&slow);
    REQ(t);
    double t0 = now_s();
    CHECK_RC(cio_wait_for(t, 0.02, &v), -ETIMEDOUT);
    CHECK(now_s() - t0 >= 0.019);
    CHECK_INT(cio_future_cancelled(t), 1); /* really finished before returning */
    CHECK_INT(cio_task_cancelling(cio_current_task()), 0);
    reap_tasks(&t, 1);

    t = spawn(&sw); /* swallows the cancel and produces a value */
    REQ(t);
    CHECK_RC(cio_wait_for(t, 0.02, &v), 0);
    CHECK_STR(v, "sw");
    reap_tasks(&t, 1);

    /* timeout <= 0: a task not yet started never starts. */
    struct job never = {0, "never", 0, 0};
    t = spawn(&never);
    REQ(t);
    CHECK_RC(cio_wait_for(t, 0, &v), -ETIMEDOUT);
    CHECK_INT(cio_future_cancelled(t), 1);
    reap_tasks(&t, 1);
    CHECK_RC(cio_wait_for_call(job_fn, &never, -1, &v), -ETIMEDOUT);
    /* inline call form */
    CHECK_RC(cio_wait_for_call(job_fn, &fast, 1.0, &v), 0);
    CHECK_STR(v, "fast");
    CHECK_RC(cio_wait_for_call(job_fn, &slow, 0.01, &v), -ETIMEDOUT);
    CHECK_RC(cio_wait_for(NULL, 1, NULL), -EINVAL);
out:
    reap_tasks(&t, 1);
    return 0;
}

static void t_wait_for(void)
{
    CHECK_RC(cio_run(m_wait_for, NULL, NULL), 0);
    CHECK_ORDER("fast slow-cancelled sw-cancelled fast slow-cancelled");
}

static int body_wait_for_inner(void *arg, void **result)
{
    cio_task_t *inner = arg;
    return cio_wait_for(inner, 10, result);
}

static int m_wait_for_outer_cancel(void *arg, void **result)
{
    struct job slow = {1, "inner", 0, 0};
    cio_task_t *ts[2] = {NULL, spawn(&slow)}; /* outer, inner: reaped in that order */
    cio_task_t *inner = ts[1];
    REQ(inner);
    cio_task_t *outer = ts[0] = cio_create_task(body_wait_for_inner, inner);
    REQ(outer);
    cio_sleep(0.005);
    cio_task_cancel(outer, NULL);
    CHECK_RC(cio_await(outer, NULL), -ECANCELED); /* not turned into a timeout */
    CHECK_INT(cio_future_cancelled(inner), 1);
out:
    reap_tasks(ts, 2);
    return 0;
}

static void t_wait_for_cancel_outer_cancels_inner(void)
{
    CHECK_RC(cio_run(m_wait_for_outer_cancel, NULL, NULL), 0);
    CHECK_ORDER("inner-cancelled");
}

/* -------------------------------------------------------- as_completed */

static int m_as_completed(void *arg, void **result)
{
    struct job a = {0.03, "a", 0, 0}, b = {0.01, "b", 0, 0}, c = {1, "c", 0, 0}, d = {0.02, "d", 0, 0};
    cio_task_t *ts[4] = {spawn(&a), spawn(&b), spawn(&c), spawn(&d)};
    cio_as_completed_t *it = NULL;
    REQ(all_made(ts, 4));
    REQ_RC(cio_as_completed_new(ts, 4, 0.1, &it));
    cio_future_t *f;
    const char *expect[] = {"b", "d", "a"};
    for (int i = 0; i < 3; i++) {
        f = NULL;
        CHECK_RC(cio_as_completed_next(it, &f), 1);
        void *v = NULL;
        cio_future_result(f, &v);
        CHECK_STR(v, expect[i]);
    }
    CHECK_RC(cio_as_completed_next(it, &f), -ETIMEDOUT); /* c is late */
    CHECK_RC(cio_as_completed_next(it, &f), 0);          /* nothing left */
    CHECK_INT(cio_future_cancelled(ts[2]), 0);           /* nothing cancelled */
    CHECK_RC(cio_as_completed_free(it), 0);
    it = NULL;
    cio_task_cancel(ts[2], NULL);
    cio_await(ts[2], NULL);

    /* A future that ends after the timeout is not handed back: asyncio's
     * iterator stops watching at the timeout. */
    cio_loop_t *loop = NULL;
    cio_get_running_loop(&loop);
    cio_future_t *late = NULL;
    REQ_OK(cio_loop_create_future(loop, &late));
    if (cio_as_completed_new(&late, 1, 0.01, &it) < 0) {
        cio_unref(late);
        REQ(0);
    }
    cio_sleep(0.05);
    cio_future_set_result(late, NULL);
    cio_sleep(0);
    CHECK_RC(cio_as_completed_next(it, &f), -ETIMEDOUT);
    CHECK_RC(cio_as_completed_next(it, &f), 0);
    cio_unref(late);
out:
    if (it)
        cio_as_completed_free(it);
    reap_tasks(ts, 4);
    return 0;
}

static void t_as_completed(void)
{
    SKIP_TIMING_UNDER_TSAN();
    CHECK_RC(cio_run(m_as_completed, NULL, NULL), 0);
    CHECK_ORDER("b d a c-cancelled");
}

/* ------------------------------------------------------------- shield */

static int body_shielded(void *arg, void **result)
{
    int rc = cio_shield(arg, result);
    log_event(rc == -ECANCELED ? "awaiter-cancelled" : "awaiter-done");
    return rc;
}

static int m_shield(void *arg, void **result)
{
    struct job in = {0.02, "inner", 0, 0}, in2 = {1, "inner2", 0, 0};
    cio_task_t *ts[2] = {NULL, spawn(&in)}; /* outer, inner: reaped in that order */
    REQ(ts[1]);
    REQ(ts[0] = cio_create_task(body_shielded, ts[1]));
    cio_task_t *outer = ts[0], *inner = ts[1];
    cio_sleep(0.005);
    cio_task_cancel(outer, NULL);
    CHECK_RC(cio_await(outer, NULL), -ECANCELED);
    void *v = NULL;
    CHECK_RC(cio_await(inner, &v), 0); /* the inner went on */
    CHECK_STR(v, "inner");
    reap_tasks(&ts[0], 1);
    /* done inner: returned directly */
    CHECK_RC(cio_shield(inner, &v), 0);
    CHECK_STR(v, "inner");
    reap_tasks(&ts[1], 1);
    /* the inner itself cancelled: the shield reports cancelled */
    REQ(ts[1] = spawn(&in2));
    REQ(ts[0] = cio_create_task(body_shielded, ts[1]));
    outer = ts[0];
    inner = ts[1];
    cio_sleep(0.005);
    cio_task_cancel(inner, NULL);
    CHECK_RC(cio_await(outer, NULL), -ECANCELED);
out:
    reap_tasks(ts, 2);
    return 0;
}

static void t_shield(void)
{
    CHECK_RC(cio_run(m_shield, NULL, NULL), 0);
    CHECK_ORDER("awaiter-cancelled inner inner2-cancelled awaiter-cancelled");
}

/* asyncio.shield as an object: held, cancelled alone, gathered, waited. */
static int m_shield_future(void *arg, void **result)
{
    cio_loop_t *loop = cio_future_get_loop(cio_current_task());
    cio_future_t *inner = NULL, *outer = NULL, *i2 = NULL, *o2 = NULL, *o3 = NULL, *g = NULL, *same = NULL;
    REQ_RC(cio_loop_create_future(loop, &inner));
    REQ_RC(cio_shield_future(inner, &outer));
    CHECK(outer != inner);
    CHECK_INT(cio_future_done(outer), 0);
    CHECK_INT(cio_future_cancel(outer, NULL), 1);
    CHECK_INT(cio_future_cancelled(outer), 1);
    CHECK_INT(cio_future_done(inner), 0); /* the inner goes on */
    REQ_RC(cio_future_set_result(inner, "five"));
    cio_sleep(0);
    CHECK_INT(cio_future_cancelled(outer), 1);
    /* An error with its message, to two shields, through gather. */
    REQ_RC(cio_loop_create_future(loop, &i2));
    REQ_RC(cio_shield_future(i2, &o2));
    REQ_RC(cio_shield_future(i2, &o3));
    cio_future_t *both[2] = {o2, o3};
    REQ_RC(cio_gather_start(both, 2, CIO_RETURN_EXCEPTIONS, &g));
    REQ_RC(cio_future_set_exception(i2, -EPROTO, "bad"));
    int rcs[2] = {0, 0};
    CHECK_RC(cio_await(g, NULL), 0);
    CHECK_RC(cio_gather_results(g, NULL, rcs), 0);
    CHECK_RC(rcs[0], -EPROTO);
    CHECK_RC(rcs[1], -EPROTO);
    CHECK_STR(cio_future_message(o2) ? cio_future_message(o2) : "(none)", "bad");
    /* A done inner is given back itself. */
    REQ_RC(cio_shield_future(inner, &same));
    CHECK(same == inner);
    cio_future_t *junk = NULL;
    CHECK_RC(cio_shield_future(NULL, &junk), -EINVAL);
    CHECK_RC(cio_shield_future(inner, NULL), -EINVAL);
out:
    /* After a failed setup: end the inners, so that their shields' links
     * (which hold the outers) are released. */
    if (inner)
        cio_future_cancel(inner, NULL);
    if (i2)
        cio_future_cancel(i2, NULL);
    cio_sleep(0);
    cio_unref(inner);
    cio_unref(outer);
    cio_unref(i2);
    cio_unref(o2);
    cio_unref(o3);
    cio_unref(g);
    cio_unref(same);
    return 0;
}

static int m_shield_future_wait(void *arg, void **result)
{
    struct job in = {0.01, "inner", 0, 0};
    cio_task_t *t = spawn(&in);
    cio_future_t *o = NULL;
    size_t nd = 0;
    REQ(t);
    REQ_RC(cio_shield_future(t, &o));
    REQ_RC(cio_wait(&o, 1, INFINITY, CIO_ALL_COMPLETED, NULL, &nd, NULL, NULL));
    CHECK_INT(nd, 1);
    void *v = NULL;
    CHECK_RC(cio_future_result(o, &v), 0);
    CHECK_STR(v ? (const char *)v : "(null)", "inner");
out:
    cio_unref(o);
    reap_tasks(&t, 1);
    return 0;
}

static void t_shield_future(void)
{
    CHECK_RC(cio_run(m_shield_future_wait, NULL, NULL), 0);
    CHECK_RC(cio_run(m_shield_future, NULL, NULL), 0);
}

/* ------------------------------------------------------------- timeout */

static int m_timeout_basic(void *arg, void **result)
{
    cio_timeout_t to;
    memset(&to, 0, sizeof to);
    double t0 = now_s(); /* before the deadline is set: it is 20 ms from here at the earliest */
    REQ_RC(cio_timeout_enter(&to, 0.02));
    CHECK(cio_timeout_when(&to) > cio_loop_time(cio_future_get_loop(cio_current_task())));
    int rc = cio_sleep(10);
    CHECK_RC(rc, -ECANCELED);
    CHECK_RC(cio_timeout_exit(&to, rc), -ETIMEDOUT);
    CHECK(now_s() - t0 >= 0.019);
    CHECK_INT(cio_timeout_expired(&to), 1);
    CHECK_INT(cio_task_cancelling(cio_current_task()), 0);
    CHECK_RC(cio_timeout_reschedule(&to, 0), CIO_EINVALSTATE); /* after expiry */
    CHECK_RC(cio_timeout_exit(&to, 0), CIO_EINVALSTATE);       /* exit twice */

    /* No expiry: the outcome passes through. */
    REQ_RC(cio_timeout_enter(&to, 1));
    CHECK_RC(cio_timeout_enter(&to, 1), CIO_EINVALSTATE); /* re-enter */
    CHECK_RC(cio_sleep(0.001), 0);
    CHECK_RC(cio_timeout_exit(&to, 7), 7);
    CHECK_INT(cio_timeout_expired(&to), 0);

    /* Reschedule, disable. */
    REQ_RC(cio_timeout_enter(&to, INFINITY));
    CHECK(isinf(cio_timeout_when(&to)));
    double now = cio_loop_time(cio_future_get_loop(cio_current_task()));
    REQ_RC(cio_timeout_reschedule(&to, now + 0.01));
    rc = cio_sleep(1);
    CHECK_RC(cio_timeout_exit(&to, rc), -ETIMEDOUT);

    /* A deadline already past fires at the next suspension. */
    REQ_RC(cio_timeout_enter(&to, -1));
    log_event("no-suspend-yet");
    rc = cio_sleep(0);
    CHECK_RC(cio_timeout_exit(&to, rc), -ETIMEDOUT);
    /* A block that never suspends is never interrupted. */
    CHECK_RC(cio_timeout_enter(&to, -1), 0);
    CHECK_RC(cio_timeout_exit(&to, 0), 0);
    CHECK_RC(cio_sleep(0.001), 0); /* and nothing fires later */
    return 0;
out:
    cio_timeout_exit(&to, 0); /* if entered */
    return 0;
}

static void t_timeout_scope(void)
{
    cio_timeout_t to;
    memset(&to, 0, sizeof to);
    CHECK_RC(cio_timeout_enter(&to, 1), CIO_ENOTASK);
    CHECK_RC(cio_timeout_exit(&to, 0), CIO_EINVALSTATE); /* exit without enter */
    CHECK(isnan(cio_timeout_when(&to)));
    CHECK_RC(cio_run(m_timeout_basic, NULL, NULL), 0);
    CHECK_ORDER("no-suspend-yet");
}

/* A negative timeout is already expired, as asyncio's (not "no limit"):
 * what is done counts, the rest is pending / times out. */
static int m_negative_timeouts(void *arg, void **result)
{
    cio_future_t *a = cio_create_future(), *b = cio_create_future();
    cio_as_completed_t *it = NULL;
    REQ(a && b);
    REQ_RC(cio_future_set_result(a, "a"));
    cio_future_t *fs[2] = {a, b}, *done[2], *pending[2], *f = NULL;
    size_t nd = 9, np = 9;
    REQ_RC(cio_wait(fs, 2, -1, CIO_ALL_COMPLETED, done, &nd, pending, &np));
    CHECK_INT(nd, 1);
    CHECK_INT(np, 1);
    CHECK(done[0] == a && pending[0] == b);
    REQ_RC(cio_wait(fs, 2, -INFINITY, CIO_ALL_COMPLETED, done, &nd, pending, &np));
    CHECK_INT(np, 1);
    REQ_RC(cio_as_completed_new(fs, 2, -1, &it));
    CHECK_RC(cio_as_completed_next(it, &f), 1);
    CHECK(f == a);
    CHECK_RC(cio_as_completed_next(it, &f), -ETIMEDOUT);
    CHECK_RC(cio_as_completed_next(it, &f), 0);
    CHECK_INT(cio_future_done(b), 0); /* nothing cancelled */
out:
    if (it)
        cio_as_completed_free(it);
    if (b)
        cio_future_cancel(b, NULL);
    cio_unref(a);
    cio_unref(b);
    return 0;
}

static void t_negative_timeout_is_expired(void)
{
    void *r = NULL;
    CHECK_RC(run_limited(m_negative_timeouts, NULL, &r), 0);
}

/* when() is the deadline as given, to the bit (enter: loop time + delay). */
static int m_timeout_when_exact(void *arg, void **result)
{
    cio_timeout_t to;
    cio_loop_t *loop = cio_future_get_loop(cio_current_task());
    double when = cio_loop_time(loop) + 0.123456789123;
    REQ_RC(cio_timeout_enter_at(&to, when));
    CHECK(cio_timeout_when(&to) == when);
    when += 1.0000000001;
    CHECK_RC(cio_timeout_reschedule(&to, when), 0);
    CHECK(cio_timeout_when(&to) == when);
    CHECK_RC(cio_timeout_exit(&to, 0), 0);
    double before = cio_loop_time(loop);
    REQ_RC(cio_timeout_enter(&to, 0.25));
    CHECK(cio_timeout_when(&to) >= before + 0.25 && cio_timeout_when(&to) <= cio_loop_time(loop) + 0.25);
    CHECK_RC(cio_timeout_exit(&to, 0), 0);
    return 0;
out:
    return 0;
}

static void t_timeout_when_exact(void)
{
    CHECK_RC(cio_run(m_timeout_when_exact, NULL, NULL), 0);
}

struct resched {
    cio_timeout_t to;
    int rc;
};

static int body_reschedule_other(void *arg, void **result)
{
    struct resched *r = arg;
    cio_loop_t *loop = cio_future_get_loop(cio_current_task());
    r->rc = cio_timeout_reschedule(&r->to, cio_loop_time(loop) + 0.01);
    return 0;
}

static int cb_reschedule_never(void *arg)
{
    struct resched *r = arg;
    log_event(cio_timeout_reschedule(&r->to, INFINITY) == 0 ? "cb-ok" : "cb-refused");
    return 0;
}

/* asyncio lets any code reschedule an entered timeout: another task, a
 * plain callback. */
static int m_timeout_reschedule_any_caller(void *arg, void **result)
{
    struct resched r = {.rc = 1};
    cio_task_t *t = NULL;
    cio_loop_t *loop = cio_future_get_loop(cio_current_task());
    REQ_RC(cio_timeout_enter(&r.to, INFINITY));
    t = cio_create_task(body_reschedule_other, &r);
    REQ(t);
    int rc = cio_sleep(5);
    CHECK_RC(r.rc, 0);
    CHECK_RC(cio_timeout_exit(&r.to, rc), -ETIMEDOUT);
    CHECK_RC(cio_timeout_reschedule(&r.to, 1), CIO_EINVALSTATE); /* exited */
    REQ_RC(cio_timeout_enter(&r.to, 0.01));
    REQ_RC(cio_call_soon(loop, cb_reschedule_never, &r, NULL));
    rc = cio_sleep(0.03);
    CHECK_RC(cio_timeout_exit(&r.to, rc), 0);
out:
    cio_timeout_exit(&r.to, 0); /* if still entered */
    reap_tasks(&t, 1);
    return 0;
}

static void t_timeout_reschedule_any_caller(void)
{
    CHECK_RC(cio_run(m_timeout_reschedule_any_caller, NULL, NULL), 0);
    CHECK_ORDER("cb-ok");
}

static int m_timeout_nested(void *arg, void **result)
{
    cio_timeout_t outer, inner;
    cio_loop_t *loop = cio_future_get_loop(cio_current_task());
    double when = cio_loop_time(loop) + 0.02;
    CHECK_RC(cio_timeout_enter_at(&outer, when), 0);
    CHECK_RC(cio_timeout_enter_at(&inner, when), 0);
    int rc = cio_sleep(1);
    rc = cio_timeout_exit(&inner, rc);
    CHECK_RC(rc, -ECANCELED); /* equal deadlines: not the inner's */
    rc = cio_timeout_exit(&outer, rc);
    CHECK_RC(rc, -ETIMEDOUT); /* the outer one reports it */
    CHECK_INT(cio_task_cancelling(cio_current_task()), 0);
    return 0;
}

static void t_timeout_nested_equal_deadlines(void)
{
    CHECK_RC(cio_run(m_timeout_nested, NULL, NULL), 0);
}

static int body_timeout_foreign(void *arg, void **result)
{
    cio_timeout_t to;
    cio_timeout_enter(&to, 10);
    int rc = cio_sleep(1);
    return cio_timeout_exit(&to, rc);
}

static int m_timeout_foreign(void *arg, void **result)
{
    cio_task_t *t = cio_create_task(body_timeout_foreign, NULL);
    cio_sleep(0.005);
    cio_task_cancel(t, NULL);
    CHECK_RC(cio_await(t, NULL), -ECANCELED); /* a foreign cancel passes through */
    cio_unref(t);
    return 0;
}

static void t_timeout_foreign_cancel_passes(void)
{
    CHECK_RC(cio_run(m_timeout_foreign, NULL, NULL), 0);
}

/* ----------------------------------------------------------- TaskGroup */

static int m_tg_ok(void *arg, void **result)
{
    struct job a = {0.1, "a", 0, 0}, b = {0.01, "b", 0, 0}; /* apart even when the first steps are not */
    cio_taskgroup_t *tg = cio_taskgroup_new();
    if (!tg)
        return -ENOMEM;
    cio_task_t *ta = cio_taskgroup_create_task(tg, job_fn, &a);
    CHECK(ta != NULL);
    CHECK(cio_taskgroup_create_task(tg, job_fn, &b) != NULL);
    CHECK_RC(cio_taskgroup_wait(tg), 0);
    log_event("exited");
    void *v = NULL;
    CHECK_RC(cio_future_result(ta, &v), 0);
    CHECK_STR(v, "a");
    CHECK_INT(cio_taskgroup_error_count(tg), 0);
    CHECK_RC(cio_taskgroup_create_task_ex(tg, job_fn, &a, NULL, NULL), CIO_EINVALSTATE); /* finished */
    CHECK_RC(cio_taskgroup_wait(tg), CIO_EINVALSTATE);
    CHECK_RC(cio_taskgroup_free(tg), 0);
    return 0;
}

static void t_taskgroup_waits_for_all(void)
{
    CHECK_RC(cio_run(m_tg_ok, NULL, NULL), 0);
    CHECK_ORDER("b a exited");
}

static int m_tg_fail(void *arg, void **result)
{
    struct job bad = {0.01, "bad", -EPROTO, 0}, bad2 = {0.01, "bad2", -EIO, 0}, lng = {1, "long", 0, 0};
    cio_taskgroup_t *tg = cio_taskgroup_new();
    if (!tg)
        return -ENOMEM;
    cio_taskgroup_create_task(tg, job_fn, &bad);
    cio_taskgroup_create_task(tg, job_fn, &bad2);
    cio_taskgroup_create_task(tg, job_fn, &lng);
    int rc = cio_sleep(1); /* the body is cancelled by the failure */
    log_event(rc == -ECANCELED ? "body-cancelled" : "body-slept");
    CHECK_RC(cio_taskgroup_create_task_ex(tg, job_fn, &lng, NULL, NULL), CIO_EINVALSTATE); /* shutting down */
    rc = cio_taskgroup_exit(tg, rc);
    CHECK_RC(rc, CIO_ETASKGROUP);
    CHECK_INT(cio_taskgroup_error_count(tg), 2); /* both errors, no cancellation */
    int codes = 0;
    for (int i = 0; i < cio_taskgroup_error_count(tg); i++) {
        int code = 0;
        cio_task_t *t = NULL;
        const char *m;
        CHECK_RC(cio_taskgroup_error(tg, i, &code, &t, &m), 0);
        codes |= code == -EPROTO ? 1 : code == -EIO ? 2 : 4;
        CHECK(t != NULL);
    }
    CHECK_INT(codes, 3);
    CHECK_RC(cio_taskgroup_error(tg, 5, NULL, NULL, NULL), -EINVAL);
    CHECK_INT(cio_task_cancelling(cio_current_task()), 0); /* restored */
    cio_taskgroup_free(tg);
    return 0;
}

static void t_taskgroup_failure_cancels_siblings_and_body(void)
{
    SKIP_TIMING_UNDER_TSAN();
    CHECK_RC(cio_run(m_tg_fail, NULL, NULL), 0);
    CHECK_ORDER("bad bad2 long-cancelled body-cancelled");
}

static int m_tg_body_error(void *arg, void **result)
{
    struct job lng = {1, "long", 0, 0};
    cio_taskgroup_t *tg = cio_taskgroup_new();
    if (!tg)
        return -ENOMEM;
    cio_taskgroup_create_task(tg, job_fn, &lng);
    cio_sleep(0.001);
    int rc = cio_taskgroup_exit(tg, -ENOENT); /* the body failed */
    CHECK_RC(rc, CIO_ETASKGROUP);
    CHECK_INT(cio_taskgroup_error_count(tg), 1);
    int code = 0;
    cio_task_t *t = NULL;
    cio_taskgroup_error(tg, 0, &code, &t, NULL);
    CHECK_RC(code, -ENOENT);
    CHECK(t == cio_current_task());
    cio_taskgroup_free(tg);
    return 0;
}

static void t_taskgroup_body_error_listed(void)
{
    CHECK_RC(cio_run(m_tg_body_error, NULL, NULL), 0);
    CHECK_ORDER("long-cancelled");
}

static int body_tg_owner(void *arg, void **result)
{
    struct job *js = arg;
    cio_taskgroup_t *tg = cio_taskgroup_new();
    if (!tg)
        return -ENOMEM;
    cio_taskgroup_create_task(tg, job_fn, &js[0]);
    cio_taskgroup_create_task(tg, job_fn, &js[1]);
    int rc = cio_taskgroup_wait(tg);
    log_event(rc == -ECANCELED ? "group-cancelled" : "group-other");
    cio_taskgroup_free(tg);
    return rc;
}

/* A cancel from outside, no child error: -ECANCELED comes back. */
static int m_tg_outside_cancel(void *arg, void **result)
{
    struct job js[2] = {{1, "c1", 0, 0}, {1, "c2", 0, 0}};
    cio_task_t *t = cio_create_task(body_tg_owner, js);
    REQ(t);
    cio_sleep(0.01);
    cio_task_cancel(t, NULL);
    CHECK_RC(cio_await(t, NULL), -ECANCELED);
    CHECK_INT(cio_task_cancelling(t), 1);
out:
    reap_tasks(&t, 1);
    return 0;
}

static void t_taskgroup_outside_cancel(void)
{
    CHECK_RC(cio_run(m_tg_outside_cancel, NULL, NULL), 0);
    CHECK_ORDER("c1-cancelled c2-cancelled group-cancelled");
}

/* Cancellation before any child started: none of them runs. */
static int m_cancel_before_children_start(void *arg, void **result)
{
    struct job js[2] = {{0.01, "n1", 0, 0}, {0.01, "n2", 0, 0}};
    cio_task_t *t = cio_create_task(body_gather_xy, js);
    REQ(t);
    cio_sleep(0); /* t runs: it creates n1, n2 and waits; they have not started */
    CHECK_INT(cio_task_cancel(t, NULL), 1);
    CHECK_RC(cio_await(t, NULL), -ECANCELED);
out:
    reap_tasks(&t, 1);
    return 0;
}

static void t_cancel_before_children_start(void)
{
    CHECK_RC(cio_run(m_cancel_before_children_start, NULL, NULL), 0);
    CHECK_ORDER("awaiter-cancelled"); /* n1, n2 never ran their bodies */
}

/* A child cancelled, cancelled again during its cleanup. */
static int body_cleanup_twice(void *arg, void **result)
{
    int rc = cio_sleep(1);
    if (rc == -ECANCELED) {
        log_event("cleanup");
        rc = cio_sleep(1); /* the second cancel arrives here */
        log_event(rc == -ECANCELED ? "cleanup-cancelled" : "cleanup-done");
    }
    return rc;
}

static int m_cancel_during_cleanup(void *arg, void **result)
{
    cio_task_t *c = cio_create_task(body_cleanup_twice, NULL);
    cio_future_t *g = NULL;
    REQ(c);
    REQ_RC(cio_gather_start(&c, 1, 0, &g));
    cio_sleep(0.005);
    CHECK_INT(cio_future_cancel(g, NULL), 1);
    cio_sleep(0.005);
    CHECK_INT(cio_future_done(g), 0); /* the child is still cleaning up */
    CHECK_INT(cio_future_cancel(g, NULL), 1);
    CHECK_RC(cio_await(g, NULL), -ECANCELED);
    CHECK_INT(cio_task_cancelling(c), 2);
out:
    reap_future(&g);
    reap_tasks(&c, 1);
    return 0;
}

static void t_cancel_during_child_cleanup(void)
{
    CHECK_RC(cio_run(m_cancel_during_cleanup, NULL, NULL), 0);
    CHECK_ORDER("cleanup cleanup-cancelled");
}

static int body_eager(void *arg, void **result)
{
    log_event("eager-start");
    if (arg) {
        int rc = cio_sleep(0);
        log_event("eager-resumed");
        return rc;
    }
    *result = "instant";
    return 0;
}

static int m_eager(void *arg, void **result)
{
    cio_loop_t *loop = cio_future_get_loop(cio_current_task());
    cio_task_opts_t o = {.eager = 1};
    cio_task_t *t;
    /* A task that never suspends is done at creation, never scheduled. */
    CHECK_RC(cio_loop_create_task(loop, body_eager, NULL, &o, &t), 0);
    log_event("created");
    CHECK_INT(cio_future_done(t), 1);
    void *v;
    CHECK_RC(cio_future_result(t, &v), 0);
    CHECK_STR(v, "instant");
    cio_unref(t);
    /* One that suspends runs up to there, then goes on like any task. */
    CHECK_RC(cio_loop_create_task(loop, body_eager, "x", &o, &t), 0);
    log_event("created2");
    CHECK_INT(cio_future_done(t), 0);
    CHECK_RC(cio_await(t, NULL), 0);
    cio_unref(t);
    return 0;
}

static void t_eager_start(void)
{
    CHECK_RC(cio_run(m_eager, NULL, NULL), 0);
    CHECK_ORDER("eager-start created eager-start created2 eager-resumed");
    cio_loop_t *loop = new_loop();
    cio_task_opts_t o = {.eager = 1};
    CHECK_RC(cio_loop_create_task(loop, body_eager, NULL, &o, NULL), CIO_ENOLOOP); /* not running */
    free_loop(loop);
}

static void t_bad_arguments(void)
{
    CHECK_RC(cio_gather(NULL, 1, NULL, NULL, 0), CIO_ENOTASK);
    CHECK(cio_taskgroup_new() == NULL); /* outside a task */
    CHECK_RC(cio_taskgroup_wait(NULL), -EINVAL);
    CHECK_RC(cio_taskgroup_free(NULL), -EINVAL);
    CHECK_RC(cio_taskgroup_error_count(NULL), -EINVAL);
    CHECK(cio_taskgroup_create_task(NULL, job_fn, NULL) == NULL);
    cio_future_t *g;
    CHECK_RC(cio_gather_start(NULL, 0, 0, &g), CIO_ENOLOOP);
    CHECK_RC(cio_gather_start(NULL, 0, 99, &g), -EINVAL);
    CHECK_RC(cio_as_completed_new(NULL, 1, 1, NULL), -EINVAL);
    CHECK_RC(cio_as_completed_next(NULL, NULL), -EINVAL);
    CHECK_RC(cio_shield(NULL, NULL), -EINVAL);
    CHECK_RC(cio_wait_for_call(NULL, NULL, 1, NULL), -EINVAL);
    CHECK_RC(cio_timeout_enter(NULL, 1), -EINVAL);
    CHECK_RC(cio_timeout_exit(NULL, 0), CIO_EINVALSTATE);
    CHECK_RC(cio_timeout_expired(NULL), -EINVAL);
}

static int m_bad_in_task(void *arg, void **result)
{
    cio_loop_t *other = arg;
    cio_future_t *f = NULL, *mine = cio_create_future();
    REQ(mine);
    REQ_RC(cio_loop_create_future(other, &f));
    cio_future_t *two[2] = {mine, f};
    CHECK_RC(cio_gather(two, 2, NULL, NULL, 0), CIO_EWRONGLOOP);
    CHECK_RC(cio_wait(two, 2, 1, CIO_ALL_COMPLETED, NULL, NULL, NULL, NULL), CIO_EWRONGLOOP);
    cio_future_t *withnull[2] = {mine, NULL};
    CHECK_RC(cio_gather(withnull, 2, NULL, NULL, 0), -EINVAL);
    {
        /* The refused gathers left mine as it was: watched again, once. */
        cio_future_t *g = NULL, *twice[2] = {mine, mine};
        REQ_RC(cio_gather_start(twice, 2, 0, &g));
        CHECK(!cio_future_done(g));
        CHECK_RC(cio_future_set_result(mine, "m"), 0);
        CHECK_RC(cio_await(g, NULL), 0);
        void *res[2] = {NULL, NULL};
        CHECK_RC(cio_gather_results(g, res, NULL), 0);
        CHECK_STR(res[0], "m");
        CHECK_STR(res[1], "m");
        cio_unref(g);
    }
    CHECK_RC(cio_wait_for(f, 1, NULL), CIO_EWRONGLOOP);
    CHECK_RC(cio_shield(f, NULL), CIO_EWRONGLOOP);
    CHECK_RC(cio_wait_for(mine, NAN, NULL), -EINVAL);
    /* A task waiting on itself is refused, as cio_await refuses it, and a
     * timeout <= 0 does not cancel it first. */
    cio_task_t *self = cio_current_task();
    CHECK_RC(cio_wait_for(self, 0, NULL), CIO_ESELFAWAIT);
    CHECK_RC(cio_wait_for(self, 1, NULL), CIO_ESELFAWAIT);
    CHECK_RC(cio_shield(self, NULL), CIO_ESELFAWAIT);
    CHECK_INT(cio_task_cancelling(self), 0);
    cio_timeout_t to;
    CHECK_RC(cio_timeout_enter(&to, NAN), -EINVAL);
out:
    if (f)
        cio_unref(f);
    if (mine)
        cio_unref(mine);
    return 0;
}

static void t_bad_arguments_in_task(void)
{
    cio_loop_t *other = new_loop();
    CHECK_RC(cio_run(m_bad_in_task, other, NULL), 0);
    free_loop(other);
}

static const struct test_case cases[] = {
    TEST(t_gather_results_in_argument_order),
    TEST(t_gather_many),
    TEST(t_gather_first_error_does_not_cancel_siblings),
    TEST(t_gather_return_exceptions),
    TEST(t_gather_child_cancelled_alone),
    TEST(t_gather_cancel_cancels_children),
    TEST(t_gather_future_cancel),
    TEST(t_gather_outcomes_kept),
    TEST(t_gather_completes_when_asyncio_does),
    TEST(t_compositions_complete_when_asyncio_does),
    TEST(t_cancel_orders_as_asyncio),
    TEST(t_timers_wake_when_asyncio_does),
    TEST(t_wait_modes_and_timeout),
    TEST(t_wait_cancelled_cancels_nothing),
    TEST(t_wait_for),
    TEST(t_wait_for_cancel_outer_cancels_inner),
    TEST(t_as_completed),
    TEST(t_shield),
    TEST(t_shield_future),
    TEST(t_timeout_scope),
    TEST(t_negative_timeout_is_expired),
    TEST(t_timeout_when_exact),
    TEST(t_timeout_reschedule_any_caller),
    TEST(t_timeout_nested_equal_deadlines),
    TEST(t_timeout_foreign_cancel_passes),
    TEST(t_taskgroup_waits_for_all),
    TEST(t_taskgroup_failure_cancels_siblings_and_body),
    TEST(t_taskgroup_body_error_listed),
    TEST(t_taskgroup_outside_cancel),
    TEST(t_cancel_before_children_start),
    TEST(t_cancel_during_child_cleanup),
    TEST(t_eager_start),
    TEST(t_bad_arguments),
    TEST(t_bad_arguments_in_task),
};

int main(int argc, char **argv)
{
    return run_tests(argc, argv, cases, NCASES(cases));
}
