/* Loop groups: every loop runs its main; start and stop together; the first
 * failure stops the others with its message; cio_loop_group_stop and Ctrl-C
 * cancel every main and each loop shuts down as cio_run's does; calls from
 * a task of one loop to another, with cancellation both ways; bad input. */
#include "harness.h"

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <unistd.h>

static atomic_int mask, cancelled_mains, cancelled_extras, started, run_over;

static void reset(void)
{
    atomic_store(&mask, 0);
    atomic_store(&cancelled_mains, 0);
    atomic_store(&cancelled_extras, 0);
    atomic_store(&started, 0);
    atomic_store(&run_over, 0);
}

static int main_mark(void *arg, void **result)
{
    cio_loop_group_t *g = arg;
    CHECK(cio_loop_group_current() == g);
    int i = cio_loop_group_index();
    CHECK(i >= 0 && i < cio_loop_group_size(g));
    cio_loop_t *mine = NULL, *running = NULL;
    CHECK_RC(cio_loop_group_get_loop(g, i, &mine), 0);
    CHECK_RC(cio_get_running_loop(&running), 0);
    CHECK(mine == running);
    atomic_fetch_or(&mask, 1 << i);
    return 0;
}

static void t_every_loop_runs_its_main(void)
{
    reset();
    cio_loop_group_t *g;
    cio_loop_group_opts_t o = {3, 1, 0};
    CHECK_RC(cio_loop_group_new(&o, &g), 0);
    CHECK_INT(cio_loop_group_size(g), 3);
    CHECK_RC(cio_loop_group_run(g, main_mark, g), 0);
    CHECK_INT(atomic_load(&mask), 7);
    /* Again, each with its own main. */
    atomic_store(&mask, 0);
    cio_coro_fn *fns[3] = {main_mark, main_mark, main_mark};
    void *args[3] = {g, g, g};
    CHECK_RC(cio_loop_group_run_each(g, fns, args), 0);
    CHECK_INT(atomic_load(&mask), 7);
    CHECK(cio_loop_group_current() == NULL);
    CHECK_RC(cio_loop_group_index(), CIO_ENOLOOP);
    CHECK_RC(cio_loop_group_free(g), 0);
}

static void t_default_one_loop_per_cpu(void)
{
    reset();
    cio_loop_group_t *g;
    int rc = cio_loop_group_new(NULL, &g);
    CHECK_RC(rc, 0);
    if (rc < 0)
        return;
    CHECK_INT(cio_loop_group_size(g), sysconf(_SC_NPROCESSORS_ONLN));
    CHECK_RC(cio_loop_group_run(g, main_mark, g), 0);
    CHECK_INT(atomic_load(&mask), (1 << cio_loop_group_size(g)) - 1);
    CHECK_RC(cio_loop_group_free(g), 0);
}

/* A task besides the main, which the loop's shutdown cancels. */
static int extra(void *arg, void **result)
{
    int rc = cio_sleep(60);
    if (rc == -ECANCELED)
        atomic_fetch_add(&cancelled_extras, 1);
    return rc;
}

static int main_forever(void *arg, void **result)
{
    cio_task_t *t = cio_create_task(extra, NULL);
    if (t)
        cio_unref(t); /* the loop keeps it */
    atomic_fetch_add(&started, 1);
    int rc = cio_sleep(60);
    if (rc == -ECANCELED)
        atomic_fetch_add(&cancelled_mains, 1);
    return rc;
}

static int main_fails(void *arg, void **result)
{
    if (cio_loop_group_index() != 1)
        return main_forever(arg, result);
    atomic_fetch_add(&started, 1);
    while (atomic_load(&started) < 3)
        if (cio_sleep(0.001) < 0)
            return -ECANCELED;
    return cio_fail(-EIO, "disk %d is gone", 7);
}

static void t_first_failure_cancels_the_others(void)
{
    reset();
    cio_loop_group_t *g;
    cio_loop_group_opts_t o = {3, 0, 0};
    CHECK_RC(cio_loop_group_new(&o, &g), 0);
    CHECK_RC(cio_loop_group_run(g, main_fails, NULL), -EIO);
    CHECK_STR(cio_loop_group_error_message(g), "disk 7 is gone");
    CHECK_INT(atomic_load(&cancelled_mains), 2);
    CHECK_INT(atomic_load(&cancelled_extras), 2);
    CHECK_RC(cio_loop_group_free(g), 0);
}

