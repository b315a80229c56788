/* System calls that fail: accept4, recv/read, sendmsg/writev, sendto,
 * epoll_ctl and eventfd made to fail on purpose (EMFILE, ENOBUFS, EINTR,
 * EAGAIN, ENOSPC), and what a user sees then — asyncio's behaviour:
 *   - accept: EINTR and ECONNABORTED are retried at once; EMFILE (out of
 *     descriptors) goes to the exception handler as "socket.accept() out of
 *     system resource" and accepting resumes a second later, the waiting
 *     client served then;
 *   - recv: EINTR is retried, a spurious EAGAIN loses nothing;
 *   - send: EINTR is retried; any other error (ENOBUFS included, as
 *     asyncio's selector transport) fails the connection with that error,
 *     seen by drain and by the protocol's connection_lost;
 *   - UDP sendto: an error goes to error_received and the endpoint stays
 *     usable;
 *   - epoll_ctl and eventfd failures fail the call that needed them with the
 *     error, leaking neither memory (the harness counts) nor descriptors.
 *
 * How: this executable defines the functions itself, so the library's calls
 * (linked statically) come here first; an armed fault fails the next
 * matching calls, the rest go straight to the kernel through syscall(2). */
#include "harness.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <pthread.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

/* ------------------------------------------------------- the interposer */

struct fault {
    atomic_int count; /* calls still to fail */
    int err;
    int fd;           /* only this fd (-1: any) */
    int op;           /* epoll_ctl: only this op (0: any) */
    atomic_int hits;
};
static struct fault f_accept4, f_recv, f_read, f_sendmsg, f_sendto, f_epoll_ctl, f_eventfd;

static void arm(struct fault *f, int count, int err, int fd)
{
    f->err = err;
    f->fd = fd;
    f->op = 0;
    atomic_store(&f->hits, 0);
    atomic_store(&f->count, count);
}

static int take(struct fault *f, int fd, int op)
{
    if (atomic_load(&f->count) <= 0 || (f->fd >= 0 && f->fd != fd) || (f->op && f->op != op))
        return 0;
    if (atomic_fetch_sub(&f->count, 1) <= 0)
        return 0;
    atomic_fetch_add(&f->hits, 1);
    errno = f->err;
    return 1;
}

int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
    if (take(&f_accept4, fd, 0))
        return -1;
    return (int)syscall(SYS_accept4, fd, addr, len, flags);
}

ssize_t recv(int fd, void *buf, size_t n, int flags)
{
    if (take(&f_recv, fd, 0))
        return -1;
    return syscall(SYS_recvfrom, fd, buf, n, flags, NULL, NULL);
}

ssize_t read(int fd, void *buf, size_t n)
{
    if (take(&f_read, fd, 0))
        return -1;
    return syscall(SYS_read, fd, buf, n);
}

/* Calls counted per fd (the gathered writes' test): the fd to count, and
 * the count. */
static atomic_int count_fd = -1, count_sends;

ssize_t sendmsg(int fd, const struct msghdr *m, int flags)
{
    if (fd == atomic_load(&count_fd))
        atomic_fetch_add(&count_sends, 1);
    if (take(&f_sendmsg, fd, 0))
        return -1;
    return syscall(SYS_sendmsg, fd, m, flags);
}

ssize_t sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *addr, socklen_t alen)
{
    if (take(&f_sendto, fd, 0))
        return -1;
    return syscall(SYS_sendto, fd, buf, n, flags, addr, alen);
}

int epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
    if (take(&f_epoll_ctl, fd, op))
        return -1;
    return (int)syscall(SYS_epoll_ctl, epfd, op, fd, ev);
}

int eventfd(unsigned int initval, int flags)
{
    if (take(&f_eventfd, -1, 0))
        return -1;
    return (int)syscall(SYS_eventfd2, initval, flags);
}

/* ------------------------------------------------------------ helpers */

static int count_fds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

struct handler_log {
    int calls;
    int last_error;
    char last_message[128];
};
static void log_handler(cio_loop_t *loop, const cio_exc_context_t *ctx, void *ud)
{
    (void)loop;
    struct handler_log *h = ud;
    h->calls++;
    h->last_error = ctx->error;
    snprintf(h->last_message, sizeof h->last_message, "%s", ctx->message ? ctx->message : "");
}

