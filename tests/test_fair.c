/* The I/O path under load, as a user of a server sees it:
 *   - fairness: a client that pipelines lines and reads its echoes as fast
 *     as it can never keeps the loop from the others: a probe connection's
 *     round trips and a timer stay prompt, against a streams server and a
 *     protocol server, and the flood's bytes all come back, in order;
 *   - gathered writes: replies written during one iteration leave together
 *     (the client sees them in few segments), in order, whole;
 *   - graceful shutdown with a deadline (cio_server_shutdown), and a
 *     server process that exits on Ctrl-C with a client still connected;
 *   - memory back after a spike of 10,000 connections. */
#include "harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(CIO_TEST_SANITIZED) || defined(CIO_TEST_TSAN)
#define SLOW_BUILD 1
#else
#define SLOW_BUILD 0
#endif
/* The bound on a probe's round trip and a timer's lateness under the flood:
 * generous (the flood alone would hold the loop for its whole duration). */
#define PROBE_BOUND (SLOW_BUILD ? 1.0 : 0.2)

static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* ------------------------------------------------------------ the flood */

/* Byte k of the flood: 1 KiB lines of letters. */
static char flood_byte(uint64_t k)
{
    return k % 1024 == 1023 ? '\n' : (char)('a' + (k / 1024 + k) % 26);
}

struct flood {
    int port;
    double secs;
    atomic_long echoed;   /* bytes echoed back so far */
    atomic_int started, done;
    uint64_t sent;
    int mismatch, failed;
    pthread_t th;
};

/* Pipelines lines (up to 512 KiB in flight) and reads the echoes as fast as
 * it can, never letting its receive buffer fill; checks every byte. */
static void *flood_main(void *arg)
{
    struct flood *f = arg;
    int fd = connect_to(f->port);
    if (fd < 0) {
        f->failed = 1;
        atomic_store(&f->started, 1);
        atomic_store(&f->done, 1);
        return NULL;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    char out[16384], in[65536];
    uint64_t recvd = 0;
    double t0 = now_s(), end = t0 + f->secs, give_up = end + 10.0;
    atomic_store(&f->started, 1);
    for (;;) {
        double t = now_s();
        int sending = t < end || f->sent % 1024 != 0; /* whole lines only */
        if (!sending && recvd == f->sent)
            break;
        if (t > give_up) {
            f->failed = 2;
            break;
        }
        struct pollfd p = {fd, POLLIN | (sending && f->sent - recvd < 512 * 1024 ? POLLOUT : 0), 0};
        if (poll(&p, 1, 50) < 0)
            continue;
        if (p.revents & POLLOUT) {
            for (size_t i = 0; i < sizeof out; i++)
                out[i] = flood_byte(f->sent + i);
            ssize_t n = send(fd, out, sizeof out, MSG_NOSIGNAL);
            if (n > 0)
                f->sent += (uint64_t)n;
        }
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = recv(fd, in, sizeof in, 0);
            if (n <= 0 && !(n < 0 && errno == EAGAIN)) {
                f->failed = 3;
                break;
            }
            for (ssize_t i = 0; i < n; i++)
                if (in[i] != flood_byte(recvd + (uint64_t)i))
                    f->mismatch = 1;
            if (n > 0) {
                recvd += (uint64_t)n;
                atomic_store(&f->echoed, (long)recvd);
            }
        }
    }
    close(fd);
    atomic_store(&f->done, 1);
    return NULL;
}

/* --------------------------------------------------------------- servers */

static int line_echo(cio_stream_t *s, void *arg)
{
    (void)arg;
    const char *line;
    ssize_t n;
    while ((n = cio_stream_readline_ref(s, &line)) > 0) {
        if (cio_stream_write(s, line, (size_t)n) < 0 || cio_stream_drain(s) < 0)
            break;
    }
    return 0;
}

static void proto_echo(cio_transport_t *t, const void *data, size_t n, void *ud)
{
    (void)ud;
    cio_transport_write(t, data, n);
}
static const cio_protocol_t echo_proto = {.data_received = proto_echo};

/* ------------------------------------------------------------ fairness */

struct fair_arg {
    int protocol;
};