static void *stopper(void *arg)
{
    while (atomic_load(&started) < 3 && !atomic_load(&run_over)) /* a main may not start (no memory) */
        usleep(1000);
    CHECK_RC(cio_loop_group_stop(arg), 0);
    return NULL;
}

static void t_stop_from_another_thread(void)
{
    reset();
    cio_loop_group_t *g;
    cio_loop_group_opts_t o = {3, 0, 0};
    CHECK_RC(cio_loop_group_new(&o, &g), 0);
    pthread_t th;
    if (pthread_create(&th, NULL, stopper, g) != 0) {
        FAILF("pthread_create");
        cio_loop_group_free(g);
        return;
    }
    CHECK_RC(cio_loop_group_run(g, main_forever, NULL), 0);
    atomic_store(&run_over, 1);
    pthread_join(th, NULL);
    CHECK_INT(atomic_load(&cancelled_mains), 3);
    CHECK_INT(atomic_load(&cancelled_extras), 3); /* each loop's shutdown */
    CHECK(cio_loop_group_error_message(g) == NULL);
    CHECK_RC(cio_loop_group_stop(g), 0); /* not running: nothing to do */
    CHECK_RC(cio_loop_group_free(g), 0);
}

static int main_interrupt(void *arg, void **result)
{
    if (cio_loop_group_index() == 2) {
        while (atomic_load(&started) < 2)
            if (cio_sleep(0.001) < 0)
                return -ECANCELED;
        kill(getpid(), SIGINT); /* Ctrl-C: to the process, taken by loop 0's thread */
    }
    return main_forever(arg, result);
}

static void t_ctrl_c_stops_every_loop(void)
{
    reset();
    cio_loop_group_t *g;
    cio_loop_group_opts_t o = {3, 0, 0};
    CHECK_RC(cio_loop_group_new(&o, &g), 0);
    CHECK_RC(cio_loop_group_run(g, main_interrupt, NULL), CIO_EINTERRUPTED);
    CHECK_INT(atomic_load(&cancelled_mains), 3);
    CHECK_INT(atomic_load(&cancelled_extras), 3);
    CHECK_RC(cio_loop_group_free(g), 0);
}

/* ------------------------------------------------------------------ calls */

static int where(void *arg, void **result)
{
    *result = (void *)(intptr_t)(cio_loop_group_index() + 100 * (int)(intptr_t)arg);
    return 0;
}

static int remote_fails(void *arg, void **result)
{
    return cio_fail(-EPROTO, "remote said %s", (const char *)arg);
}

static atomic_int remote_saw_cancel;

static int remote_sleeps(void *arg, void **result)
{
    int rc = cio_sleep(60);
    if (rc == -ECANCELED)
        atomic_fetch_add(&remote_saw_cancel, 1);
    return rc;
}

static int remote_cancels_itself(void *arg, void **result)
{
    cio_task_cancel(cio_current_task(), NULL);
    return cio_sleep(1);
}

static int remote_ignores_cancel(void *arg, void **result)
{
    int rc = cio_sleep(60);
    CHECK_RC(rc, -ECANCELED);
    cio_task_uncancel(cio_current_task());
    *result = (void *)(intptr_t)42;
    return 0;
}

struct caller {
    cio_loop_group_t *g;
    cio_coro_fn *fn;
    int rc;
    void *value;
};

static int call_body(void *arg, void **result)
{
    struct caller *c = arg;
    c->rc = cio_loop_group_call(c->g, 1, c->fn, NULL, &c->value);
    return 0;
}

