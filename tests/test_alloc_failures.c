/* Out of memory, everywhere: workloads over every module (loop, futures,
 * tasks, composition, synchronization, queues, generators, the thread pool,
 * DNS, streams, servers, transports, UDP, subprocesses, signals), each
 * written the way a careful user writes it: every call checked, the first
 * error returned, every child awaited before its arguments go out of scope,
 * every object released.
 *
 * Run plainly, each workload must succeed with the right results.  Run by
 * the allocation sweep (CIO_FAULT_SWEEP=1, tests/harness.h), once per
 * allocation it makes with exactly that allocation failing, each run must
 * end either in success with the right results (the library absorbed the
 * failure) or with -ENOMEM reaching the workload's caller — or, for a
 * failure on the server side of a connection, where nobody is waiting,
 * with -ENOMEM handed to the loop's exception handler.  Anything else (a
 * different error, a wrong result, a leak, a crash, a hang) fails the sweep:
 * this file is swept strictly. */
#define TEST_SWEEP_STRICT 1
#include "harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <unistd.h>

/* A failure of the library seen where nobody awaits it (a server's accept or
 * a connection's handler) goes to the exception handler. */
static int handler_saw_enomem;
static void nomem_handler(cio_loop_t *loop, const cio_exc_context_t *ctx, void *ud)
{
    (void)loop;
    (void)ud;
    if (ctx->error == -ENOMEM)
        handler_saw_enomem = 1;
}

/* The verdict on a workload's outcome. */
static void outcome(int rc, const char *what)
{
    if (rc == 0)
        return;
    if (rc == -ENOMEM || (handler_saw_enomem && test_sweeping)) {
        test_saw_enomem = 1;
        return;
    }
    FAILF("%s: %d (%s), expected success or out of memory", what, rc, cio_err_name(rc));
}

/* Every workload runs with that handler on its loop. */
struct workload {
    cio_coro_fn *fn;
};

static int workload_main(void *arg, void **result)
{
    cio_loop_t *loop = NULL;
    int rc = cio_get_running_loop(&loop);
    if (rc < 0)
        return rc;
    cio_loop_set_exception_handler(loop, nomem_handler, NULL);
    return ((struct workload *)arg)->fn(NULL, result);
}

static int run_workload(cio_coro_fn *fn)
{
    struct workload w = {fn};
    handler_saw_enomem = 0;
    return run_limited(workload_main, &w, NULL);
}

#define TRY(expr)                  \
    do {                           \
        rc = (expr);               \
        if (rc < 0)                \
            goto out;              \
    } while (0)

/* Children: created in order, then all awaited, also on the error path. */
struct kids {
    cio_task_t *t[16];
    int n;
};

static int kids_spawn(struct kids *k, cio_coro_fn *fn, void *arg)
{
    cio_task_t *t = cio_create_task(fn, arg);
    if (!t)
        return -ENOMEM;
    k->t[k->n++] = t;
    return 0;
}

/* Await every child: the first error among them, else 0. */
static int kids_await(struct kids *k)
{
    int rc = 0;
    for (int i = 0; i < k->n; i++) {
        int crc = cio_await(k->t[i], NULL);
        if (crc < 0 && rc == 0)
            rc = crc;
    }
    return rc;
}

/* Cancel (when rc < 0) and await every child; release them. */
static void kids_reap(struct kids *k, int rc)
{
    for (int i = 0; i < k->n; i++) {
        if (rc < 0)
            cio_task_cancel(k->t[i], NULL);
        cio_await(k->t[i], NULL);
        cio_unref(k->t[i]);
    }
    k->n = 0;
}

static int value_after(void *arg, void **result)
{
    intptr_t v = (intptr_t)arg;
    int rc = cio_sleep(v % 2 ? 0.001 : 0);
    if (rc < 0)
        return rc;
    *result = (void *)(v * v);
    return 0;
}