static int m_fairness(void *argp, void **result)
{
    (void)result;
    struct fair_arg *a = argp;
    cio_server_t *sv = NULL;
    cio_stream_t *probe = NULL;
    struct flood f = {.secs = SLOW_BUILD ? 2.0 : 1.5};
    int rc = a->protocol ? cio_create_server(&echo_proto, NULL, "127.0.0.1", 0, NULL, &sv)
                         : cio_start_server(line_echo, NULL, "127.0.0.1", 0, NULL, &sv);
    REQ_OK(rc);
    f.port = cio_server_port(sv);
    REQ(pthread_create(&f.th, NULL, flood_main, &f) == 0);
    /* The flood is on before the probe begins. */
    while (atomic_load(&f.echoed) < 64 * 1024 && !f.failed && now_s() < 30)
        if (cio_sleep(0.001) < 0)
            break;
    rc = cio_open_connection("127.0.0.1", f.port, &probe);
    CHECK_RC(rc, 0);
    double max_rtt = 0, max_late = 0;
    int trips = 0;
    char line[128], want[65];
    memset(want, 'p', 63);
    want[63] = '\n';
    want[64] = 0;
    double stop = now_s() + f.secs * 0.6;
    while (rc == 0 && now_s() < stop) {
        double t0 = now_s();
        if ((rc = cio_sleep(0.01)) < 0)
            break;
        double late = now_s() - t0 - 0.01;
        if (late > max_late)
            max_late = late;
        t0 = now_s();
        if ((rc = cio_stream_write(probe, want, 64)) < 0)
            break;
        ssize_t n = cio_stream_readline(probe, line, sizeof line);
        if (n != 64) {
            CHECK_INT(n, 64);
            break;
        }
        CHECK(memcmp(line, want, 64) == 0);
        double rtt = now_s() - t0;
        if (rtt > max_rtt)
            max_rtt = rtt;
        trips++;
    }
    long during = atomic_load(&f.echoed);
    while (!atomic_load(&f.done)) /* the loop serves the flood to its end */
        cio_sleep(0.01);
    pthread_join(f.th, NULL);
    CHECK_INT(f.failed, 0);
    CHECK_INT(f.mismatch, 0);
    CHECK(during > 1024 * 1024); /* the flood was served meanwhile, too */
    CHECK(trips >= (SLOW_BUILD ? 3 : 20));
    if (max_rtt >= PROBE_BOUND || max_late >= PROBE_BOUND)
        FAILF("under the flood: probe round trip up to %.1f ms, timer late by up to %.1f ms (bound %.0f ms)",
              max_rtt * 1e3, max_late * 1e3, PROBE_BOUND * 1e3);
    fprintf(stderr, "  %s: %d probes, max rtt %.2f ms, max timer lateness %.2f ms, flood %.1f MB echoed\n",
            a->protocol ? "protocol" : "streams", trips, max_rtt * 1e3, max_late * 1e3, during / 1e6);
out:
    if (probe)
        cio_unref(probe);
    if (sv) {
        cio_server_close(sv);
        cio_server_close_clients(sv);
        cio_unref(sv);
    }
    return 0;
}

static void t_fair_streams_server(void)
{
    struct fair_arg a = {0};
    CHECK_RC(run_limited(m_fairness, &a, NULL), 0);
}

static void t_fair_protocol_server(void)
{
    struct fair_arg a = {1};
    CHECK_RC(run_limited(m_fairness, &a, NULL), 0);
}

/* --------------------------------------------------------- gathered writes */

/* 1,000 pipelined requests in one send: the guide's handler (readline,
 * write, drain) answers every one, whole and in order.  The segment count
 * below is only a loose bound (the kernel may merge small sends in the
 * receive queue before the client reads); the exact proof that the
 * replies of an iteration leave in one sendmsg is
 * t_replies_of_an_iteration_leave_in_one_send in test_syscall_faults.c. */
static int reply_handler(cio_stream_t *s, void *arg)
{
    (void)arg;
    char line[64], reply[80];
    ssize_t n;
    while ((n = cio_stream_readline(s, line, sizeof line - 1)) > 0) {
        line[n] = 0;
        int len = snprintf(reply, sizeof reply, "+%s", line);
        if (cio_stream_write(s, reply, (size_t)len) < 0 || cio_stream_drain(s) < 0)
            break;
    }
    return 0;
}

