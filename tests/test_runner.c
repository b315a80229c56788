/* Runners: cio_run and cio_runner_t. */
#include "harness.h"

#include <signal.h>

static int m_value(void *arg, void **result)
{
    int rc = cio_sleep(0.001);
    *result = arg;
    return rc;
}

static void t_run_returns_value(void)
{
    void *r = NULL;
    CHECK_RC(cio_run(m_value, "v", &r), 0);
    CHECK_STR(r, "v");
    cio_loop_t *l;
    CHECK_RC(cio_get_running_loop(&l), CIO_ENOLOOP);
}

static int m_fails(void *arg, void **result)
{
    return cio_fail(-ENOENT, "no such thing");
}

static void t_run_returns_error(void)
{
    CHECK_RC(cio_run(m_fails, NULL, NULL), -ENOENT);
    CHECK_RC(cio_run(NULL, NULL, NULL), -EINVAL);
}

static int m_exits(void *arg, void **result)
{
    cio_loop_t *loop;
    cio_get_running_loop(&loop);
    CHECK_RC(cio_loop_stop_with_error(loop, -EPIPE), 0);
    int rc = cio_sleep(10); /* the run ends here: the shutdown cancels this */
    log_event(rc == -ECANCELED ? "cancelled" : "woke");
    return rc;
}

/* SystemExit from the main task's code: asyncio.run raises it after the
 * shutdown. */
static void t_run_stopped_with_error(void)
{
    CHECK_RC(cio_run(m_exits, NULL, NULL), -EPIPE);
    CHECK_ORDER("cancelled");
}

/* asyncio.run raises the main task's exception with its text: the message
 * comes back with the code. */
static void t_run_keeps_the_message(void)
{
    char buf[64] = "junk";
    CHECK_RC(cio_run_with_message(m_fails, NULL, NULL, buf, sizeof buf), -ENOENT);
    CHECK_STR(buf, "no such thing");
    char small[5];
    CHECK_RC(cio_run_with_message(m_fails, NULL, NULL, small, sizeof small), -ENOENT);
    CHECK_STR(small, "no s");
    CHECK_RC(cio_run_with_message(m_value, "v", NULL, buf, sizeof buf), 0);
    CHECK_STR(buf, "");
    CHECK_RC(cio_run_with_message(m_fails, NULL, NULL, NULL, 0), -ENOENT);
    cio_runner_t *r = NULL;
    REQUIRE(cio_runner_new(NULL, &r) == 0);
    CHECK(cio_runner_message(r) == NULL);
    CHECK_RC(cio_runner_run(r, m_fails, NULL, NULL), -ENOENT);
    const char *m = cio_runner_message(r);
    CHECK_STR(m ? m : "(none)", "no such thing");
    CHECK_RC(cio_runner_run(r, m_value, "v", NULL), 0);
    CHECK(cio_runner_message(r) == NULL);
    CHECK_RC(cio_runner_free(r), 0);
    CHECK(cio_runner_message(NULL) == NULL);
}

struct shared {
    cio_loop_t *loop;
    int runs;
};

static int m_count(void *arg, void **result)
{
    struct shared *s = arg;
    cio_loop_t *l;
    cio_get_running_loop(&l);
    if (s->loop)
        CHECK(s->loop == l); /* the same loop across runs */
    s->loop = l;
    s->runs++;
    return cio_sleep(0);
}

static void t_runner_reuse(void)
{
    cio_runner_t *r;
    cio_runner_opts_t o = {1, 0};
    CHECK_RC(cio_runner_new(&o, &r), 0);
    struct shared s = {NULL, 0};
    CHECK_RC(cio_runner_run(r, m_count, &s, NULL), 0);
    CHECK_RC(cio_runner_run(r, m_count, &s, NULL), 0);
    CHECK_RC(cio_runner_run(r, m_count, &s, NULL), 0);
    CHECK_INT(s.runs, 3);
    cio_loop_t *l;
    CHECK_RC(cio_runner_get_loop(r, &l), 0);
    CHECK(l == s.loop);
    CHECK_INT(cio_loop_get_debug(l), 1);
    CHECK_RC(cio_runner_close(r), 0);
    CHECK_RC(cio_runner_close(r), 0); /* idempotent */
    CHECK_RC(cio_runner_run(r, m_count, &s, NULL), CIO_ERUNNERCLOSED);
    CHECK_RC(cio_runner_get_loop(r, &l), CIO_ERUNNERCLOSED);
    CHECK_RC(cio_runner_free(r), 0);
}

static int m_nested(void *arg, void **result)
{
    cio_runner_t *r = arg;
    CHECK_RC(cio_runner_run(r, m_value, NULL, NULL), CIO_ELOOPRUNNING);
    CHECK_RC(cio_run(m_value, NULL, NULL), CIO_ELOOPRUNNING);
    return 0;
}

static void t_nested_run_refused(void)
{
    cio_runner_t *r;
    CHECK_RC(cio_runner_new(NULL, &r), 0);
    CHECK_RC(cio_runner_run(r, m_nested, r, NULL), 0);
    CHECK_RC(cio_runner_free(r), 0);
}

/* At the end, tasks still pending are cancelled and waited for: they may
 * clean up (even suspending) before the loop closes. */
static int bg_cleanup(void *arg, void **result)
{
    int rc = cio_sleep(100);
    if (rc == -ECANCELED) {
        log_event("bg-cancelled");
        cio_sleep(0.001); /* cleanup that suspends */
        log_event("bg-cleaned");
    }
    return rc;
}

static int bg_error_on_cancel(void *arg, void **result)
{
    int rc = cio_sleep(100);
    return rc == -ECANCELED ? -EIO : rc;
}