static int sleeper(void *arg, void **result)
{
    (void)result;
    return cio_sleep(*(double *)arg);
}

/* ------------------------------------------------ loop, futures, tasks */

static int set_result_cb(void *arg)
{
    return cio_future_set_result(arg, (void *)42);
}

static int w_core(void *arg, void **result)
{
    (void)arg;
    (void)result;
    cio_loop_t *loop = NULL;
    cio_future_t *f = NULL;
    cio_handle_t *h = NULL;
    struct kids k = {.n = 0};
    int rc = cio_get_running_loop(&loop);
    if (rc < 0)
        return rc;
    TRY(cio_loop_create_future(loop, &f));
    TRY(cio_call_later(loop, 0.001, set_result_cb, f, &h));
    void *v = NULL;
    TRY(cio_await(f, &v));
    if (v != (void *)42)
        return -EBADMSG;
    TRY(cio_sleep(0));
    for (intptr_t i = 1; i <= 4; i++)
        TRY(kids_spawn(&k, value_after, (void *)i));
    void *vals[4];
    TRY(cio_gather((cio_future_t *const *)k.t, 4, vals, NULL, 0));
    for (intptr_t i = 1; i <= 4; i++)
        if (vals[i - 1] != (void *)(i * i))
            rc = -EBADMSG;
out:
    kids_reap(&k, rc);
    if (h)
        cio_unref(h);
    if (f)
        cio_unref(f);
    return rc;
}

static void t_core(void) { outcome(run_workload(w_core), "futures, call_later, tasks, gather"); }

/* ------------------------------------------------------- composition */

static int w_compose(void *arg, void **result)
{
    (void)arg;
    (void)result;
    int rc = 0;
    struct kids k = {.n = 0};
    cio_as_completed_t *it = NULL;
    cio_taskgroup_t *tg = NULL;
    double long_sleep = 10, short_sleep = 0.001;
    void *v;

    /* wait FIRST_COMPLETED: the short one done, the long one pending. */
    TRY(kids_spawn(&k, sleeper, &short_sleep));
    TRY(kids_spawn(&k, sleeper, &long_sleep));
    cio_future_t *done[2], *pending[2];
    size_t nd = 0, np = 0;
    TRY(cio_wait((cio_future_t *const *)k.t, 2, 5.0, CIO_FIRST_COMPLETED, done, &nd, pending, &np));
    if (nd != 1 || np != 1 || done[0] != (cio_future_t *)k.t[0])
        rc = -EBADMSG;
    kids_reap(&k, -ECANCELED); /* the long one cancelled */
    if (rc < 0)
        goto out;

    /* wait_for: in time, and a timeout. */
    TRY(kids_spawn(&k, value_after, (void *)3));
    rc = cio_wait_for(k.t[0], 5.0, &v);
    if (rc == 0 && v != (void *)9)
        rc = -EBADMSG;
    kids_reap(&k, rc);
    if (rc < 0)
        goto out;
    TRY(kids_spawn(&k, sleeper, &long_sleep));
    rc = cio_wait_for(k.t[0], 0.005, NULL);
    kids_reap(&k, rc == -ETIMEDOUT ? 0 : rc);
    if (rc != -ETIMEDOUT)
        goto out;

    /* as_completed over three. */
    for (intptr_t i = 1; i <= 3; i++)
        TRY(kids_spawn(&k, value_after, (void *)i));
    TRY(cio_as_completed_new((cio_future_t *const *)k.t, 3, 5.0, &it));
    int seen = 0;
    cio_future_t *next;
    while ((rc = cio_as_completed_next(it, &next)) == 1)
        seen++;
    if (rc < 0)
        goto out;
    if (seen != 3)
        rc = -EBADMSG;
    cio_as_completed_free(it);
    it = NULL;
    kids_reap(&k, rc);
    if (rc < 0)
        goto out;

    /* shield of a done-soon task. */
    TRY(kids_spawn(&k, value_after, (void *)5));
    rc = cio_shield(k.t[0], &v);
    if (rc == 0 && v != (void *)25)
        rc = -EBADMSG;
    kids_reap(&k, rc);
    if (rc < 0)
        goto out;

    /* A timeout scope that expires. */
    cio_timeout_t to;
    TRY(cio_timeout_enter(&to, 0.005));
    rc = cio_timeout_exit(&to, cio_sleep(10));
    if (rc != -ETIMEDOUT)
        goto out;

    /* A task group of three. */
    tg = cio_taskgroup_new();
    if (!tg) {
        rc = -ENOMEM;
        goto out;
    }
    rc = 0;
    for (intptr_t i = 1; i <= 3 && rc == 0; i++)
        rc = cio_taskgroup_create_task_ex(tg, value_after, (void *)i, NULL, NULL);
    int wrc = cio_taskgroup_exit(tg, rc);
    if (rc == 0 && wrc == CIO_ETASKGROUP) { /* a child's -ENOMEM is listed */
        int code = 0;
        for (int i = 0; i < cio_taskgroup_error_count(tg); i++)
            if (cio_taskgroup_error(tg, i, &code, NULL, NULL) == 0 && code != -ENOMEM)
                wrc = code;
        if (wrc == CIO_ETASKGROUP)
            wrc = -ENOMEM;
    }
    if (rc == 0)
        rc = wrc;
out:
    if (it)
        cio_as_completed_free(it);
    kids_reap(&k, rc);
    if (tg)
        cio_taskgroup_free(tg);
    return rc == -ETIMEDOUT ? 0 : rc;
}