static int main_calls(void *arg, void **result)
{
    cio_loop_group_t *g = arg;
    if (cio_loop_group_index() != 0)
        return 0; /* loop 1 ends its main at once and still serves calls */
    void *v = NULL;
    CHECK_RC(cio_sleep(0.01), 0);
    CHECK_RC(cio_loop_group_call(g, 1, where, (void *)(intptr_t)2, &v), 0);
    CHECK_INT((intptr_t)v, 201);
    CHECK_RC(cio_loop_group_call(g, 0, where, (void *)(intptr_t)3, &v), 0); /* its own loop */
    CHECK_INT((intptr_t)v, 300);
    CHECK_RC(cio_loop_group_call(g, 2, where, NULL, &v), -EINVAL);

    /* Cancelling the caller cancels the remote task. */
    struct caller c = {g, remote_sleeps, 1, NULL};
    cio_task_t *t = cio_create_task(call_body, &c);
    CHECK_RC(cio_sleep(0.02), 0);
    cio_task_cancel(t, NULL);
    CHECK_RC(cio_await(t, NULL), 0);
    cio_unref(t);
    CHECK_RC(c.rc, -ECANCELED);
    CHECK_INT(atomic_load(&remote_saw_cancel), 1);

    /* A remote task that ignores the cancel still delivers its result. */
    c = (struct caller){g, remote_ignores_cancel, 1, NULL};
    t = cio_create_task(call_body, &c);
    CHECK_RC(cio_sleep(0.02), 0);
    cio_task_cancel(t, NULL);
    CHECK_RC(cio_await(t, NULL), 0);
    cio_unref(t);
    CHECK_RC(c.rc, 0);
    CHECK_INT((intptr_t)c.value, 42);

    /* Cancelled on its own loop: -ECANCELED here. */
    CHECK_RC(cio_loop_group_call(g, 1, remote_cancels_itself, NULL, NULL), -ECANCELED);
    /* A failure comes back with its message. */
    return cio_loop_group_call(g, 1, remote_fails, "no", NULL);
}

static void t_calls_across_loops(void)
{
    reset();
    atomic_store(&remote_saw_cancel, 0);
    cio_loop_group_t *g;
    cio_loop_group_opts_t o = {2, 0, 0};
    CHECK_RC(cio_loop_group_new(&o, &g), 0);
    CHECK_RC(cio_loop_group_run(g, main_calls, g), -EPROTO);
    CHECK_STR(cio_loop_group_error_message(g), "remote said no");
    CHECK_RC(cio_loop_group_free(g), 0);
}

/* Many calls both ways with timeouts cancelling a part of them: each ends
 * with the remote outcome or -ETIMEDOUT, nothing hangs or leaks. */
static int remote_maybe_sleeps(void *arg, void **result)
{
    intptr_t i = (intptr_t)arg;
    if (i % 3 == 0) {
        int rc = cio_sleep(0.002);
        if (rc < 0)
            return rc;
    }
    *result = (void *)(i + 1);
    return 0;
}

static int main_call_stress(void *arg, void **result)
{
    cio_loop_group_t *g = arg;
    int other = 1 - cio_loop_group_index(), ok = 0, timeouts = 0;
    for (intptr_t i = 0; i < TEST_CROWD(600); i++) {
        cio_timeout_t to;
        void *v = NULL;
        int rc = cio_timeout_enter(&to, i % 2 ? 0.001 : 10.0);
        if (rc == 0)
            rc = cio_timeout_exit(&to, cio_loop_group_call(g, other, remote_maybe_sleeps, (void *)i, &v));
        if (rc == 0) {
            CHECK_INT((intptr_t)v, i + 1);
            ok++;
        } else if (rc == -ETIMEDOUT) {
            timeouts++;
        } else {
            FAILF("call: %s", cio_err_name(rc));
            return rc;
        }
    }
    CHECK(ok >= TEST_CROWD(600) / 2);
    return 0;
}

static void t_call_stress_with_cancels(void)
{
    cio_loop_group_t *g;
    cio_loop_group_opts_t o = {2, 0, 0};
    CHECK_RC(cio_loop_group_new(&o, &g), 0);
    CHECK_RC(cio_loop_group_run(g, main_call_stress, g), 0);
    CHECK_RC(cio_loop_group_free(g), 0);
}

/* ------------------------------------------------- servers over the group */

static atomic_int served_by[4];

static int echo_index(cio_stream_t *s, void *arg)
{
    char line[64];
    ssize_t n;
    while ((n = cio_stream_readline(s, line, sizeof line)) > 0) {
        int i = cio_loop_group_index();
        atomic_fetch_add(&served_by[i], 1);
        char out[80];
        int k = snprintf(out, sizeof out, "%d %.*s", i, (int)n, line);
        int rc = cio_stream_write(s, out, (size_t)k);
        if (rc == 0)
            rc = cio_stream_drain(s);
        if (rc < 0)
            return rc;
    }
    return 0;
}