static int m_pipelined(void *arg, void **result)
{
    (void)arg;
    (void)result;
    cio_server_t *sv = NULL;
    int fd = -1;
    char *req = NULL, *got = NULL;
    const int N = 1000;
    REQ_OK(cio_start_server(reply_handler, NULL, "127.0.0.1", 0, NULL, &sv));
    fd = connect_to(cio_server_port(sv));
    REQ(fd >= 0);
    req = malloc((size_t)N * 16);
    got = malloc((size_t)N * 32);
    REQ(req && got);
    size_t len = 0;
    for (int i = 0; i < N; i++)
        len += (size_t)sprintf(req + len, "req%d\n", i);
    REQ(send(fd, req, len, 0) == (ssize_t)len);
    size_t want = len + (size_t)N, have = 0;
    int segments = 0;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    double until = now_s() + 10;
    while (have < want && now_s() < until) {
        ssize_t n = recv(fd, got + have, want - have, 0);
        if (n > 0) {
            have += (size_t)n;
            segments++;
        } else if (n == 0) {
            break;
        } else if (cio_sleep(0.001) < 0) {
            break;
        }
    }
    CHECK_INT(have, want);
    size_t off = 0;
    for (int i = 0; i < N && off < have; i++) {
        char exp[32];
        int l = sprintf(exp, "+req%d\n", i);
        if (memcmp(got + off, exp, (size_t)l) != 0) {
            FAILF("reply %d out of order or damaged", i);
            break;
        }
        off += (size_t)l;
    }
    /* A loose bound (see above): the replies arrived in few reads. */
    CHECK(segments <= N / 8);
    fprintf(stderr, "  %d replies read in %d recv calls\n", N, segments);
out:
    if (fd >= 0)
        close(fd);
    free(req);
    free(got);
    if (sv) {
        cio_server_close(sv);
        cio_unref(sv);
    }
    return 0;
}

static void t_pipelined_replies_gathered(void) { CHECK_RC(run_limited(m_pipelined, NULL, NULL), 0); }

/* Writes of every size through a socket with tiny buffers, the reader slow:
 * partial sends, gathered small writes, big writes sent at once, all in
 * order and whole; close flushes the rest before the EOF. */
static int take_and_check(int fd, size_t *seen, int until_eof)
{
    char in[3000];
    double give_up = now_s() + 10;
    for (;;) {
        ssize_t r = recv(fd, in, sizeof in, MSG_DONTWAIT);
        if (r > 0) {
            for (ssize_t k = 0; k < r; k++)
                if (in[k] != (char)((*seen + (size_t)k) * 7 % 251))
                    return -1;
            *seen += (size_t)r;
            if (!until_eof)
                return 0;
            continue;
        }
        if (r == 0 || !until_eof || now_s() > give_up)
            return 0;
        if (cio_sleep(0.001) < 0)
            return 0;
    }
}

static int m_tiny_buffers(void *arg, void **result)
{
    (void)arg;
    (void)result;
    int sv[2] = {-1, -1};
    cio_stream_t *s = NULL;
    static char buf[60000];
    REQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    int small = 4096;
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    REQ_OK(cio_stream_from_fd(sv[0], NULL, &s));
    sv[0] = -1;
    size_t total = 0, seen = 0;
    unsigned seed = 7;
    for (int i = 0; i < 300; i++) {
        size_t n = (size_t)(rand_r(&seed) % 5 == 0 ? 20000 + rand_r(&seed) % 30000 : 1 + rand_r(&seed) % 300);
        for (size_t k = 0; k < n; k++)
            buf[k] = (char)((total + k) * 7 % 251);
        CHECK_RC(cio_stream_write(s, buf, n), 0);
        total += n;
        if (i % 3 == 0) {
            if (take_and_check(sv[1], &seen, 0) < 0) {
                FAILF("a byte near %zu is damaged", seen);
                goto out;
            }
            CHECK_RC(cio_yield(), 0);
        }
    }
    CHECK_RC(cio_stream_close(s), 0); /* flushes first */
    if (take_and_check(sv[1], &seen, 1) < 0)
        FAILF("a byte near %zu is damaged", seen);
    CHECK_INT(seen, total);
out:
    if (s) {
        cio_stream_abort(s); /* after a failure: nothing left waiting for the reader */
        cio_unref(s);
    }
    if (sv[1] >= 0)
        close(sv[1]);
    return 0;
}

static void t_tiny_buffers_order_and_content(void) { CHECK_RC(run_limited(m_tiny_buffers, NULL, NULL), 0); }

/* ------------------------------------------------------------ bad clients */

struct bad_stats {
    size_t max_buffered;
    int ended;
    ssize_t last;
};