/* An echo handler: lines back until EOF. */
static int echo_client(cio_stream_t *s, void *arg)
{
    (void)arg;
    char line[256];
    ssize_t n;
    while ((n = cio_stream_readline(s, line, sizeof line)) > 0) {
        int rc = cio_stream_write(s, line, (size_t)n);
        if (rc < 0)
            return rc;
    }
    return n < 0 && n != CIO_ECLOSED ? (int)n : 0;
}

/* Connect, send a line, read it back: 0 when it came back whole. */
static int round_trip(int port, const char *msg)
{
    cio_stream_t *s = NULL;
    int rc = cio_open_connection("127.0.0.1", port, &s);
    if (rc < 0)
        return rc;
    char buf[256];
    rc = cio_stream_write(s, msg, strlen(msg));
    ssize_t n = rc < 0 ? rc : cio_stream_readline(s, buf, sizeof buf);
    if (n >= 0 && ((size_t)n != strlen(msg) || memcmp(buf, msg, (size_t)n) != 0))
        n = -EBADMSG;
    cio_stream_close(s);
    cio_stream_wait_closed(s);
    cio_unref(s);
    return n < 0 ? (int)n : 0;
}

static int server_fd(cio_server_t *sv)
{
    int fd = -1;
    cio_server_sockets(sv, &fd, 1);
    return fd;
}

/* ----------------------------------------------------------- accept */

/* EINTR and ECONNABORTED from accept are retried: the client is served with
 * no report. */
static int accept_retry_main(void *arg, void **result)
{
    (void)arg;
    (void)result;
    struct handler_log hl = {0};
    cio_loop_t *loop = NULL;
    cio_get_running_loop(&loop);
    cio_loop_set_exception_handler(loop, log_handler, &hl);
    cio_server_t *sv = NULL;
    int rc = cio_start_server(echo_client, NULL, "127.0.0.1", 0, NULL, &sv);
    REQ(rc == 0);
    static const int errs[] = {EINTR, ECONNABORTED};
    for (int i = 0; i < 2; i++) {
        arm(&f_accept4, 1, errs[i], server_fd(sv));
        CHECK_RC(round_trip(cio_server_port(sv), "ping\n"), 0);
        CHECK_INT(atomic_load(&f_accept4.hits), 1);
    }
    CHECK_INT(hl.calls, 0);
out:
    arm(&f_accept4, 0, 0, -1);
    if (sv) {
        cio_server_close(sv);
        CHECK_RC(cio_server_wait_closed(sv), 0);
        cio_unref(sv);
    }
    return 0;
}

static void t_accept_eintr_econnaborted_retried(void)
{
    CHECK_RC(run_limited(accept_retry_main, NULL, NULL), 0);
}

/* EMFILE: reported, accepting paused for a second, then the waiting client
 * is served. */
static int accept_emfile_main(void *arg, void **result)
{
    (void)arg;
    (void)result;
    struct handler_log hl = {0};
    cio_loop_t *loop = NULL;
    cio_get_running_loop(&loop);
    cio_loop_set_exception_handler(loop, log_handler, &hl);
    cio_server_t *sv = NULL;
    int rc = cio_start_server(echo_client, NULL, "127.0.0.1", 0, NULL, &sv);
    REQ(rc == 0);
    arm(&f_accept4, 1, EMFILE, server_fd(sv));
    double t0 = now_s();
    CHECK_RC(round_trip(cio_server_port(sv), "after a pause\n"), 0);
    double waited = now_s() - t0;
    CHECK_INT(atomic_load(&f_accept4.hits), 1);
    CHECK_INT(hl.calls, 1);
    CHECK_RC(hl.last_error, -EMFILE);
    CHECK(strstr(hl.last_message, "out of system resource") != NULL);
    if (waited < 0.9 || waited > 5.0)
        FAILF("served after %.3f s, expected about 1 s (asyncio's accept retry delay)", waited);
    CHECK_RC(cio_server_is_serving(sv), 1);
    /* And the next client at once. */
    t0 = now_s();
    CHECK_RC(round_trip(cio_server_port(sv), "next\n"), 0);
    if (now_s() - t0 > 0.5)
        FAILF("the next client waited %.3f s", now_s() - t0);
out:
    arm(&f_accept4, 0, 0, -1);
    if (sv) {
        cio_server_close(sv);
        CHECK_RC(cio_server_wait_closed(sv), 0);
        cio_unref(sv);
    }
    return 0;
}