static void t_compose(void) { outcome(run_workload(w_compose), "wait, wait_for, as_completed, shield, timeout, taskgroup"); }

/* ------------------------------------------- sync, queues, generators */

struct pc {
    cio_queue_t q;
    cio_lock_t lock;
    cio_event_t ev;
    long sum;
};

static int consumer(void *arg, void **result)
{
    (void)result;
    struct pc *p = arg;
    for (;;) {
        void *item;
        int rc = cio_queue_get(&p->q, &item);
        if (rc == CIO_EQUEUESHUTDOWN)
            return 0;
        if (rc < 0)
            return rc;
        rc = cio_lock_acquire(&p->lock);
        if (rc < 0)
            return rc;
        p->sum += (long)(intptr_t)item;
        cio_lock_release(&p->lock);
    }
}

static int counter_gen(void *arg, void **result)
{
    (void)result;
    for (intptr_t i = 1; i <= *(int *)arg; i++) {
        int rc = cio_gen_yield((void *)i, NULL);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int w_sync(void *arg, void **result)
{
    (void)arg;
    (void)result;
    struct pc p = {.sum = 0};
    struct kids k = {.n = 0};
    cio_gen_t *g = NULL;
    int rc, queue_ready = 0;
    TRY(cio_queue_init(&p.q, 2));
    queue_ready = 1;
    TRY(cio_lock_init(&p.lock));
    TRY(cio_event_init(&p.ev));
    TRY(kids_spawn(&k, consumer, &p));
    TRY(kids_spawn(&k, consumer, &p));
    for (intptr_t i = 1; i <= 10; i++)
        TRY(cio_queue_put(&p.q, (void *)i));
    TRY(cio_queue_shutdown(&p.q, 0, NULL, NULL));
    TRY(kids_await(&k));
    if (p.sum != 55)
        rc = -EBADMSG;
    /* A generator, driven to its end. */
    int n = 4;
    TRY(cio_gen_new(counter_gen, &n, &g));
    long gsum = 0;
    void *v;
    while ((rc = cio_gen_next(g, &v)) == 0)
        gsum += (long)(intptr_t)v;
    if (rc == CIO_ESTOPITERATION)
        rc = gsum == 10 ? 0 : -EBADMSG;
out:
    if (queue_ready)
        cio_queue_shutdown(&p.q, 1, NULL, NULL);
    kids_reap(&k, rc);
    if (queue_ready)
        cio_queue_destroy(&p.q);
    if (g) {
        cio_gen_close(g);
        cio_gen_free(g);
    }
    return rc;
}

static void t_sync_queue_gen(void) { outcome(run_workload(w_sync), "queue, lock, generator"); }

/* ------------------------------------------------- threads, DNS */

static int blocking_square(void *arg, void **result)
{
    intptr_t v = (intptr_t)arg;
    *result = (void *)(v * v);
    return 0;
}

struct ts_arg {
    cio_loop_t *loop;
    int rc;
    void *value;
};

static void *ts_thread(void *arg)
{
    struct ts_arg *a = arg;
    cio_tsfuture_t *f = NULL;
    int rc = cio_run_coroutine_threadsafe(a->loop, value_after, (void *)7, &f);
    if (rc == 0) {
        rc = cio_tsfuture_wait(f, 10.0, &a->value);
        cio_tsfuture_free(f);
    }
    __atomic_store_n(&a->rc, rc, __ATOMIC_RELEASE);
    return NULL;
}

static int w_threads(void *arg, void **result)
{
    (void)arg;
    (void)result;
    void *v = NULL;
    int rc = cio_to_thread(blocking_square, (void *)6, &v);
    if (rc < 0)
        return rc;
    if (v != (void *)36)
        return -EBADMSG;
    struct ts_arg a = {.rc = -1};
    rc = cio_get_running_loop(&a.loop);
    if (rc < 0)
        return rc;
    pthread_t th;
    if (pthread_create(&th, NULL, ts_thread, &a) != 0)
        return -EAGAIN;
    /* Keep the loop turning while the thread waits on it. */
    for (int i = 0; i < 5000 && __atomic_load_n(&a.rc, __ATOMIC_ACQUIRE) == -1; i++)
        if ((rc = cio_sleep(0.002)) < 0)
            break;
    pthread_join(th, NULL);
    if (rc < 0)
        return rc;
    if (a.rc < 0)
        return a.rc;
    if (a.value != (void *)49)
        return -EBADMSG;
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    rc = cio_getaddrinfo("localhost", "80", &hints, &res);
    if (rc < 0)
        return rc;
    freeaddrinfo(res);
    return 0;
}

static void t_threads_and_dns(void) { outcome(run_workload(w_threads), "to_thread, run_coroutine_threadsafe, getaddrinfo"); }

/* ------------------------------------------------------- streams */

static int echo_lines(cio_stream_t *s, void *arg)
{
    (void)arg;
    char line[128];
    ssize_t n;
    while ((n = cio_stream_readline(s, line, sizeof line)) > 0) {
        int rc = cio_stream_write(s, line, (size_t)n);
        if (rc < 0)
            return rc;
        rc = cio_stream_drain(s);
        if (rc < 0)
            return rc;
    }
    return n < 0 && n != CIO_ECLOSED ? (int)n : 0;
}

static int one_client(void *arg, void **result)
{
    (void)result;
    int port = (int)(intptr_t)arg;
    cio_stream_t *s = NULL;
    int rc = cio_open_connection("127.0.0.1", port, &s);
    if (rc < 0)
        return rc;
    char buf[128];
    for (int i = 0; i < 3 && rc >= 0; i++) {
        char msg[32];
        int len = snprintf(msg, sizeof msg, "line %d\n", i);
        rc = cio_stream_write(s, msg, (size_t)len);
        if (rc < 0)
            break;
        ssize_t n = cio_stream_readline(s, buf, sizeof buf);
        if (n < 0)
            rc = (int)n;
        else if (n != len || memcmp(buf, msg, (size_t)len) != 0)
            rc = n == 0 ? -ECONNRESET : -EBADMSG; /* EOF: the server side was dropped */
    }
    cio_stream_close(s);
    int crc = cio_stream_wait_closed(s);
    cio_unref(s);
    return rc < 0 ? rc : crc;
}

static int w_streams(void *arg, void **result)
{
    (void)arg;
    (void)result;
    int rc = 0;
    cio_server_t *sv = NULL;
    struct kids k = {.n = 0};
    TRY(cio_start_server(echo_lines, NULL, "127.0.0.1", 0, NULL, &sv));
    for (int i = 0; i < 3; i++)
        TRY(kids_spawn(&k, one_client, (void *)(intptr_t)cio_server_port(sv)));
    rc = kids_await(&k);
out:
    kids_reap(&k, rc);
    if (sv) {
        cio_server_close(sv);
        cio_server_close_clients(sv);
        int wrc = cio_server_wait_closed(sv);
        if (wrc < 0 && rc >= 0)
            rc = wrc;
        cio_unref(sv);
    }
    return rc;
}

static void t_streams_and_server(void) { outcome(run_workload(w_streams), "start_server, open_connection, echo"); }

/* ------------------------------------------------ transports, UDP */

struct proto_state {
    int made, lost, lost_err;
    size_t got;
    char buf[64];
};

static void p_made(cio_transport_t *t, void *ud)
{
    (void)t;
    ((struct proto_state *)ud)->made++;
}
static void p_data(cio_transport_t *t, const void *data, size_t n, void *ud)
{
    struct proto_state *p = ud;
    if (p->got + n <= sizeof p->buf)
        memcpy(p->buf + p->got, data, n);
    p->got += n;
    (void)t;
}
static void p_lost(cio_transport_t *t, int err, void *ud)
{
    (void)t;
    struct proto_state *p = ud;
    p->lost++;
    p->lost_err = err;
}
/* The server's side: nobody awaits it, so what it meets is seen in its
 * callbacks (a write's return, connection_lost). */
static void srv_data(cio_transport_t *t, const void *data, size_t n, void *ud)
{
    (void)ud;
    if (cio_transport_write(t, data, n) == -ENOMEM) {
        handler_saw_enomem = 1;
        cio_transport_abort(t);
    }
}
static void srv_lost(cio_transport_t *t, int err, void *ud)
{
    (void)t;
    (void)ud;
    if (err == -ENOMEM)
        handler_saw_enomem = 1;
}
static void dg_recv(cio_transport_t *t, const void *data, size_t n, const struct sockaddr *addr, socklen_t alen,
                    void *ud)
{
    (void)t;
    (void)addr;
    (void)alen;
    p_data(t, data, n, ud);
}

static int w_transports(void *arg, void **result)
{
    (void)arg;
    (void)result;
    int rc = 0;
    static const cio_protocol_t srv = {.data_received = srv_data, .connection_lost = srv_lost};
    static const cio_protocol_t cli = {.connection_made = p_made, .data_received = p_data, .connection_lost = p_lost};
    static const cio_protocol_t dg = {.datagram_received = dg_recv};
    struct proto_state cs = {0}, rs = {0};
    cio_server_t *sv = NULL;
    cio_transport_t *t = NULL, *rx = NULL, *tx = NULL;
    TRY(cio_create_server(&srv, NULL, "127.0.0.1", 0, NULL, &sv));
    TRY(cio_create_connection(&cli, &cs, "127.0.0.1", cio_server_port(sv), NULL, &t));
    TRY(cio_transport_write(t, "ping", 4));
    for (int i = 0; i < 2500 && cs.got < 4 && !cs.lost; i++)
        TRY(cio_sleep(0.002));
    if (cs.got != 4 || memcmp(cs.buf, "ping", 4) != 0) {
        rc = cs.lost && cs.lost_err ? cs.lost_err : -ECONNRESET;
        goto out;
    }
    /* UDP: one datagram across. */
    cio_dgram_opts_t ro = {.local_host = "127.0.0.1"};
    TRY(cio_create_datagram_endpoint(&dg, &rs, &ro, &rx));
    struct sockaddr_storage ra;
    socklen_t ral = sizeof ra;
    TRY(cio_transport_sockname(rx, &ra, &ral));
    cio_dgram_opts_t so = {.remote_host = "127.0.0.1", .remote_port = ntohs(((struct sockaddr_in *)&ra)->sin_port)};
    TRY(cio_create_datagram_endpoint(&dg, NULL, &so, &tx));
    TRY(cio_transport_sendto(tx, "dgram", 5, NULL, 0));
    for (int i = 0; i < 2500 && rs.got < 5; i++)
        TRY(cio_sleep(0.002));
    if (rs.got != 5 || memcmp(rs.buf, "dgram", 5) != 0)
        rc = -EBADMSG;
out:
    if (t) {
        cio_transport_close(t);
        cio_unref(t);
    }
    if (tx) {
        cio_transport_close(tx);
        cio_unref(tx);
    }
    if (rx) {
        cio_transport_close(rx);
        cio_unref(rx);
    }
    if (sv) {
        cio_server_close(sv);
        cio_server_abort_clients(sv);
        int wrc = cio_server_wait_closed(sv);
        if (wrc < 0 && rc >= 0)
            rc = wrc;
        cio_unref(sv);
    }
    return rc;
}

static void t_transports_and_udp(void) { outcome(run_workload(w_transports), "create_server, create_connection, UDP"); }

/* ---------------------------------------------- subprocess, signals */

static int got_usr1;
static int on_usr1(void *arg)
{
    (void)arg;
    got_usr1++;
    return 0;
}

static int w_process(void *arg, void **result)
{
    (void)arg;
    (void)result;
    cio_loop_t *loop = NULL;
    int rc = cio_get_running_loop(&loop);
    if (rc < 0)
        return rc;
    cio_process_t *p = NULL;
    char *out = NULL, *err = NULL;
    size_t outlen = 0, errlen = 0;
    int status = -1, have_handler = 0;
    static const char *const argv[] = {"cat", NULL};
    cio_process_opts_t o = {.stdin_mode = CIO_STDIO_PIPE, .stdout_mode = CIO_STDIO_PIPE};
    TRY(cio_create_subprocess_exec(argv, &o, &p));
    TRY(cio_process_communicate(p, "through cat", 11, &out, &outlen, &err, &errlen));
    TRY(cio_process_returncode(p, &status));
    if (status != 0 || outlen != 11 || memcmp(out, "through cat", 11) != 0) {
        rc = -EBADMSG;
        goto out;
    }
    got_usr1 = 0;
    TRY(cio_loop_add_signal_handler(loop, SIGUSR1, on_usr1, NULL));
    have_handler = 1;
    raise(SIGUSR1);
    for (int i = 0; i < 2500 && !got_usr1; i++)
        TRY(cio_sleep(0.002));
    if (got_usr1 != 1)
        rc = -EBADMSG;
out:
    if (have_handler)
        cio_loop_remove_signal_handler(loop, SIGUSR1);
    cio_free(out);
    cio_free(err);
    if (p) {
        if (status < 0) { /* not reaped: end it */
            cio_process_kill(p);
            cio_process_wait(p, NULL);
        }
        cio_unref(p);
    }
    return rc;
}

static void t_process_and_signal(void) { outcome(run_workload(w_process), "subprocess through cat, a signal handler"); }

static const struct test_case cases[] = {
    TEST(t_core),
    TEST(t_compose),
    TEST(t_sync_queue_gen),
    TEST(t_threads_and_dns),
    TEST(t_streams_and_server),
    TEST(t_transports_and_udp),
    TEST(t_process_and_signal),
};

int main(int argc, char **argv)
{
    signal(SIGUSR1, SIG_IGN);
    return run_tests(argc, argv, cases, NCASES(cases));
}