struct client {
    int port, index, ok;
};

static int client(void *arg, void **result)
{
    struct client *c = arg;
    cio_stream_t *s;
    int rc = cio_open_connection("127.0.0.1", c->port, &s);
    if (rc < 0)
        return rc;
    char msg[32], line[64];
    int k = snprintf(msg, sizeof msg, "hello %d\n", c->index);
    rc = cio_stream_write(s, msg, (size_t)k);
    /* Bounded: under the allocation sweep a connection may find no handler. */
    cio_timeout_t to;
    ssize_t n = rc;
    if (rc == 0 && (rc = cio_timeout_enter(&to, 3.0)) == 0) {
        n = cio_stream_readline(s, line, sizeof line);
        n = cio_timeout_exit(&to, n < 0 ? (int)n : 0) < 0 ? -ETIMEDOUT : n;
    } else if (rc < 0) {
        n = rc;
    }
    if (n > 2 && (size_t)n == (size_t)k + 2 && memcmp(line + 2, msg, (size_t)k) == 0)
        c->ok = 1;
    cio_stream_close(s);
    cio_stream_wait_closed(s);
    cio_unref(s);
    return n < 0 ? (int)n : 0;
}

enum { NCLIENTS = 48 };

static int main_server(void *arg, void **result)
{
    cio_loop_group_t *g = arg;
    if (cio_loop_group_index() != 0)
        return 0; /* the other loops serve until loop 0's main ends */
    cio_loop_group_server_t *gs = NULL;
    int rc = cio_loop_group_start_server(g, echo_index, NULL, "127.0.0.1", 0, NULL, &gs);
    CHECK_RC(rc, 0);
    if (rc < 0)
        return rc;
    int port = cio_loop_group_server_port(gs);
    CHECK(port > 0);
    struct client cs[NCLIENTS];
    cio_task_t *ts[NCLIENTS];
    for (int i = 0; i < NCLIENTS; i++) {
        cs[i] = (struct client){port, i, 0};
        ts[i] = cio_create_task(client, &cs[i]);
    }
    int ok = 0;
    for (int i = 0; i < NCLIENTS; i++) {
        if (!ts[i])
            continue;
        CHECK_RC(cio_await(ts[i], NULL), 0);
        cio_unref(ts[i]);
        ok += cs[i].ok;
    }
    CHECK_INT(ok, NCLIENTS); /* every connection answered */
    CHECK_RC(cio_loop_group_server_close(gs), 0);
    CHECK_RC(cio_loop_group_server_close_clients(gs), 0);
    CHECK_RC(cio_loop_group_server_wait_closed(gs), 0);
    cio_stream_t *s;
    rc = cio_open_connection("127.0.0.1", port, &s);
    CHECK(rc < 0); /* nobody listens */
    if (rc == 0) {
        cio_stream_abort(s);
        cio_unref(s);
    }
    CHECK_RC(cio_loop_group_server_free(gs), 0);
    return 0;
}

static void t_server_over_the_group(void)
{
    for (int i = 0; i < 4; i++)
        atomic_store(&served_by[i], 0);
    cio_loop_group_t *g;
    cio_loop_group_opts_t o = {2, 0, 0};
    CHECK_RC(cio_loop_group_new(&o, &g), 0);
    CHECK_RC(cio_loop_group_run(g, main_server, g), 0);
    CHECK_INT(atomic_load(&served_by[0]) + atomic_load(&served_by[1]), NCLIENTS);
    /* SO_REUSEPORT spreads by a hash of the addresses: with 48 connections
     * both loops get some (all on one: a chance of 2^-47). */
    CHECK(atomic_load(&served_by[0]) > 0);
    CHECK(atomic_load(&served_by[1]) > 0);
    CHECK_RC(cio_loop_group_free(g), 0);
}

static int body_call_outside(void *arg, void **result)
{
    return 0;
}

static int cb_call(void *arg)
{
    CHECK_RC(cio_loop_group_call(arg, 0, body_call_outside, NULL, NULL), CIO_ENOTASK);
    return 0;
}