static void t_accept_emfile_reported_and_resumed(void)
{
    CHECK_RC(run_limited(accept_emfile_main, NULL, NULL), 0);
}

/* cio_sock_accept: EINTR retried, EMFILE returned to the caller. */
static int sock_accept_main(void *arg, void **result)
{
    (void)arg;
    (void)result;
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    if (ls < 0) {
        FAILF("socket: %s", strerror(errno));
        return 0;
    }
    CHECK_RC(bind(ls, (struct sockaddr *)&a, sizeof a), 0);
    CHECK_RC(listen(ls, 8), 0);
    CHECK_RC(getsockname(ls, (struct sockaddr *)&a, &al), 0);
    for (int round = 0; round < 2; round++) {
        int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        CHECK_RC(connect(c, (struct sockaddr *)&a, sizeof a), 0);
        arm(&f_accept4, 1, round == 0 ? EINTR : EMFILE, ls);
        int fd = cio_sock_accept(ls, NULL, NULL);
        if (round == 0) {
            CHECK(fd >= 0);
        } else {
            CHECK_RC(fd, -EMFILE);
            fd = cio_sock_accept(ls, NULL, NULL); /* the client still waits */
            CHECK(fd >= 0);
        }
        CHECK_INT(atomic_load(&f_accept4.hits), 1);
        if (fd >= 0)
            close(fd);
        close(c);
    }
    arm(&f_accept4, 0, 0, -1);
    close(ls);
    return 0;
}

static void t_sock_accept_eintr_and_emfile(void)
{
    CHECK_RC(run_limited(sock_accept_main, NULL, NULL), 0);
}

/* A stream over one end of a socketpair (sv[0], the stream's); sv[1] is the
 * raw peer.  NULL (the case failed) if either cannot be made. */
static cio_stream_t *stream_pair(int sv[2])
{
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0) {
        FAILF("socketpair: %s", strerror(errno));
        return NULL;
    }
    cio_stream_t *s = NULL;
    int rc = cio_stream_from_fd(sv[0], NULL, &s);
    if (rc < 0) {
        FAILF("cio_stream_from_fd: %s", cio_err_name(rc));
        close(sv[0]);
        close(sv[1]);
    }
    return s;
}

/* --------------------------------------------------- gathered writes */

/* The guide's request/reply handler over 100 pipelined requests: one reply
 * written (and drained) per request, yet the replies of one iteration leave
 * in one sendmsg; every reply arrives, in order.  And a protocol's writes
 * within one callback leave together too. */
struct counted {
    int n;
};

static int reply_all(void *arg, void **result)
{
    (void)result;
    cio_stream_t *s = arg;
    char line[64], reply[80];
    ssize_t n;
    while ((n = cio_stream_readline(s, line, sizeof line - 1)) > 0) {
        line[n] = 0;
        int len = snprintf(reply, sizeof reply, "re:%s", line);
        int rc = cio_stream_write(s, reply, (size_t)len);
        if (rc == 0)
            rc = cio_stream_drain(s);
        if (rc < 0)
            return rc;
    }
    return (int)n;
}