static int watched_echo(cio_stream_t *s, void *arg)
{
    struct bad_stats *st = arg;
    const char *line;
    ssize_t n;
    int rc = 0;
    while ((n = cio_stream_readline_ref(s, &line)) > 0) {
        if ((rc = cio_stream_write(s, line, (size_t)n)) < 0)
            break;
        size_t b = cio_stream_write_buffer_size(s);
        if (b > st->max_buffered)
            st->max_buffered = b;
        if ((rc = cio_stream_drain(s)) < 0)
            break;
    }
    st->last = rc < 0 ? rc : n;
    st->ended++;
    return 0;
}

struct sender {
    int port;
    double secs;
    size_t sent;
    atomic_int done;
};

/* Sends lines for secs seconds and never reads. */
static void *never_reads(void *arg)
{
    struct sender *x = arg;
    int fd = connect_to(x->port);
    char line[1024];
    memset(line, 'n', sizeof line - 1);
    line[sizeof line - 1] = '\n';
    if (fd >= 0) {
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        double end = now_s() + x->secs;
        while (now_s() < end) {
            ssize_t n = send(fd, line, sizeof line, MSG_NOSIGNAL);
            if (n > 0) {
                x->sent += (size_t)n;
                continue;
            }
            struct pollfd p = {fd, POLLOUT, 0};
            poll(&p, 1, 20);
        }
        struct linger l = {1, 0}; /* then a reset, mid-reply */
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
        close(fd);
    }
    atomic_store(&x->done, 1);
    return NULL;
}

/* A client that sends forever and never reads: the handler stops at its
 * drain (the buffer it holds stays near the high-water mark), the client's
 * sends stop when the kernel buffers are full, other clients are served
 * meanwhile, and the reset at the end ends the handler with the error. */
static int m_never_reads(void *arg, void **result)
{
    (void)arg;
    (void)result;
    struct bad_stats st = {0};
    struct sender x = {.secs = 1.0};
    cio_server_t *sv = NULL;
    cio_stream_t *probe = NULL;
    pthread_t th;
    REQ_OK(cio_start_server(watched_echo, &st, "127.0.0.1", 0, NULL, &sv));
    x.port = cio_server_port(sv);
    REQ(pthread_create(&th, NULL, never_reads, &x) == 0);
    CHECK_RC(cio_open_connection("127.0.0.1", x.port, &probe), 0);
    char line[64];
    int trips = 0;
    while (probe && !atomic_load(&x.done)) {
        double t0 = now_s();
        if (cio_stream_write(probe, "ping\n", 5) < 0 || cio_stream_readline(probe, line, sizeof line) != 5)
            break;
        if (now_s() - t0 > PROBE_BOUND)
            FAILF("a probe round trip took %.1f ms", (now_s() - t0) * 1e3);
        trips++;
        if (cio_sleep(0.01) < 0)
            break;
    }
    while (!atomic_load(&x.done))
        cio_sleep(0.01);
    pthread_join(th, NULL);
    CHECK(trips >= (SLOW_BUILD ? 3 : 20));
    /* The client wrote far more than the server holds for it. */
    CHECK(x.sent > 256 * 1024);
    CHECK(st.max_buffered <= 64 * 1024 + 1024);
    double until = now_s() + 5;
    while (st.ended < 1 && now_s() < until)
        cio_sleep(0.01);
    CHECK_INT(st.ended, 1);
    CHECK(st.last == -ECONNRESET || st.last == -EPIPE);
    fprintf(stderr, "  never-reading client: %zu kB sent, at most %zu kB held for it, ended with %s\n",
            x.sent / 1024, st.max_buffered / 1024, cio_err_name((int)st.last));
out:
    if (probe)
        cio_unref(probe);
    if (sv) {
        cio_server_close(sv);
        cio_server_close_clients(sv);
        cio_unref(sv);
    }
    return 0;
}

static void t_never_reading_client(void) { CHECK_RC(run_limited(m_never_reads, NULL, NULL), 0); }

/* ------------------------------------------------------ graceful shutdown */

static int quick_or_stuck(cio_stream_t *s, void *arg)
{
    int *ended = arg;
    char line[64];
    ssize_t n = cio_stream_readline(s, line, sizeof line);
    if (n > 0 && line[0] == 'q') {
        cio_stream_write(s, "bye\n", 4);
        cio_sleep(0.05); /* finishes within the deadline */
        ended[0]++;
        return 0;
    }
    ended[1] += (n == -ECANCELED || n == CIO_ECLOSED);
    return (int)(n < 0 ? n : 0);
}

