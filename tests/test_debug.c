/* Debug mode: slow callbacks logged with the task's name and creation site,
 * the wrong-thread check, creation sites in error reports, the task dump,
 * CIO_DEBUG, and the log handler and level. */
#include "harness.h"

#include <pthread.h>
#include <unistd.h>

/* In a coroutine: fail the case and return. */
#define CREQ(c)                                  \
    do {                                         \
        if (!(c)) {                              \
            FAILF("requirement failed: %s", #c); \
            return 0;                            \
        }                                        \
    } while (0)

static char logbuf[8192];
static int nlogs, last_level;

static void capture(int level, const char *msg, void *ud)
{
    (void)ud;
    size_t n = strlen(logbuf);
    snprintf(logbuf + n, sizeof logbuf - n, "[%d] %s\n", level, msg);
    nlogs++;
    last_level = level;
}

static void log_reset_capture(void)
{
    logbuf[0] = 0;
    nlogs = 0;
    last_level = 0;
    cio_set_log_handler(capture, NULL);
    cio_set_log_level(CIO_LOG_WARNING);
}

static void spin(double secs)
{
    double t0 = now_s();
    while (now_s() - t0 < secs)
        ;
}

static int slow_task(void *arg, void **result)
{
    spin(*(double *)arg);
    return 0;
}

static int slow_cb(void *arg)
{
    spin(*(double *)arg);
    return 0;
}

static int line_of_create;

static int m_slow(void *arg, void **result)
{
    cio_loop_t *loop;
    CREQ(cio_get_running_loop(&loop) == 0);
    static double d = 0.06; /* slow_cb may outlive this task when a check fails */
    CHECK_RC(cio_loop_set_slow_callback_duration(loop, 0.03), 0);
    CHECK(fabs(cio_loop_get_slow_callback_duration(loop) - 0.03) < 1e-9);
    CHECK_RC(cio_loop_set_slow_callback_duration(loop, 0), -EINVAL);
    CHECK_RC(cio_loop_set_slow_callback_duration(loop, -1), -EINVAL);
    CHECK_RC(cio_loop_set_slow_callback_duration(loop, NAN), -EINVAL);
    line_of_create = __LINE__ + 1;
    cio_task_t *t = cio_create_task_named(slow_task, &d, "slowpoke");
    CREQ(t);
    CHECK_RC(cio_await(t, NULL), 0);
    cio_unref(t);
    char want[128];
    snprintf(want, sizeof want, "Executing Task 'slowpoke' created at %s:%d took 0.", __FILE__, line_of_create);
    if (!strstr(logbuf, want))
        FAILF("no slow-task report like \"%s\" in the log:\n%s", want, logbuf);
    CHECK_INT(last_level, CIO_LOG_WARNING);
    /* A plain callback. */
    logbuf[0] = 0;
    CHECK_RC(cio_call_soon(loop, slow_cb, &d, NULL), 0);
    CHECK_RC(cio_sleep(0.01), 0);
    if (!strstr(logbuf, "Executing callback"))
        FAILF("no slow-callback report in the log:\n%s", logbuf);
    /* Fast ones are not reported: a step that does nothing stays far below
     * a second even on a loaded machine under a sanitizer. */
    CHECK_RC(cio_loop_set_slow_callback_duration(loop, 1.0), 0);
    logbuf[0] = 0;
    double quick = 0.0;
    cio_task_t *q = cio_create_task(slow_task, &quick);
    CHECK_RC(cio_await(q, NULL), 0);
    cio_unref(q);
    CHECK_INT(strlen(logbuf), 0);
    return 0;
}

static void t_slow_callbacks(void)
{
    log_reset_capture();
    cio_runner_opts_t o = {.debug = 1};
    cio_runner_t *r;
    REQUIRE(cio_runner_new(&o, &r) == 0);
    CHECK_RC(cio_runner_run(r, m_slow, NULL, NULL), 0);
    cio_runner_free(r);
    cio_set_log_handler(NULL, NULL);
}

/* Debug off: nothing is timed or logged. */
static int m_slow_nodebug(void *arg, void **result)
{
    double d = 0.12;
    cio_task_t *t = cio_create_task(slow_task, &d);
    CHECK_RC(cio_await(t, NULL), 0);
    cio_unref(t);
    CHECK_INT(nlogs, 0);
    return 0;
}

static void t_no_debug_no_reports(void)
{
    log_reset_capture();
    cio_runner_opts_t o = {.debug = 0};
    cio_runner_t *r;
    REQUIRE(cio_runner_new(&o, &r) == 0);
    CHECK_RC(cio_runner_run(r, m_slow_nodebug, NULL, NULL), 0);
    cio_runner_free(r);
    cio_set_log_handler(NULL, NULL);
}

/* -------------------------------------------------------- wrong thread */

struct other {
    cio_loop_t *loop;
    int rc_soon, rc_later, rc_task, rc_cancel;
    atomic_int rc_ts; /* written last by the thread, polled by the loop */
    cio_task_t *victim;
};

static int noop(void *arg) { (void)arg; return 0; }
static int noop_task(void *arg, void **result) { return 0; }

static void *other_thread(void *arg)
{
    struct other *o = arg;
    o->rc_soon = cio_call_soon(o->loop, noop, NULL, NULL);
    o->rc_later = cio_call_later(o->loop, 0.01, noop, NULL, NULL);
    o->rc_task = cio_loop_create_task(o->loop, noop_task, NULL, NULL, NULL);
    o->rc_cancel = cio_task_cancel(o->victim, NULL);
    o->rc_ts = cio_call_soon_threadsafe(o->loop, noop, NULL);
    return NULL;
}

static int sleeper(void *arg, void **result) { return cio_sleep(5); }

static int m_wrong_thread(void *arg, void **result)
{
    struct other o = {0};
    CREQ(cio_get_running_loop(&o.loop) == 0);
    o.victim = cio_create_task(sleeper, NULL);
    CREQ(o.victim);
    CHECK_RC(cio_sleep(0), 0);
    pthread_t th;
    CREQ(pthread_create(&th, NULL, other_thread, &o) == 0);
    /* Keep the loop running while the thread calls. */
    for (int i = 0; i < 100 && !o.rc_ts; i++)
        CHECK_RC(cio_sleep(0.002), 0);
    pthread_join(th, NULL);
    CHECK_RC(o.rc_soon, CIO_EWRONGTHREAD);
    CHECK_RC(o.rc_later, CIO_EWRONGTHREAD);
    CHECK_RC(o.rc_task, CIO_EWRONGTHREAD);
    CHECK_RC(o.rc_cancel, CIO_EWRONGTHREAD);
    CHECK_RC(o.rc_ts, 0); /* the thread-safe entry is fine */
    CHECK(strstr(logbuf, "non-thread-safe operation") != NULL);
    CHECK_INT(cio_future_done(o.victim), 0); /* the refused cancel did nothing */
    cio_task_cancel(o.victim, NULL);
    CHECK_RC(cio_await(o.victim, NULL), -ECANCELED);
    cio_unref(o.victim);
    return 0;
}

static void t_wrong_thread(void)
{
    log_reset_capture();
    cio_runner_opts_t o = {.debug = 1};
    cio_runner_t *r;
    REQUIRE(cio_runner_new(&o, &r) == 0);
    CHECK_RC(cio_runner_run(r, m_wrong_thread, NULL, NULL), 0);
    cio_runner_free(r);
    cio_set_log_handler(NULL, NULL);
}

/* --------------------------------------- sites in reports, task dump */

static int failing(void *arg, void **result) { return cio_fail(-EIO, "disk on fire"); }

static int m_sites(void *arg, void **result)
{
    cio_loop_t *loop;
    CREQ(cio_get_running_loop(&loop) == 0);
    int line = __LINE__ + 1;
    cio_task_t *f = cio_create_task_named(failing, NULL, "arsonist");
    CREQ(f);
    CHECK_RC(cio_sleep(0.01), 0);
    cio_unref(f); /* never retrieved: reported, with where it was made */
    char want[160];
    snprintf(want, sizeof want, "created at %s:%d", __FILE__, line);
    if (!strstr(logbuf, "never retrieved") || !strstr(logbuf, want) || !strstr(logbuf, "disk on fire"))
        FAILF("report without the error, its message or the site (%s):\n%s", want, logbuf);

    cio_task_t *ts[3];
    for (int i = 0; i < 3; i++)
        ts[i] = cio_create_task_named(sleeper, NULL, i == 0 ? "alpha" : i == 1 ? "beta" : "gamma");
    CHECK_RC(cio_sleep(0), 0);
    FILE *tf = tmpfile();
    CREQ(tf);
    CHECK_INT(cio_loop_print_tasks(loop, tf), 4); /* three sleepers and this main task */
    rewind(tf);
    char dump[8192];
    size_t n = fread(dump, 1, sizeof dump - 1, tf);
    dump[n] = 0;
    CHECK_RC(cio_loop_print_tasks(NULL, tf), -EINVAL);
    fclose(tf);
    for (int i = 0; i < 3; i++)
        if (!strstr(dump, i == 0 ? "Task 'alpha' created at" : i == 1 ? "Task 'beta'" : "Task 'gamma'"))
            FAILF("task %d missing from the dump:\n%s", i, dump);
    if (!strstr(dump, "running") || !strstr(dump, "suspended"))
        FAILF("states missing from the dump:\n%s", dump);
    for (int i = 0; i < 3; i++) {
        cio_task_cancel(ts[i], NULL);
        cio_await(ts[i], NULL);
        cio_unref(ts[i]);
    }
    return 0;
}

static void t_sites_and_dump(void)
{
    log_reset_capture();
    cio_runner_opts_t o = {.debug = 1};
    cio_runner_t *r;
    REQUIRE(cio_runner_new(&o, &r) == 0);
    CHECK_RC(cio_runner_run(r, m_sites, NULL, NULL), 0);
    cio_runner_free(r);
    cio_set_log_handler(NULL, NULL);
}

/* ------------------------------------------------- stack high-water mark */

static __attribute__((noinline)) int use_stack(size_t n)
{
    volatile char buf[24 * 1024];
    for (size_t i = 0; i < n && i < sizeof buf; i++)
        buf[i] = (char)i;
    return buf[n / 2];
}

static int deep(void *arg, void **result)
{
    size_t n = *(size_t *)arg;
    if (n >= 1024) /* the 24 KiB frame is touched whole (stack-clash probing) */
        use_stack(n);
    return cio_sleep(0.01);
}

static int m_high_water(void *arg, void **result)
{
    size_t n = 20 * 1024, small = 100;
    cio_task_t *ts[2] = {cio_create_task(deep, &n), cio_create_task(deep, &small)};
    cio_task_t *t = ts[0], *u = ts[1];
    if (!t || !u) {
        FAILF("requirement failed: t && u");
        reap_tasks(ts, 2); /* they refer to n and small */
        return 0;
    }
    size_t size = 0;
    CHECK_INT(cio_task_stack_high_water(t, &size), 0); /* not started */
    CHECK_RC(cio_sleep(0), 0);
    ssize_t live = cio_task_stack_high_water(t, &size);
    CHECK(size >= 56 * 1024); /* 64 KiB less the stack header: 4.6 KiB with ucontext on AArch64 */
    if (live < (ssize_t)n || live >= (ssize_t)size)
        FAILF("high water of a suspended task %zd, expected >= %zu and < %zu", live, n, size);
    CHECK_RC(cio_await(t, NULL), 0);
    CHECK_RC(cio_await(u, NULL), 0);
    ssize_t done = cio_task_stack_high_water(t, NULL);
    CHECK(done >= live);
    ssize_t little = cio_task_stack_high_water(u, NULL);
    if (little <= 0 || little >= (ssize_t)n)
        FAILF("high water of a shallow task %zd, expected between 0 and %zu", little, n);
    CHECK_RC(cio_task_stack_high_water(NULL, NULL), -EINVAL);
    cio_unref(t);
    cio_unref(u);
    return 0;
}

static int m_high_water_nodebug(void *arg, void **result)
{
    size_t n = 100;
    cio_task_t *t = cio_create_task(deep, &n);
    CREQ(t);
    CHECK_RC(cio_await(t, NULL), 0);
    CHECK_RC(cio_task_stack_high_water(t, NULL), -ENOTSUP);
    cio_unref(t);
    return 0;
}

static void t_stack_high_water(void)
{
    cio_runner_opts_t o = {.debug = 1};
    cio_runner_t *r;
    REQUIRE(cio_runner_new(&o, &r) == 0);
    CHECK_RC(cio_runner_run(r, m_high_water, NULL, NULL), 0);
    cio_runner_free(r);
    o.debug = 0;
    REQUIRE(cio_runner_new(&o, &r) == 0);
    CHECK_RC(cio_runner_run(r, m_high_water_nodebug, NULL, NULL), 0);
    cio_runner_free(r);
}

/* ------------------------------------------------------ env and levels */

static void t_env_and_levels(void)
{
    setenv("CIO_DEBUG", "1", 1);
    cio_loop_t *loop = new_loop();
    CHECK_INT(cio_loop_get_debug(loop), 1);
    free_loop(loop);
    setenv("CIO_DEBUG", "0", 1);
    loop = new_loop();
    CHECK_INT(cio_loop_get_debug(loop), 0);
    CHECK_RC(cio_loop_set_debug(loop, 1), 0);
    CHECK_INT(cio_loop_get_debug(loop), 1);
    free_loop(loop);
    unsetenv("CIO_DEBUG");

    log_reset_capture();
    cio_log(CIO_LOG_INFO, "dropped %d", 1);
    CHECK_INT(nlogs, 0);
    cio_log(CIO_LOG_ERROR, "kept %d", 2);
    CHECK_INT(nlogs, 1);
    CHECK(strstr(logbuf, "kept 2") != NULL);
    cio_set_log_level(CIO_LOG_DEBUG);
    cio_log(CIO_LOG_DEBUG, "now kept");
    CHECK_INT(nlogs, 2);
    cio_set_log_level(CIO_LOG_ERROR);
    cio_log(CIO_LOG_WARNING, "dropped again");
    CHECK_INT(nlogs, 2);
    cio_set_log_level(CIO_LOG_WARNING);
    cio_set_log_handler(NULL, NULL);
}

/* Misuse that asyncio raises with a message: in debug mode the log says
 * which call refused what; outside it, nothing is logged; cio_strerror
 * names every misuse code. */
static void t_refusals_named(void)
{
    log_reset_capture();
    cio_loop_t *loop = new_loop();
    cio_future_t *f = NULL;
    REQ_OK(cio_loop_create_future(loop, &f));
    CHECK_RC(cio_future_result(f, NULL), CIO_EINVALSTATE);
    CHECK_INT(nlogs, 0); /* not in debug mode */
    REQ_OK(cio_loop_set_debug(loop, 1));
    CHECK_RC(cio_future_result(f, NULL), CIO_EINVALSTATE);
    CHECK(strstr(logbuf, "cio_future_result refused: Result is not set.") != NULL);
    REQ_OK(cio_future_set_result(f, NULL));
    CHECK_RC(cio_future_set_result(f, NULL), CIO_EINVALSTATE);
    CHECK(strstr(logbuf, "cio_future_set_result refused: invalid state") != NULL);
    CHECK_RC(cio_loop_close(loop), -EBUSY); /* f is still held */
    CHECK(strstr(logbuf, "cio_loop_close refused: a future, task, handle or generator") != NULL);
    CHECK(strstr(logbuf, "EBUSY") != NULL);
    for (int e = 4001; e <= 4026; e++)
        CHECK(strcmp(cio_strerror(-e), "unknown error") != 0);
out:
    cio_unref(f);
    free_loop(loop);
    cio_set_log_handler(NULL, NULL);
}

/* Task.get_stack, beyond asyncio: the suspended task's C stack. */
static cio_event_t stack_ev = CIO_EVENT_INIT;

static __attribute__((noinline)) int deep_wait(int n)
{
    if (n == 0)
        return cio_event_wait(&stack_ev);
    int rc = deep_wait(n - 1);
    __asm__ volatile("" ::: "memory"); /* not a tail call */
    return rc;
}

static int body_deep(void *arg, void **result)
{
    return deep_wait(3);
}

static int m_task_stack(void *arg, void **result)
{
    if (cio_task_get_stack(cio_current_task(), NULL, 0) == -ENOTSUP) {
        fprintf(stderr, "skip t_task_get_stack: no assembly context switch in this build\n");
        return 0;
    }
    cio_event_clear(&stack_ev);
    cio_task_t *t = cio_create_task_named(body_deep, NULL, "deep");
    CREQ(t);
    void *frames[64];
    CHECK_RC(cio_task_get_stack(t, frames, 64), 0); /* not started */
    cio_sleep(0);
    int n = cio_task_get_stack(t, frames, 64);
    CHECK(n >= 1);
#if !defined(__OPTIMIZE__) || defined(CIO_TEST_SANITIZED)
    /* Frame pointers: the walk reaches the three frames of deep_wait. */
    int in_deep = 0;
    for (int i = 0; i < n; i++)
        if ((char *)frames[i] > (char *)deep_wait && (char *)frames[i] < (char *)deep_wait + 512)
            in_deep++;
    CHECK(in_deep >= 3);
#endif
    FILE *mem = tmpfile();
    if (mem) {
        CHECK(cio_task_print_stack(t, mem) == n);
        CHECK(cio_loop_print_tasks(cio_future_get_loop(t), mem) >= 2);
        rewind(mem);
        char buf[4096] = "";
        size_t got = fread(buf, 1, sizeof buf - 1, mem);
        buf[got] = 0;
        CHECK(strstr(buf, "Stack for task 'deep' (innermost first):") != NULL);
        CHECK(strstr(buf, "suspended at:") != NULL);
        fclose(mem);
    }
    CHECK(cio_task_get_stack(cio_current_task(), frames, 64) >= 1); /* its own, live */
    CHECK_RC(cio_task_get_stack(NULL, frames, 1), -EINVAL);
    CHECK_RC(cio_task_print_stack(t, NULL), -EINVAL);
    cio_event_set(&stack_ev);
    CHECK_RC(cio_await(t, NULL), 0);
    CHECK_RC(cio_task_get_stack(t, frames, 64), 0); /* done */
    cio_unref(t);
    return 0;
}

static void t_task_get_stack(void)
{
    CHECK_RC(cio_run(m_task_stack, NULL, NULL), 0);
}

static const struct test_case cases[] = {
    TEST(t_slow_callbacks), TEST(t_no_debug_no_reports), TEST(t_wrong_thread), TEST(t_sites_and_dump),
    TEST(t_env_and_levels), TEST(t_stack_high_water), TEST(t_refusals_named), TEST(t_task_get_stack),
};

int main(int argc, char **argv) { return run_tests(argc, argv, cases, NCASES(cases)); }