static int gather_main(void *arg, void **result)
{
    (void)arg;
    (void)result;
    int sv[2];
    cio_stream_t *s = stream_pair(sv);
    if (!s)
        return 0;
    char req[2048], got[4096];
    size_t len = 0, want = 0;
    for (int i = 0; i < 100; i++) {
        int k = sprintf(req + len, "q%d\n", i);
        len += (size_t)k;
        want += (size_t)k + 3;
    }
    atomic_store(&count_sends, 0);
    atomic_store(&count_fd, sv[0]);
    CHECK_INT(send(sv[1], req, len, 0), (ssize_t)len); /* all 100 requests at once */
    cio_task_t *t = cio_create_task(reply_all, s);
    size_t have = 0;
    double until = now_s() + 5;
    while (have < want && now_s() < until) {
        ssize_t r = recv(sv[1], got + have, sizeof got - have, MSG_DONTWAIT);
        if (r > 0)
            have += (size_t)r;
        else if (cio_sleep(0.001) < 0)
            break;
    }
    int sends = atomic_load(&count_sends);
    atomic_store(&count_fd, -1);
    CHECK_INT(have, want);
    size_t off = 0;
    for (int i = 0; i < 100 && off < have; i++) {
        char exp[32];
        int k = sprintf(exp, "re:q%d\n", i);
        if (memcmp(got + off, exp, (size_t)k) != 0) {
            FAILF("reply %d out of order", i);
            break;
        }
        off += (size_t)k;
    }
    /* All 100 requests were buffered at the handler's first read: its
     * replies are written in one iteration and leave in one call. */
    CHECK_INT(sends, 1);
    close(sv[1]);
    if (t) {
        CHECK_RC(cio_await(t, NULL), 0);
        cio_unref(t);
    }
    cio_unref(s);
    return 0;
}

static void t_replies_of_an_iteration_leave_in_one_send(void) { CHECK_RC(run_limited(gather_main, NULL, NULL), 0); }

/* ---------------------------------------------------------- receive */

/* EINTR on a stream's receive is retried; a spurious EAGAIN (readiness said
 * readable, the socket says not yet) only delays: no byte lost, none moved. */
static int recv_main(void *arg, void **result)
{
    (void)arg;
    (void)result;
    int sv[2];
    cio_stream_t *s = stream_pair(sv);
    if (!s)
        return 0;
    char buf[64];
    ssize_t n;
    /* EINTR: the data that is there is read at once. */
    arm(&f_recv, 2, EINTR, sv[0]);
    CHECK_INT(send(sv[1], "one\n", 4, MSG_NOSIGNAL), 4);
    n = cio_stream_readline(s, buf, sizeof buf);
    REQ_BYTES(buf, n, "one\n");
    CHECK_INT(atomic_load(&f_recv.hits), 2);
    /* A spurious EAGAIN: the reader waits for the next readiness; the bytes
     * of both sends come out in order. */
    arm(&f_recv, 1, EAGAIN, sv[0]);
    CHECK_INT(send(sv[1], "tw", 2, MSG_NOSIGNAL), 2);
    CHECK_RC(cio_sleep(0.02), 0);
    CHECK_INT(send(sv[1], "o\nthree\n", 8, MSG_NOSIGNAL), 8);
    n = cio_stream_readline(s, buf, sizeof buf);
    REQ_BYTES(buf, n, "two\n");
    n = cio_stream_readline(s, buf, sizeof buf);
    REQ_BYTES(buf, n, "three\n");
    CHECK_INT(atomic_load(&f_recv.hits), 1);
    arm(&f_recv, 0, 0, -1);
    close(sv[1]);
    sv[1] = -1;
    CHECK_INT(cio_stream_readline(s, buf, sizeof buf), 0);
out:
    arm(&f_recv, 0, 0, -1);
    if (sv[1] >= 0)
        close(sv[1]);
    cio_stream_close(s);
    cio_unref(s);
    return 0;
}

static void t_recv_eintr_and_spurious_eagain_lose_nothing(void)
{
    CHECK_RC(run_limited(recv_main, NULL, NULL), 0);
}

/* ------------------------------------------------------------- send */

/* EINTR on send is retried: everything arrives.  ENOBUFS is an error, as
 * for asyncio's transports: the connection fails with it. */