static int main_bad(void *arg, void **result)
{
    cio_loop_group_t *g = arg;
    cio_loop_t *loop;
    CHECK_RC(cio_get_running_loop(&loop), 0);
    CHECK_RC(cio_call_soon(loop, cb_call, g, NULL), 0);
    CHECK_RC(cio_sleep(0), 0);
    CHECK_RC(cio_loop_group_run(g, main_mark, g), -EBUSY);
    CHECK_RC(cio_loop_group_free(g), -EBUSY);
    CHECK_RC(cio_loop_group_call(g, -1, body_call_outside, NULL, NULL), -EINVAL);
    CHECK_RC(cio_loop_group_call(g, 0, NULL, NULL, NULL), -EINVAL);
    cio_loop_group_server_t *gs = (cio_loop_group_server_t *)1;
    CHECK_RC(cio_loop_group_start_server(g, NULL, NULL, "127.0.0.1", 0, NULL, &gs), -EINVAL);
    CHECK(gs == NULL);
    CHECK_RC(cio_loop_group_start_server(g, echo_index, NULL, "127.0.0.1", 70000, NULL, &gs), -EINVAL);
    CHECK_RC(cio_loop_group_server_close(NULL), -EINVAL);
    CHECK_RC(cio_loop_group_server_wait_closed(NULL), -EINVAL);
    CHECK_RC(cio_loop_group_server_free(NULL), -EINVAL);
    CHECK_RC(cio_loop_group_server_port(NULL), -EINVAL);
    return 0;
}

static void t_bad_input(void)
{
    cio_loop_group_t *g = (cio_loop_group_t *)1;
    cio_loop_group_opts_t o = {-1, 0, 0};
    CHECK_RC(cio_loop_group_new(&o, &g), -EINVAL);
    CHECK(g == NULL);
    o.nloops = CIO_LOOP_GROUP_MAX + 1;
    CHECK_RC(cio_loop_group_new(&o, &g), -EINVAL);
    CHECK_RC(cio_loop_group_new(NULL, NULL), -EINVAL);
    CHECK_RC(cio_loop_group_free(NULL), -EINVAL);
    CHECK_RC(cio_loop_group_size(NULL), -EINVAL);
    CHECK_RC(cio_loop_group_stop(NULL), -EINVAL);
    CHECK_RC(cio_loop_group_run(NULL, main_mark, NULL), -EINVAL);
    CHECK(cio_loop_group_error_message(NULL) == NULL);
    o.nloops = 1;
    CHECK_RC(cio_loop_group_new(&o, &g), 0);
    CHECK_RC(cio_loop_group_run(g, NULL, NULL), -EINVAL);
    cio_coro_fn *fns[1] = {NULL};
    CHECK_RC(cio_loop_group_run_each(g, fns, NULL), -EINVAL);
    CHECK_RC(cio_loop_group_run_each(g, NULL, NULL), -EINVAL);
    cio_loop_t *loop = (cio_loop_t *)1;
    CHECK_RC(cio_loop_group_get_loop(g, 0, &loop), CIO_ELOOPCLOSED); /* not running */
    CHECK(loop == NULL);
    CHECK_RC(cio_loop_group_get_loop(g, 1, &loop), -EINVAL);
    /* Awaiting a call outside a task: from a plain thread, from a callback. */
    CHECK_RC(cio_loop_group_call(g, 0, body_call_outside, NULL, NULL), CIO_ENOTASK);
    CHECK_RC(cio_loop_group_run(g, main_bad, g), 0);
    CHECK_RC(cio_loop_group_free(g), 0);
}

static const struct test_case cases[] = {
    TEST(t_every_loop_runs_its_main),
    TEST(t_default_one_loop_per_cpu),
    TEST(t_first_failure_cancels_the_others),
    TEST(t_stop_from_another_thread),
    TEST(t_ctrl_c_stops_every_loop),
    TEST(t_calls_across_loops),
    TEST(t_call_stress_with_cancels),
    TEST(t_server_over_the_group),
    TEST(t_bad_input),
};

int main(int argc, char **argv)
{
    return run_tests(argc, argv, cases, NCASES(cases));
}