static int m_shutdown(void *arg, void **result)
{
    (void)arg;
    (void)result;
    cio_server_t *sv = NULL;
    int a = -1, b = -1;
    int ended[2] = {0, 0};
    REQ_OK(cio_start_server(quick_or_stuck, ended, "127.0.0.1", 0, NULL, &sv));
    CHECK_RC(cio_server_shutdown(sv, -1.0), -EINVAL);
    CHECK_RC(cio_server_shutdown(sv, NAN), -EINVAL);
    a = connect_to(cio_server_port(sv));
    b = connect_to(cio_server_port(sv));
    REQ(a >= 0 && b >= 0);
    REQ(send(a, "quit\n", 5, 0) == 5);
    CHECK_RC(cio_sleep(0.05), 0); /* both accepted, both handlers running */
    double t0 = now_s();
    /* a's handler ends within the deadline; b's client never sends: it is
     * cut off at the deadline, its handler cancelled. */
    CHECK_RC(cio_server_shutdown(sv, 0.3), 1);
    double took = now_s() - t0;
    CHECK(took >= 0.29 && took < 5.0);
    CHECK_INT(ended[0], 1);
    CHECK_INT(ended[1], 1);
    char buf[16];
    CHECK_INT(recv(a, buf, sizeof buf, 0), 4); /* "bye\n", then the close */
    CHECK_INT(recv(a, buf, sizeof buf, 0), 0);
    ssize_t r = recv(b, buf, sizeof buf, 0); /* aborted: a reset (or EOF) */
    CHECK(r == 0 || (r < 0 && errno == ECONNRESET));
    CHECK_RC(cio_server_wait_closed(sv), 0);
    CHECK_INT(cio_server_is_serving(sv), 0);
    /* No client at all: at once. */
    cio_server_t *sv2 = NULL;
    REQ_OK(cio_start_server(quick_or_stuck, ended, "127.0.0.1", 0, NULL, &sv2));
    t0 = now_s();
    CHECK_RC(cio_server_shutdown(sv2, 10.0), 0);
    CHECK(now_s() - t0 < 1.0);
    cio_unref(sv2);
out:
    if (a >= 0)
        close(a);
    if (b >= 0)
        close(b);
    if (sv)
        cio_unref(sv);
    return 0;
}

static void t_server_shutdown_deadline(void) { CHECK_RC(run_limited(m_shutdown, NULL, NULL), 0); }

/* The README's server, in a child process with a client connected and idle:
 * Ctrl-C ends it (the handler cancelled, the client cut off), promptly. */
static int readme_handle(cio_stream_t *s, void *arg)
{
    (void)arg;
    char line[1024];
    ssize_t n;
    while ((n = cio_stream_readline(s, line, sizeof line)) > 0)
        if (cio_stream_write(s, line, (size_t)n) < 0 || cio_stream_drain(s) < 0)
            break;
    return 0;
}

static int readme_main(void *arg, void **result)
{
    (void)result;
    int wfd = *(int *)arg;
    cio_server_t *sv;
    int rc = cio_start_server(readme_handle, NULL, "127.0.0.1", 0, NULL, &sv);
    if (rc < 0)
        return rc;
    int port = cio_server_port(sv);
    if (write(wfd, &port, sizeof port) != sizeof port)
        return -EIO;
    rc = cio_server_wait_closed(sv); /* serves until Ctrl-C cancels us */
    cio_server_shutdown(sv, 1.0);    /* the clients get a second, then are cut off */
    cio_unref(sv);
    return rc;
}

static void t_ctrl_c_with_client_connected(void)
{
    if (test_sweeping)
        return; /* a process of its own: nothing of this one's allocations */
    int p[2];
    REQUIRE(pipe(p) == 0);
    fflush(NULL);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        int rc = cio_run(readme_main, &p[1], NULL);
        _exit(rc == CIO_EINTERRUPTED ? 0 : 10);
    }
    close(p[1]);
    int port = 0, fd = -1;
    if (read(p[0], &port, sizeof port) == sizeof port)
        fd = connect_to(port);
    close(p[0]);
    CHECK(fd >= 0);
    if (fd >= 0) {
        char buf[16];
        CHECK_INT(send(fd, "hi\n", 3, 0), 3);
        CHECK_INT(recv(fd, buf, sizeof buf, 0), 3); /* served, and still connected */
    }
    kill(pid, SIGINT);
    int st = 0, done = 0;
    for (int i = 0; i < 1000 && !done; i++) {
        if (waitpid(pid, &st, WNOHANG) == pid)
            done = 1;
        else
            usleep(10000);
    }
    if (!done) {
        FAILF("the server did not exit within 10 s of SIGINT");
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
    } else {
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    if (fd >= 0)
        close(fd);
}