static int send_main(void *arg, void **result)
{
    (void)arg;
    (void)result;
    int sv[2];
    cio_stream_t *s = stream_pair(sv);
    if (!s)
        return 0;
    char buf[64];
    arm(&f_sendmsg, 3, EINTR, sv[0]);
    CHECK_RC(cio_stream_write(s, "hello\n", 6), 0);
    CHECK_RC(cio_stream_drain(s), 0);
    CHECK_RC(cio_sleep(0.01), 0); /* the write leaves at the end of the iteration */
    CHECK_INT(atomic_load(&f_sendmsg.hits), 3);
    CHECK_INT(recv(sv[1], buf, sizeof buf, MSG_DONTWAIT), 6);
    CHECK(memcmp(buf, "hello\n", 6) == 0);

    arm(&f_sendmsg, 1, ENOBUFS, sv[0]);
    /* The write is gathered; its send, at the end of the iteration, fails
     * the connection, and the calls after it see the error. */
    CHECK_RC(cio_stream_write(s, "lost\n", 5), 0);
    CHECK_RC(cio_yield(), 0);
    CHECK_RC(cio_stream_drain(s), -ENOBUFS);
    CHECK_INT(atomic_load(&f_sendmsg.hits), 1);
    CHECK_RC(cio_stream_write(s, "more\n", 5), -ENOBUFS);
    CHECK_RC(cio_stream_readline(s, buf, sizeof buf), -ENOBUFS);
    arm(&f_sendmsg, 0, 0, -1);
    cio_stream_close(s);
    CHECK_RC(cio_stream_wait_closed(s), -ENOBUFS);
    cio_unref(s);
    close(sv[1]);
    return 0;
}

static void t_send_eintr_retried_enobufs_fails_the_connection(void)
{
    CHECK_RC(run_limited(send_main, NULL, NULL), 0);
}

/* The same ENOBUFS on a protocol transport: connection_lost(-ENOBUFS). */
struct lost_log {
    int made, lost, err;
};
static void pl_made(cio_transport_t *t, void *ud)
{
    (void)t;
    ((struct lost_log *)ud)->made++;
}
static void pl_lost(cio_transport_t *t, int err, void *ud)
{
    (void)t;
    struct lost_log *l = ud;
    l->lost++;
    l->err = err;
}

static int transport_send_main(void *arg, void **result)
{
    (void)arg;
    (void)result;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0) {
        FAILF("socketpair: %s", strerror(errno));
        return 0;
    }
    static const cio_protocol_t proto = {.connection_made = pl_made, .connection_lost = pl_lost};
    struct lost_log l = {0};
    cio_transport_t *t = NULL;
    int rc = cio_connect_accepted_socket(&proto, &l, sv[0], NULL, &t);
    if (rc < 0) {
        FAILF("cio_connect_accepted_socket: %s", cio_err_name(rc));
        close(sv[0]);
        close(sv[1]);
        return 0;
    }
    WAIT_FOR(l.made, 2);
    arm(&f_sendmsg, 1, ENOBUFS, sv[0]);
    /* The write is gathered; its send at the end of the iteration meets the
     * error, which connection_lost gets, and the writes after it too. */
    CHECK_RC(cio_transport_write(t, "x", 1), 0);
    WAIT_FOR(l.lost, 2);
    CHECK_INT(l.lost, 1);
    CHECK_RC(l.err, -ENOBUFS);
    CHECK_RC(cio_transport_write(t, "y", 1), -ENOBUFS);
    arm(&f_sendmsg, 0, 0, -1);
    cio_unref(t);
    close(sv[1]);
    return 0;
}

static void t_transport_enobufs_is_connection_lost(void)
{
    CHECK_RC(run_limited(transport_send_main, NULL, NULL), 0);
}

/* ------------------------------------------------------------ UDP */

struct dg_log {
    int errors, last_err, received;
    int lost_err; /* connection_lost's error */
};
static void dg_error(cio_transport_t *t, int err, void *ud)
{
    (void)t;
    struct dg_log *l = ud;
    l->errors++;
    l->last_err = err;
}
static void dg_lost(cio_transport_t *t, int err, void *ud)
{
    (void)t;
    ((struct dg_log *)ud)->lost_err = err;
}
static void dg_recv(cio_transport_t *t, const void *data, size_t n, const struct sockaddr *addr, socklen_t alen,
                    void *ud)
{
    (void)t;
    (void)data;
    (void)n;
    (void)addr;
    (void)alen;
    ((struct dg_log *)ud)->received++;
}

/* sendto: ENOBUFS goes to error_received and that datagram is dropped; the
 * endpoint goes on; EINTR is retried. */