static int m_leaves_tasks(void *arg, void **result)
{
    cio_task_t *a = cio_create_task(bg_cleanup, NULL);
    cio_task_t *b = cio_create_task(bg_error_on_cancel, NULL);
    cio_sleep(0.001);
    cio_unref(a);
    cio_unref(b);
    log_event("main-done");
    return 0;
}

static int shutdown_errors, shutdown_nomem;
static void shutdown_handler(cio_loop_t *loop, const cio_exc_context_t *ctx, void *ud)
{
    (void)loop;
    (void)ud;
    if (ctx->message && strstr(ctx->message, "shutdown") && ctx->error == -EIO)
        shutdown_errors++;
    if (ctx->error == -ENOMEM) /* out of memory, the shutdown cannot collect the errors */
        shutdown_nomem++;
}

static void t_shutdown_cancels_remaining(void)
{
    cio_runner_t *r;
    CHECK_RC(cio_runner_new(NULL, &r), 0);
    cio_loop_t *l;
    CHECK_RC(cio_runner_get_loop(r, &l), 0);
    shutdown_errors = shutdown_nomem = 0;
    cio_loop_set_exception_handler(l, shutdown_handler, NULL);
    CHECK_RC(cio_runner_run(r, m_leaves_tasks, NULL, NULL), 0);
    CHECK_ORDER("main-done");
    CHECK_RC(cio_runner_free(r), 0);
    CHECK_ORDER("main-done bg-cancelled bg-cleaned");
    if (shutdown_nomem)
        FAILF("the shutdown reported %s", cio_err_name(-ENOMEM));
    else
        CHECK_INT(shutdown_errors, 1);
}

static int work(void *arg, void **result)
{
    *result = arg;
    return 0;
}

static int m_uses_pool(void *arg, void **result)
{
    return cio_to_thread(work, arg, result);
}

static void t_run_shuts_pool_down(void)
{
    void *r = NULL;
    CHECK_RC(cio_run(m_uses_pool, "pool", &r), 0);
    CHECK_STR(r, "pool");
}

static void t_bad_arguments(void)
{
    cio_runner_t *r;
    CHECK_RC(cio_runner_new(NULL, NULL), -EINVAL);
    CHECK_RC(cio_runner_run(NULL, m_value, NULL, NULL), -EINVAL);
    CHECK_RC(cio_runner_new(NULL, &r), 0);
    CHECK_RC(cio_runner_run(r, NULL, NULL, NULL), -EINVAL);
    CHECK_RC(cio_runner_get_loop(r, NULL), -EINVAL);
    cio_loop_t *l = (cio_loop_t *)&r; /* any stale value */
    CHECK_RC(cio_runner_get_loop(NULL, &l), -EINVAL);
    CHECK(l == NULL); /* never left undefined */
    CHECK_RC(cio_runner_close(NULL), -EINVAL);
    CHECK_RC(cio_runner_free(r), 0); /* never used: no loop was made */
    CHECK_RC(cio_runner_free(NULL), 0);
}

/* Out of memory anywhere in cio_run: -ENOMEM, or a run exactly as asked —
 * never a run without its Ctrl-C handler (asyncio's Runner always installs
 * it in the main thread when SIGINT has its default action). */
struct armed_probe {
    int ran, armed;
};

static int m_probe_sigint(void *arg, void **result)
{
    struct armed_probe *p = arg;
    struct sigaction sa;
    p->ran = 1;
    p->armed = sigaction(SIGINT, NULL, &sa) == 0 && sa.sa_handler != SIG_DFL;
    return 0;
}

static void t_out_of_memory_never_drops_ctrl_c(void)
{
    int nomem = 0, ok = 0;
    /* The runner arms Ctrl-C only over SIGINT's default action: make sure
     * it is the default here (a shell starting a job in the background
     * leaves SIGINT ignored), and put back what it was at the end. */
    struct sigaction dfl, saved;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    REQUIRE(sigaction(SIGINT, &dfl, &saved) == 0);
    for (long k = 0; k < 64; k++) {
        struct armed_probe p = {0, 0};
        atomic_store(&test_fail_at, atomic_load(&test_alloc_count) + k);
        int rc = cio_run(m_probe_sigint, &p, NULL);
        atomic_store(&test_fail_at, -1);
        if (rc == -ENOMEM) {
            nomem++; /* failing after the main task ran is allowed: it was armed */
            if (p.ran && !p.armed)
                FAILF("allocation %ld: the main task ran without the Ctrl-C handler", k);
            continue;
        }
        CHECK_RC(rc, 0);
        if (!p.ran || !p.armed)
            FAILF("allocation %ld: cio_run returned 0, ran=%d armed=%d", k, p.ran, p.armed);
        ok++;
        break; /* k is past every allocation of the run */
    }
    CHECK(nomem >= 3); /* the runner, the loop, the Ctrl-C state at least */
    CHECK_INT(ok, 1); /* a run past every allocation point was reached */
    struct sigaction sa;
    CHECK(sigaction(SIGINT, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL); /* put back */
    sigaction(SIGINT, &saved, NULL);
}

static const struct test_case cases[] = {
    TEST(t_run_returns_value),
    TEST(t_run_returns_error),
    TEST(t_run_keeps_the_message),
    TEST(t_run_stopped_with_error),
    TEST(t_runner_reuse),
    TEST(t_nested_run_refused),
    TEST(t_shutdown_cancels_remaining),
    TEST(t_run_shuts_pool_down),
    TEST(t_bad_arguments),
    TEST(t_out_of_memory_never_drops_ctrl_c),
};

int main(int argc, char **argv)
{
    return run_tests(argc, argv, cases, NCASES(cases));
}