/* ------------------------------------------------------ memory after a spike */

static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, res = 0;
    if (!f)
        return -1;
    if (fscanf(f, "%ld %ld", &pages, &res) != 2)
        res = -1;
    fclose(f);
    return res < 0 ? -1 : res * (sysconf(_SC_PAGESIZE) / 1024);
}

static int spike_handle(cio_stream_t *s, void *arg)
{
    (void)arg;
    char line[64];
    ssize_t n;
    while ((n = cio_stream_readline(s, line, sizeof line)) > 0)
        if (cio_stream_write(s, line, (size_t)n) < 0 || cio_stream_drain(s) < 0)
            break;
    return 0;
}

/* The child: N connections, a round trip on each while all are open, then
 * they all close. */
static void spike_client(int port, int n)
{
    int *fds = calloc((size_t)n, sizeof *fds);
    if (!fds)
        _exit(2);
    for (int i = 0; i < n; i++)
        if ((fds[i] = connect_to(port)) < 0)
            _exit(3);
    for (int i = 0; i < n; i++)
        if (send(fds[i], "hi\n", 3, 0) != 3)
            _exit(4);
    char buf[8];
    for (int i = 0; i < n; i++)
        if (recv(fds[i], buf, sizeof buf, 0) != 3)
            _exit(5);
    for (int i = 0; i < n; i++)
        close(fds[i]);
    _exit(0);
}

static int m_spike(void *arg, void **result)
{
    (void)result;
    int n = *(int *)arg;
    cio_server_t *sv = NULL;
    cio_server_opts_t o = {.backlog = 4096};
    REQ_OK(cio_start_server(spike_handle, NULL, "127.0.0.1", 0, &o, &sv));
    int port = cio_server_port(sv);
    /* Warm: one connection first, so that what every server holds (the
     * scratch buffer, the first stacks) is in the baseline. */
    {
        cio_stream_t *w;
        char buf[8];
        REQ_OK(cio_open_connection("127.0.0.1", port, &w));
        CHECK_RC(cio_stream_write(w, "hi\n", 3), 0);
        CHECK_INT(cio_stream_readline(w, buf, sizeof buf), 3);
        cio_unref(w);
        CHECK_RC(cio_sleep(0.05), 0);
    }
    long before = rss_kb();
    fflush(NULL);
    pid_t pid = fork();
    REQ(pid >= 0);
    if (pid == 0)
        spike_client(port, n);
    int st = 0;
    double until = now_s() + 60;
    while (waitpid(pid, &st, WNOHANG) != pid && now_s() < until)
        if (cio_sleep(0.01) < 0)
            break;
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    long peak = rss_kb();
    /* Every connection gone, the loop idle: within 5 s the memory is back
     * to within 8 MB of what it was. */
    double t0 = now_s();
    long after = rss_kb();
    while (now_s() - t0 < 5.0 && after > before + 8 * 1024) {
        CHECK_RC(cio_sleep(0.25), 0);
        after = rss_kb();
    }
    fprintf(stderr, "  %d connections: RSS %ld kB before, %ld kB after they closed, %ld kB %.1f s later\n", n,
            before, peak, after, now_s() - t0);
    if (!SLOW_BUILD) /* sanitizers keep freed memory in quarantine */
        CHECK(after <= before + 8 * 1024);
out:
    if (sv) {
        cio_server_close(sv);
        cio_unref(sv);
    }
    return 0;
}

static void t_memory_back_after_spike(void)
{
    int n = test_sweeping ? 50 : SLOW_BUILD ? 1000 : 10000;
    CHECK_RC(run_limited(m_spike, &n, NULL), 0);
}

static const struct test_case cases[] = {
    TEST(t_fair_streams_server),
    TEST(t_fair_protocol_server),
    TEST(t_pipelined_replies_gathered),
    TEST(t_tiny_buffers_order_and_content),
    TEST(t_never_reading_client),
    TEST(t_server_shutdown_deadline),
    TEST(t_ctrl_c_with_client_connected),
    TEST(t_memory_back_after_spike),
};

int main(int argc, char **argv) { return run_tests(argc, argv, cases, NCASES(cases)); }