static int udp_main(void *arg, void **result)
{
    (void)arg;
    (void)result;
    static const cio_protocol_t proto = {
        .error_received = dg_error, .datagram_received = dg_recv, .connection_lost = dg_lost};
    struct dg_log rl = {0}, sl = {0};
    cio_transport_t *rx = NULL, *tx = NULL;
    cio_dgram_opts_t ro = {.local_host = "127.0.0.1", .local_port = 0};
    int rc = cio_create_datagram_endpoint(&proto, &rl, &ro, &rx);
    REQ(rc == 0);
    struct sockaddr_storage ra;
    socklen_t ral = sizeof ra;
    CHECK_RC(cio_transport_sockname(rx, &ra, &ral), 0);
    cio_dgram_opts_t so = {.remote_host = "127.0.0.1", .remote_port = ntohs(((struct sockaddr_in *)&ra)->sin_port)};
    rc = cio_create_datagram_endpoint(&proto, &sl, &so, &tx);
    REQ(rc == 0);
    arm(&f_sendto, 1, ENOBUFS, cio_transport_fd(tx));
    CHECK_RC(cio_transport_sendto(tx, "a", 1, NULL, 0), 0);
    CHECK_INT(sl.errors, 1);
    CHECK_RC(sl.last_err, -ENOBUFS);
    CHECK_INT(cio_transport_get_write_buffer_size(tx), 0); /* dropped, not queued */
    arm(&f_sendto, 2, EINTR, cio_transport_fd(tx));
    CHECK_RC(cio_transport_sendto(tx, "b", 1, NULL, 0), 0);
    CHECK_INT(atomic_load(&f_sendto.hits), 2);
    CHECK_RC(cio_transport_sendto(tx, "c", 1, NULL, 0), 0);
    /* Either endpoint closing: it failed (out of memory), nothing more comes. */
    WAIT_FOR(rl.received >= 2 || rl.lost_err || cio_transport_is_closing(rx) || cio_transport_is_closing(tx), 2);
    CHECK_RC(rl.lost_err, 0);
    CHECK_INT(rl.received, 2);
    CHECK_INT(sl.errors, 1);
    CHECK_RC(cio_transport_is_closing(tx), 0);
out:
    arm(&f_sendto, 0, 0, -1);
    if (tx) {
        cio_transport_close(tx);
        cio_unref(tx);
    }
    if (rx) {
        cio_transport_close(rx);
        cio_unref(rx);
    }
    CHECK_RC(cio_sleep(0.01), 0);
    return 0;
}

static void t_udp_enobufs_to_error_received(void)
{
    CHECK_RC(run_limited(udp_main, NULL, NULL), 0);
}

/* ------------------------------------------------------- epoll, eventfd */

/* epoll_ctl refusing to watch a new socket fails the call that needed it,
 * with its error, and leaves no descriptor or memory behind. */
static int epoll_main(void *arg, void **result)
{
    (void)arg;
    (void)result;
    cio_server_t *sv = NULL;
    int rc = cio_start_server(echo_client, NULL, "127.0.0.1", 0, NULL, &sv);
    REQ(rc == 0);
    int port = cio_server_port(sv);
    CHECK_RC(round_trip(port, "warm\n"), 0);
    CHECK_RC(cio_sleep(0.05), 0); /* the server side of that connection ends */
    int fds0 = count_fds();
    /* open_connection: its socket cannot be watched. */
    arm(&f_epoll_ctl, 1, ENOSPC, -1);
    f_epoll_ctl.op = EPOLL_CTL_ADD;
    cio_stream_t *s = NULL;
    CHECK_RC(cio_open_connection("127.0.0.1", port, &s), -ENOSPC);
    CHECK(s == NULL);
    CHECK_INT(atomic_load(&f_epoll_ctl.hits), 1);
    CHECK_RC(cio_sleep(0.05), 0); /* the server side of that connection ends */
    CHECK_INT(count_fds(), fds0);
    /* The server's accepted socket cannot be watched: that client is
     * dropped, the server goes on. */
    arm(&f_epoll_ctl, 1, ENOMEM, -1);
    f_epoll_ctl.op = EPOLL_CTL_ADD;
    cio_stream_t *c = NULL;
    rc = cio_open_connection("127.0.0.1", port, &c); /* the client's own ADD fails instead */
    if (rc == 0) {
        char buf[16];
        CHECK_RC(cio_stream_write(c, "x\n", 2), 0);
        ssize_t n = cio_stream_readline(c, buf, sizeof buf);
        CHECK(n == 0 || n == -ECONNRESET);
        cio_stream_close(c);
        cio_stream_wait_closed(c);
        cio_unref(c);
    } else {
        CHECK_RC(rc, -ENOMEM);
    }
    arm(&f_epoll_ctl, 0, 0, -1);
    CHECK_RC(round_trip(port, "still serving\n"), 0);
    CHECK_RC(cio_sleep(0.05), 0);
    CHECK_INT(count_fds(), fds0);
out:
    arm(&f_epoll_ctl, 0, 0, -1);
    if (sv) {
        cio_server_close(sv);
        CHECK_RC(cio_server_wait_closed(sv), 0);
        cio_unref(sv);
    }
    return 0;
}

static void t_epoll_ctl_failure_fails_the_call(void)
{
    CHECK_RC(run_limited(epoll_main, NULL, NULL), 0);
}

/* eventfd out of descriptors: cio_loop_new fails with EMFILE, nothing kept. */
static void t_eventfd_emfile_fails_loop_new(void)
{
    int fds0 = count_fds();
    cio_loop_t *loop = NULL;
    arm(&f_eventfd, 1, EMFILE, -1);
    CHECK_RC(cio_loop_new(&loop), -EMFILE);
    CHECK(loop == NULL);
    CHECK_INT(atomic_load(&f_eventfd.hits), 1);
    arm(&f_eventfd, 0, 0, -1);
    CHECK_INT(count_fds(), fds0);
    /* And with the descriptors back, a loop works. */
    CHECK_RC(cio_loop_new(&loop), 0);
    if (loop)
        CHECK_RC(cio_loop_free(loop), 0);
}

/* The loop's wake-up read (the eventfd) interrupted: cross-thread calls
 * still run, the first and the next. */
static int stop_loop_cb(void *arg);
static int post_stop_rc; /* the first post's result, checked after the join */
static void *post_stop(void *arg)
{
    usleep(20000);
    int rc = post_stop_rc = cio_call_soon_threadsafe(arg, stop_loop_cb, arg);
    /* Out of memory: the loop would run forever; post again until it takes. */
    for (int i = 0; rc < 0 && i < 1000; i++) {
        usleep(1000);
        rc = cio_call_soon_threadsafe(arg, stop_loop_cb, arg);
    }
    return NULL;
}

static int stop_loop_cb(void *arg)
{
    cio_loop_stop(arg);
    return 0;
}

static void t_wakeup_read_eintr(void)
{
    cio_loop_t *loop = new_loop();
    for (int round = 0; round < 2; round++) {
        arm(&f_read, round == 0 ? 1 : 0, EINTR, -1);
        pthread_t th;
        REQUIRE(pthread_create(&th, NULL, post_stop, loop) == 0);
        double t0 = now_s();
        CHECK_RC(cio_loop_run_forever(loop), 0);
        pthread_join(th, NULL);
        CHECK_RC(post_stop_rc, 0);
        if (now_s() - t0 > 2.0)
            FAILF("round %d: the loop stopped after %.3f s", round, now_s() - t0);
        if (round == 0)
            CHECK_INT(atomic_load(&f_read.hits), 1);
    }
    arm(&f_read, 0, 0, -1);
    free_loop(loop);
}

static const struct test_case cases[] = {
    TEST(t_replies_of_an_iteration_leave_in_one_send),
    TEST(t_accept_eintr_econnaborted_retried),
    TEST(t_accept_emfile_reported_and_resumed),
    TEST(t_sock_accept_eintr_and_emfile),
    TEST(t_recv_eintr_and_spurious_eagain_lose_nothing),
    TEST(t_send_eintr_retried_enobufs_fails_the_connection),
    TEST(t_transport_enobufs_is_connection_lost),
    TEST(t_udp_enobufs_to_error_received),
    TEST(t_epoll_ctl_failure_fails_the_call),
    TEST(t_eventfd_emfile_fails_loop_new),
    TEST(t_wakeup_read_eintr),
};

int main(int argc, char **argv)
{
    return run_tests(argc, argv, cases, NCASES(cases));
}
