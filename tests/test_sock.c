/* Networking, first layer: fd readiness (add_reader/add_writer and
 * cio_wait_readable/writable), the socket coroutines on the caller's own
 * non-blocking sockets (cio_sock_*) and DNS (cio_getaddrinfo/getnameinfo).
 *
 * Checked the way a user sees them: the exact bytes that arrive, error codes,
 * ordering, nothing lost or duplicated when a call is cancelled, and the fd
 * still usable afterwards.  asyncio's behaviour (add_reader replacing the
 * callback, remove_reader returning False when there is none, readers being
 * level-triggered) was checked on CPython 3.11 first.
 *
 * Everything runs on loopback: socketpairs, pipes, 127.0.0.1, ::1 (skipped
 * when the host has no IPv6) and Unix sockets in a mkdtemp directory.  Raw
 * sends use MSG_NOSIGNAL; cio's own sends must never raise SIGPIPE, so
 * SIGPIPE keeps its default action here (a SIGPIPE kills the binary). */
#include "harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* A negative code that is one of two accepted values. */
#define CHECK_RC2(a, b, c)                                                                         \
    do {                                                                                           \
        int a_ = (int)(a), b_ = (int)(b), c_ = (int)(c);                                           \
        if (a_ != b_ && a_ != c_)                                                                  \
            FAILF("%s == %d (%s), expected %s or %s", #a, a_, cio_err_name(a_), cio_err_name(b_),  \
                  cio_err_name(c_));                                                               \
    } while (0)

#define RUN(m) CHECK_RC(run_limited(m, NULL, NULL), 0)

static void skip(const char *why)
{
    printf("     (%s: skipped: %s)\n", test_current, why);
}

/* ------------------------------------------------------------ helpers */

/* A task, or NULL after a failed check.  From a task, cio_create_task fails
 * only when memory runs out. */
static cio_task_t *spawn(cio_coro_fn *fn, void *arg)
{
    cio_task_t *t = cio_create_task(fn, arg);
    if (!t)
        FAILF("cio_create_task failed: -ENOMEM");
    return t;
}

/* Spawn into *t or fail the case and jump to its `out:` cleanup. */
#define REQ_SPAWN(t, fn, arg)              \
    do {                                   \
        if (!((t) = spawn((fn), (arg))))   \
            goto out;                      \
    } while (0)

/* Cleanup: a task still running (after a failed check) is cancelled and
 * awaited, so that it never outlives the frame it points into (each try may
 * itself fail once for want of memory: a few more follow); then released. */
static void reap(cio_task_t **t)
{
    reap_tasks(t, 1);
}

/* Await t with a generous limit, drop the reference, return its outcome.
 * The task is over when this returns, whatever happened (wait_for itself
 * may fail when memory runs out: the task is then cancelled). */
static int finish(cio_task_t *t)
{
    if (!t)
        return -EINVAL;
    int rc = cio_wait_for(t, 10.0, NULL);
    if (rc == -ETIMEDOUT)
        FAILF("task %s did not finish within 10 s (a lost wake-up?)", cio_task_get_name(t));
    reap(&t);
    return rc;
}

/* Two tasks that feed each other: wait until both are done or one failed;
 * then the other, whose peer is gone, is cancelled (it would wait forever).
 * With no failure this only waits for both. */
static void await_pair(cio_task_t *a, cio_task_t *b)
{
    cio_future_t *fs[2] = {a, b};
    cio_wait(fs, 2, 10.0, CIO_FIRST_EXCEPTION, NULL, NULL, NULL, NULL);
    for (int i = 0; i < 2; i++)
        if (cio_future_done(fs[i]) == 1 && cio_future_exception(fs[i]) < 0)
            cio_task_cancel(fs[1 - i], NULL);
}

static void yield_n(int n)
{
    for (int i = 0; i < n; i++)
        cio_sleep(0);
}

/* Let the loop go idle n times: each sleep leaves nothing ready, so the loop
 * polls I/O (a busy loop may poll less often than once per iteration). */
static void tick(int n)
{
    for (int i = 0; i < n; i++)
        cio_sleep(0.001);
}

static cio_loop_t *running_loop(void)
{
    cio_loop_t *loop = NULL;
    CHECK_RC(cio_get_running_loop(&loop), 0);
    return loop;
}

/* A position-dependent byte pattern: a byte lost, duplicated or moved shows
 * as a mismatch at once. */
static inline unsigned char pat(size_t pos, unsigned seed)
{
    uint32_t x = (uint32_t)pos * 2654435761u + seed * 40503u + 12345u;
    return (unsigned char)((x >> 16) ^ (x >> 24) ^ (uint32_t)(pos >> 9));
}

static void fill_pattern(char *buf, size_t n, size_t off, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = (char)pat(off + i, seed);
}

/* The index of the first byte that differs from the pattern, or n. */
static size_t first_bad(const char *buf, size_t n, size_t off, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)buf[i] != pat(off + i, seed))
            return i;
    return n;
}

static int pair(int sv[2])
{
    sv[0] = sv[1] = -1;
    return socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0 ? 0 : -errno;
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static void close2(int sv[2])
{
    close_fd(&sv[0]);
    close_fd(&sv[1]);
}

static void set_bufsizes(int fd, int snd, int rcv)
{
    if (snd > 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, sizeof snd);
    if (rcv > 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
}

/* Read what is there now, without waiting: until EAGAIN, EOF or cap. */
static size_t drain(int fd, char *buf, size_t cap)
{
    size_t got = 0;
    while (got < cap) {
        ssize_t k = recv(fd, buf + got, cap - got, MSG_DONTWAIT);
        if (k > 0)
            got += (size_t)k;
        else if (k < 0 && errno == EINTR)
            continue;
        else
            break;
    }
    return got;
}

/* Send until the socket is full; returns how much went. */
static size_t fill_socket(int fd)
{
    static char junk[65536];
    size_t total = 0;
    for (;;) {
        ssize_t k = send(fd, junk, sizeof junk, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (k > 0)
            total += (size_t)k;
        else if (k < 0 && errno == EINTR)
            continue;
        else
            break;
    }
    return total;
}

static int fd_flags_ok(int fd, int *nonblock, int *cloexec)
{
    int fl = fcntl(fd, F_GETFL), fdfl = fcntl(fd, F_GETFD);
    if (fl < 0 || fdfl < 0)
        return -errno;
    *nonblock = !!(fl & O_NONBLOCK);
    *cloexec = !!(fdfl & FD_CLOEXEC);
    return 0;
}

/* A loopback address of family with port (host byte order). */
static socklen_t loopback(int family, int port, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof *ss);
    if (family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
        a->sin6_family = AF_INET6;
        a->sin6_addr = in6addr_loopback;
        a->sin6_port = htons((uint16_t)port);
        return sizeof *a;
    }
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a->sin_port = htons((uint16_t)port);
    return sizeof *a;
}

static int addr_port(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
    return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

/* Same family, address and port. */
static int same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family)
        return 0;
    if (a->ss_family == AF_INET) {
        const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    if (a->ss_family == AF_INET6) {
        const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
        return x->sin6_port == y->sin6_port && memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
    }
    return 0;
}

/* A socket of type bound to loopback port 0 (listening with backlog for
 * SOCK_STREAM when backlog >= 0); *addr gets its address.  -errno on
 * failure (e.g. no IPv6). */
static int bound_socket(int family, int type, int backlog, struct sockaddr_storage *addr, socklen_t *alen)
{
    int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_storage ss;
    socklen_t len = loopback(family, 0, &ss);
    if (bind(fd, (struct sockaddr *)&ss, len) < 0 || (backlog >= 0 && listen(fd, backlog) < 0)) {
        int e = errno;
        close(fd);
        return -e;
    }
    *alen = sizeof *addr;
    if (getsockname(fd, (struct sockaddr *)addr, alen) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

static int have_ipv6(void)
{
    struct sockaddr_storage a;
    socklen_t l;
    int fd = bound_socket(AF_INET6, SOCK_DGRAM, -1, &a, &l);
    if (fd < 0)
        return 0;
    close(fd);
    return 1;
}

/* ------------------------------------------------------ task bodies */

/* A task waiting for readiness. */
struct waiter {
    int fd;
    int dir; /* 0 read, 1 write */
    double timeout;
    int rc;
    int done;
    double elapsed;
};

static int body_wait(void *arg, void **result)
{
    struct waiter *w = arg;
    double t0 = now_s();
    w->rc = w->dir ? cio_wait_writable(w->fd, w->timeout) : cio_wait_readable(w->fd, w->timeout);
    w->elapsed = now_s() - t0;
    w->done = 1;
    return w->rc;
}

/* A task receiving once. */
struct rx {
    int fd;
    size_t cap; /* 0: sizeof buf */
    char buf[256];
    ssize_t rc;
    int done;
};

static int body_recv(void *arg, void **result)
{
    struct rx *r = arg;
    r->rc = cio_sock_recv(r->fd, r->buf, r->cap ? r->cap : sizeof r->buf);
    r->done = 1;
    return r->rc < 0 ? (int)r->rc : 0;
}

/* A task sending all of a buffer, then (if shut) shutting the write side. */
struct tx {
    int fd;
    const char *buf;
    size_t n;
    int shut;
    size_t sent;
    int rc;
    int done;
    double t_done;
};

static int body_sendall(void *arg, void **result)
{
    struct tx *x = arg;
    x->rc = cio_sock_sendall(x->fd, x->buf, x->n, &x->sent);
    x->t_done = now_s();
    if (x->shut)
        shutdown(x->fd, SHUT_WR);
    x->done = 1;
    return x->rc;
}

/* A task receiving into buf until it holds want bytes (stop_at_want) or
 * until EOF, in chunks of varying sizes. */
struct sink {
    int fd;
    char *buf;
    size_t want;
    int stop_at_want;
    size_t got;
    size_t extra; /* bytes beyond want (must stay 0) */
    int eof;
    ssize_t rc;
    int done;
    double t_first;
    cio_task_t *notify; /* cancelled when the sink fails (its sender would wait for it forever) */
};

static int body_sink(void *arg, void **result)
{
    struct sink *s = arg;
    char scratch[512];
    unsigned k = 0;
    while (!(s->stop_at_want && s->got >= s->want)) {
        size_t chunk = 1 + (size_t)(k++ * 7919u % 9000u);
        char *dst;
        if (s->got < s->want) {
            if (chunk > s->want - s->got)
                chunk = s->want - s->got;
            dst = s->buf + s->got;
        } else {
            dst = scratch;
            chunk = sizeof scratch;
        }
        ssize_t r = cio_sock_recv(s->fd, dst, chunk);
        if (r < 0) {
            s->rc = r;
            if (s->notify)
                cio_task_cancel(s->notify, NULL);
            break;
        }
        if (r == 0) {
            s->eof = 1;
            break;
        }
        if ((size_t)r > chunk) {
            FAILF("cio_sock_recv returned %zd for a %zu-byte buffer", r, chunk);
            break;
        }
        if (s->t_first == 0)
            s->t_first = now_s();
        if (s->got < s->want)
            s->got += (size_t)r;
        else
            s->extra += (size_t)r;
    }
    s->done = 1;
    return s->rc < 0 ? (int)s->rc : 0;
}

/* A task accepting one connection. */
struct acc {
    int lfd;
    int rc; /* the new fd or an error */
    struct sockaddr_storage addr;
    socklen_t alen;
    int done;
};

static int body_accept(void *arg, void **result)
{
    struct acc *a = arg;
    a->alen = sizeof a->addr;
    a->rc = cio_sock_accept(a->lfd, (struct sockaddr *)&a->addr, &a->alen);
    a->done = 1;
    return a->rc < 0 ? a->rc : 0;
}

/* A connect, as a coroutine (for tasks and cio_wait_for_call). */
struct conn {
    int fd;
    struct sockaddr_storage addr;
    socklen_t alen;
    int rc;
    int done;
};

static int body_connect(void *arg, void **result)
{
    struct conn *c = arg;
    c->rc = cio_sock_connect(c->fd, (struct sockaddr *)&c->addr, c->alen);
    c->done = 1;
    return c->rc;
}

/* A task receiving one datagram. */
struct rxfrom {
    int fd;
    char buf[256];
    ssize_t rc;
    struct sockaddr_storage addr;
    socklen_t alen;
    int done;
};

static int body_recvfrom(void *arg, void **result)
{
    struct rxfrom *r = arg;
    r->alen = sizeof r->addr;
    r->rc = cio_sock_recvfrom(r->fd, r->buf, sizeof r->buf, (struct sockaddr *)&r->addr, &r->alen);
    r->done = 1;
    return r->rc < 0 ? (int)r->rc : 0;
}

/* A task sending a literal after a delay. */
struct later {
    int fd;
    double delay;
    const char *data;
    int rc;
};

static int body_send_later(void *arg, void **result)
{
    struct later *l = arg;
    int rc = cio_sleep(l->delay);
    if (rc == 0)
        rc = cio_sock_sendall(l->fd, l->data, strlen(l->data), NULL);
    l->rc = rc;
    return rc;
}

/* Connect a TCP pair on loopback through the coroutines: *cfd the client,
 * *sfd the accepted side. */
static int tcp_pair(int family, int *cfd, int *sfd)
{
    struct sockaddr_storage la;
    socklen_t llen;
    *cfd = *sfd = -1;
    int lfd = bound_socket(family, SOCK_STREAM, 16, &la, &llen);
    if (lfd < 0)
        return lfd;
    struct acc a = {.lfd = lfd};
    cio_task_t *t = spawn(body_accept, &a);
    if (!t) {
        close(lfd);
        return -ENOMEM;
    }
    struct conn c = {.fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)};
    memcpy(&c.addr, &la, llen);
    c.alen = llen;
    int rc = c.fd < 0 ? -errno : body_connect(&c, NULL);
    if (rc < 0)
        cio_task_cancel(t, NULL);
    int arc = finish(t);
    close(lfd);
    if (rc < 0 || arc < 0) {
        if (c.fd >= 0)
            close(c.fd);
        if (a.rc >= 0)
            close(a.rc);
        return rc < 0 ? rc : arc;
    }
    *cfd = c.fd;
    *sfd = a.rc;
    return 0;
}

/* ================================================== fd readiness: callbacks */

static int body_log(void *arg, void **result)
{
    log_event(arg);
    return 0;
}

static int count_cb(void *arg)
{
    (*(int *)arg)++;
    return 0;
}

/* A reader is level-triggered: it fires on every iteration while the data
 * is unread, and never again once removed (not even a callback already
 * queued in the same iteration).  remove returns 1, then 0. */
static int m_reader_level(void *arg, void **result)
{
    int sv[2] = {-1, -1}, n = 0, snap;
    char c = 0;
    cio_loop_t *loop = running_loop();
    REQ(pair(sv) == 0);
    REQ(send(sv[1], "x", 1, MSG_NOSIGNAL) == 1);
    CHECK_RC(cio_loop_add_reader(loop, sv[0], count_cb, &n), 0);
    CHECK_INT(n, 0); /* never called inside add_reader */
    tick(6);
    if (n < 3)
        FAILF("reader fired %d times in 6 idle ticks with data unread, expected at least 3", n);
    CHECK_RC(cio_loop_remove_reader(loop, sv[0]), 1);
    snap = n;
    tick(5);
    CHECK_INT(n, snap);
    CHECK_RC(cio_loop_remove_reader(loop, sv[0]), 0);
    CHECK_RC(cio_loop_remove_writer(loop, sv[0]), 0); /* never had one */
    /* The reader only watched: the byte is still there. */
    CHECK_INT(recv(sv[0], &c, 1, MSG_DONTWAIT), 1);
    CHECK_INT(c, 'x');
out:
    close2(sv);
    return 0;
}
static void t_reader_level_triggered(void) { RUN(m_reader_level); }

/* Adding a reader again replaces the callback (asyncio: the old handle is
 * cancelled). */
static int m_reader_replace(void *arg, void **result)
{
    int sv[2] = {-1, -1}, n1 = 0, n2 = 0, snap;
    cio_loop_t *loop = running_loop();
    REQ(pair(sv) == 0);
    REQ(send(sv[1], "x", 1, MSG_NOSIGNAL) == 1);
    CHECK_RC(cio_loop_add_reader(loop, sv[0], count_cb, &n1), 0);
    tick(3);
    CHECK(n1 >= 1);
    CHECK_RC(cio_loop_add_reader(loop, sv[0], count_cb, &n2), 0);
    snap = n1;
    tick(4);
    CHECK_INT(n1, snap);
    if (n2 < 2)
        FAILF("the replacing reader fired %d times in 4 ticks", n2);
    CHECK_RC(cio_loop_remove_reader(loop, sv[0]), 1);
    CHECK_RC(cio_loop_remove_reader(loop, sv[0]), 0);
out:
    close2(sv);
    return 0;
}
static void t_reader_replace(void) { RUN(m_reader_replace); }

/* A reader that consumes the data fires once per arrival, then stays quiet. */
struct draining {
    int fd;
    int fires;
    char buf[64];
    size_t len;
};

static int draining_cb(void *arg)
{
    struct draining *d = arg;
    d->fires++;
    d->len += drain(d->fd, d->buf + d->len, sizeof d->buf - 1 - d->len);
    d->buf[d->len] = 0;
    return 0;
}

static int m_reader_drains(void *arg, void **result)
{
    int sv[2] = {-1, -1};
    struct draining d = {0};
    cio_loop_t *loop = running_loop();
    REQ(pair(sv) == 0);
    d.fd = sv[0];
    CHECK_RC(cio_loop_add_reader(loop, sv[0], draining_cb, &d), 0);
    tick(3);
    CHECK_INT(d.fires, 0); /* nothing to read: never fired */
    REQ(send(sv[1], "abc", 3, MSG_NOSIGNAL) == 3);
    tick(4);
    CHECK_INT(d.fires, 1);
    CHECK_STR(d.buf, "abc");
    REQ(send(sv[1], "defg", 4, MSG_NOSIGNAL) == 4);
    tick(4);
    CHECK_INT(d.fires, 2);
    CHECK_STR(d.buf, "abcdefg");
    /* EOF is readable too: the reader sees it. */
    close_fd(&sv[1]);
    tick(2);
    CHECK(d.fires >= 3);
    CHECK_RC(cio_loop_remove_reader(loop, sv[0]), 1);
out:
    close2(sv);
    return 0;
}
static void t_reader_drains_then_quiet(void) { RUN(m_reader_drains); }

/* A reader that removes itself from inside its callback runs once. */
struct oneshot {
    cio_loop_t *loop;
    int fd;
    int fires;
    int rm_rc;
};

static int oneshot_cb(void *arg)
{
    struct oneshot *o = arg;
    o->fires++;
    o->rm_rc = cio_loop_remove_reader(o->loop, o->fd);
    return 0;
}

static int m_reader_self_remove(void *arg, void **result)
{
    int sv[2] = {-1, -1};
    cio_loop_t *loop = running_loop();
    struct oneshot o = {.loop = loop, .rm_rc = -999};
    REQ(pair(sv) == 0);
    o.fd = sv[0];
    REQ(send(sv[1], "x", 1, MSG_NOSIGNAL) == 1);
    CHECK_RC(cio_loop_add_reader(loop, sv[0], oneshot_cb, &o), 0);
    tick(5);
    CHECK_INT(o.fires, 1);
    CHECK_RC(o.rm_rc, 1);
    CHECK_RC(cio_loop_remove_reader(loop, sv[0]), 0);
    /* It can be added again afterwards. */
    CHECK_RC(cio_loop_add_reader(loop, sv[0], oneshot_cb, &o), 0);
    tick(3);
    CHECK_INT(o.fires, 2);
out:
    close2(sv);
    return 0;
}
static void t_reader_removes_itself(void) { RUN(m_reader_self_remove); }

/* A reader callback's error goes to the exception handler; the reader stays
 * registered (asyncio logs and goes on). */
static int handler_calls, handler_err;
static void recording_handler(cio_loop_t *loop, const cio_exc_context_t *ctx, void *ud)
{
    handler_calls++;
    handler_err = ctx->error;
}

static int failing_cb(void *arg)
{
    (*(int *)arg)++;
    return -EIO;
}

static int m_reader_error(void *arg, void **result)
{
    int sv[2] = {-1, -1}, n = 0;
    cio_loop_t *loop = running_loop();
    handler_calls = handler_err = 0;
    CHECK_RC(cio_loop_set_exception_handler(loop, recording_handler, NULL), 0);
    REQ(pair(sv) == 0);
    REQ(send(sv[1], "x", 1, MSG_NOSIGNAL) == 1);
    CHECK_RC(cio_loop_add_reader(loop, sv[0], failing_cb, &n), 0);
    tick(5);
    CHECK(n >= 2);
    CHECK_INT(handler_calls, n);
    CHECK_RC(handler_err, -EIO);
    CHECK_RC(cio_loop_remove_reader(loop, sv[0]), 1);
out:
    cio_loop_set_exception_handler(loop, NULL, NULL);
    close2(sv);
    return 0;
}
static void t_reader_error_goes_to_handler(void) { RUN(m_reader_error); }

/* add_writer: fires while writable, not while the socket is full, again
 * once the peer drained it.  Reader and writer of one fd are independent. */
static int m_writer(void *arg, void **result)
{
    int sv[2] = {-1, -1}, nw = 0, nr = 0, snap;
    static char sink[1 << 20];
    cio_loop_t *loop = running_loop();
    REQ(pair(sv) == 0);
    set_bufsizes(sv[0], 4096, 4096);
    set_bufsizes(sv[1], 4096, 4096);
    CHECK_RC(cio_loop_add_writer(loop, sv[0], count_cb, &nw), 0);
    tick(4);
    CHECK(nw >= 2);
    /* A reader on the same fd: no data, so it stays quiet; the writer goes on. */
    CHECK_RC(cio_loop_add_reader(loop, sv[0], count_cb, &nr), 0);
    snap = nw;
    tick(3);
    CHECK(nw > snap);
    CHECK_INT(nr, 0);
    CHECK_RC(cio_loop_remove_reader(loop, sv[0]), 1);
    CHECK_RC(cio_loop_remove_writer(loop, sv[0]), 1);
    CHECK_RC(cio_loop_remove_writer(loop, sv[0]), 0);
    snap = nw;
    tick(3);
    CHECK_INT(nw, snap);

    /* Full: the writer does not fire until the peer reads. */
    REQ(fill_socket(sv[0]) > 0);
    nw = 0;
    CHECK_RC(cio_loop_add_writer(loop, sv[0], count_cb, &nw), 0);
    tick(4);
    CHECK_INT(nw, 0);
    drain(sv[1], sink, sizeof sink);
    for (int i = 0; i < 50 && nw == 0; i++)
        cio_sleep(0.001);
    CHECK(nw >= 1);
    CHECK_RC(cio_loop_remove_writer(loop, sv[0]), 1);
out:
    close2(sv);
    return 0;
}
static void t_writer(void) { RUN(m_writer); }

/* Bad descriptors and arguments are refused with a code, never a crash. */
static int m_watch_bad(void *arg, void **result)
{
    int n = 0, p[2] = {-1, -1}, ffd = -1, closed;
    char path[] = "/tmp/cio-sock-file-XXXXXX";
    cio_loop_t *loop = running_loop();
    CHECK_RC(cio_loop_add_reader(loop, -1, count_cb, &n), -EBADF);
    CHECK_RC(cio_loop_add_writer(loop, -1, count_cb, &n), -EBADF);
    REQ(pipe2(p, O_NONBLOCK | O_CLOEXEC) == 0);
    closed = p[0];
    close_fd(&p[0]); /* closed: a number that is no fd now */
    CHECK_RC(cio_loop_add_reader(loop, closed, count_cb, &n), -EBADF);
    CHECK_RC(cio_loop_add_writer(loop, closed, count_cb, &n), -EBADF);
    CHECK_RC(cio_loop_remove_reader(loop, closed), 0);
    CHECK_RC(cio_loop_add_reader(loop, 1 << 20, count_cb, &n), -EBADF); /* far beyond any table */
    CHECK_RC(cio_loop_remove_reader(loop, 1 << 20), 0);
    CHECK_RC(cio_loop_add_reader(NULL, p[1], count_cb, &n), -EINVAL);
    CHECK_RC(cio_loop_add_reader(loop, p[1], NULL, &n), -EINVAL);
    CHECK_RC(cio_loop_add_writer(loop, p[1], NULL, &n), -EINVAL);
    CHECK_RC(cio_loop_remove_reader(NULL, p[1]), -EINVAL);
    CHECK_RC(cio_loop_remove_writer(NULL, p[1]), -EINVAL);
    CHECK_RC2(cio_loop_remove_reader(loop, -1), -EBADF, -EINVAL);
    CHECK_RC2(cio_loop_remove_writer(loop, -1), -EBADF, -EINVAL);
    /* A regular file: epoll cannot watch it. */
    ffd = mkstemp(path);
    REQ(ffd >= 0);
    unlink(path);
    CHECK_RC(cio_loop_add_reader(loop, ffd, count_cb, &n), -EPERM);
    CHECK_RC(cio_loop_add_writer(loop, ffd, count_cb, &n), -EPERM);
    CHECK_RC(cio_loop_remove_reader(loop, ffd), 0);
    tick(2);
    CHECK_INT(n, 0);
    /* The pipe's write end works after all this. */
    CHECK_RC(cio_loop_add_writer(loop, p[1], count_cb, &n), 0);
    tick(2);
    CHECK(n >= 1);
    CHECK_RC(cio_loop_remove_writer(loop, p[1]), 1);
out:
    close2(p);
    close_fd(&ffd);
    return 0;
}
static void t_watch_bad_fds(void) { RUN(m_watch_bad); }

/* Readers work on a loop driven by run_until_complete, with no task at all;
 * a watcher still registered when the loop is freed does not stop the free. */
struct idle_rd {
    cio_loop_t *loop;
    int fd;
    int fires;
    int rm;
    cio_future_t *fut;
};

static int idle_cb(void *arg)
{
    struct idle_rd *x = arg;
    char c;
    x->fires++;
    if (recv(x->fd, &c, 1, MSG_DONTWAIT) == 1 && c == 'z')
        cio_future_set_result(x->fut, (void *)"got");
    x->rm = cio_loop_remove_reader(x->loop, x->fd);
    return 0;
}

static int give_up_cb(void *arg)
{
    cio_future_cancel(arg, "reader never fired");
    return 0;
}

static void t_reader_without_task(void)
{
    int sv[2] = {-1, -1}, nw = 0;
    void *v = NULL;
    cio_handle_t *h = NULL;
    cio_loop_t *loop = new_loop();
    struct idle_rd x = {.loop = loop};
    REQ(pair(sv) == 0);
    x.fd = sv[0];
    REQ_OK(cio_loop_create_future(loop, &x.fut));
    REQ_OK(cio_call_later(loop, 5.0, give_up_cb, x.fut, &h));
    REQ_OK(cio_loop_add_reader(loop, sv[0], idle_cb, &x));
    REQ_OK(cio_loop_add_writer(loop, sv[1], count_cb, &nw)); /* left registered */
    REQ(send(sv[1], "z", 1, MSG_NOSIGNAL) == 1);
    CHECK_RC(cio_loop_run_until_complete(loop, x.fut, &v), 0);
    CHECK_STR((const char *)v, "got");
    CHECK_INT(x.fires, 1);
    CHECK_RC(x.rm, 1);
    CHECK(nw >= 1);
out:
    cio_handle_cancel(h);
    cio_unref(h);
    cio_unref(x.fut);
    free_loop(loop); /* the writer is still registered: that must not stop it */
    close2(sv);
}

/* ==================================================== fd readiness: tasks */

/* wait_readable: the timeout, then readiness; level-triggered (data left
 * unread is still ready); zero and negative timeouts; NaN refused. */
static int m_wait_readable(void *arg, void **result)
{
    int sv[2] = {-1, -1};
    char buf[8];
    double t0, dt;
    cio_task_t *t = NULL;
    REQ(pair(sv) == 0);
    t0 = now_s();
    CHECK_RC(cio_wait_readable(sv[0], 0.05), -ETIMEDOUT);
    dt = now_s() - t0;
    if (dt < 0.045 || dt > 2.0)
        FAILF("wait_readable(0.05) timed out after %.3f s", dt);
    CHECK_RC(cio_wait_readable(sv[0], 0), -ETIMEDOUT); /* not ready, no time */
    CHECK_RC(cio_wait_readable(sv[0], NAN), -EINVAL);

    REQ(send(sv[1], "x", 1, MSG_NOSIGNAL) == 1);
    t0 = now_s();
    CHECK_RC(cio_wait_readable(sv[0], 1.0), 0);
    CHECK_RC(cio_wait_readable(sv[0], 1.0), 0); /* still unread: still ready */
    CHECK_RC(cio_wait_readable(sv[0], -1), 0);
    CHECK_RC(cio_wait_readable(sv[0], INFINITY), 0);
    dt = now_s() - t0;
    if (dt > 0.5)
        FAILF("four waits on a readable fd took %.3f s", dt);
    CHECK_INT(recv(sv[0], buf, sizeof buf, MSG_DONTWAIT), 1);
    CHECK_RC(cio_wait_readable(sv[0], 0.01), -ETIMEDOUT); /* consumed: not ready */

    /* No limit (negative, then INFINITY): woken by data sent later. */
    struct later l = {.fd = sv[1], .delay = 0.02, .data = "late"};
    REQ_SPAWN(t, body_send_later, &l);
    t0 = now_s();
    CHECK_RC(cio_wait_readable(sv[0], -1), 0);
    dt = now_s() - t0;
    if (dt < 0.015 || dt > 2.0)
        FAILF("woken after %.3f s, data was sent after 0.02 s", dt);
    CHECK_RC(finish(t), 0);
    t = NULL;
    CHECK_BYTES(buf, recv(sv[0], buf, sizeof buf, MSG_DONTWAIT), "late");
    l.data = "inf";
    REQ_SPAWN(t, body_send_later, &l);
    CHECK_RC(cio_wait_readable(sv[0], INFINITY), 0);
    CHECK_RC(finish(t), 0);
    t = NULL;
    CHECK_BYTES(buf, recv(sv[0], buf, sizeof buf, MSG_DONTWAIT), "inf");
out:
    reap(&t);
    close2(sv);
    return 0;
}
static void t_wait_readable_timeout_then_ready(void) { RUN(m_wait_readable); }

/* wait_writable: a full socket times out; once the peer reads it is ready. */
static int drain_later_body(void *arg, void **result)
{
    static char sink[1 << 20];
    int fd = *(int *)arg;
    int rc = cio_sleep(0.02);
    if (rc == 0)
        drain(fd, sink, sizeof sink);
    return rc;
}

static int m_wait_writable(void *arg, void **result)
{
    int sv[2] = {-1, -1};
    double t0, dt;
    cio_task_t *t = NULL;
    REQ(pair(sv) == 0);
    set_bufsizes(sv[0], 4096, 4096);
    set_bufsizes(sv[1], 4096, 4096);
    CHECK_RC(cio_wait_writable(sv[0], 1.0), 0);
    REQ(fill_socket(sv[0]) > 0);
    t0 = now_s();
    CHECK_RC(cio_wait_writable(sv[0], 0.05), -ETIMEDOUT);
    dt = now_s() - t0;
    if (dt < 0.045 || dt > 2.0)
        FAILF("wait_writable(0.05) timed out after %.3f s", dt);
    REQ_SPAWN(t, drain_later_body, &sv[1]);
    CHECK_RC(cio_wait_writable(sv[0], 2.0), 0);
    CHECK_RC(finish(t), 0);
    t = NULL;
    CHECK(send(sv[0], "x", 1, MSG_DONTWAIT | MSG_NOSIGNAL) == 1);
out:
    reap(&t);
    close2(sv);
    return 0;
}
static void t_wait_writable(void) { RUN(m_wait_writable); }

/* "At most 0 seconds" on an fd that is ready now: ready, not a timeout
 * (poll(2) with a zero timeout reports it).  Also right after the loop was
 * busy, when it may not have polled for a while. */
static int m_wait_zero_ready(void *arg, void **result)
{
    int sv[2] = {-1, -1}, bad_w = 0, bad_r = 0, first = 0, rc;
    REQ(pair(sv) == 0);
    REQ(send(sv[1], "x", 1, MSG_NOSIGNAL) == 1);
    for (int i = 0; i < 40; i++) {
        bad_w += (rc = cio_wait_writable(sv[0], 0)) != 0;
        if (rc && !first)
            first = rc;
        bad_r += (rc = cio_wait_readable(sv[0], 0)) != 0;
        if (rc && !first)
            first = rc;
    }
    if (bad_w || bad_r)
        FAILF("wait with timeout 0 on a ready fd: %d/40 writable and %d/40 readable waits failed (the first with %s)",
              bad_w, bad_r, cio_err_name(first));
out:
    close2(sv);
    return 0;
}
static void t_wait_zero_timeout_on_ready_fd(void) { RUN(m_wait_zero_ready); }

/* A wait cancelled by another task ends with -ECANCELED at once (also with
 * a long timeout pending), and the fd is fine afterwards: data is still
 * there to be read and another wait on it works. */
static int m_wait_cancelled(void *arg, void **result)
{
    int sv[2] = {-1, -1}, crc;
    char buf[8];
    cio_task_t *t = NULL;
    cio_timeout_t to;
    double t0;
    struct waiter w = {.fd = -1, .timeout = -1}, w2 = {.fd = -1, .timeout = 5.0}, w3 = {.fd = -1, .timeout = 2.0};
    REQ(pair(sv) == 0);

    w.fd = sv[0];
    REQ_SPAWN(t, body_wait, &w);
    yield_n(3);
    if (w.done)
        FAILF("the waiter ended at once with %s", cio_err_name(w.rc));
    CHECK(!w.done);
    crc = cio_task_cancel(t, "stop"); /* copying the message may run out of memory */
    if (crc != 1) {
        FAILF("cio_task_cancel(t, \"stop\") == %d (%s), expected 1", crc, cio_err_name(crc));
        goto out;
    }
    CHECK_RC(finish(t), -ECANCELED);
    t = NULL;
    CHECK_RC(w.rc, -ECANCELED);

    w2.fd = sv[0];
    REQ_SPAWN(t, body_wait, &w2);
    yield_n(3);
    if (w2.done)
        FAILF("the waiter ended at once with %s", cio_err_name(w2.rc));
    CHECK(!w2.done);
    t0 = now_s();
    cio_task_cancel(t, NULL);
    CHECK_RC(finish(t), -ECANCELED);
    t = NULL;
    CHECK_RC(w2.rc, -ECANCELED);
    if (now_s() - t0 > 1.0)
        FAILF("a cancelled wait with a 5 s timeout took %.3f s to end", now_s() - t0);

    /* A timeout scope around a wait without a limit. */
    REQ_OK(cio_timeout_enter(&to, 0.03));
    CHECK_RC(cio_timeout_exit(&to, cio_wait_readable(sv[0], -1)), -ETIMEDOUT);

    /* Nothing left registered for the cancelled waiters: the fd works. */
    REQ(send(sv[1], "y", 1, MSG_NOSIGNAL) == 1);
    CHECK_RC(cio_wait_readable(sv[0], 1.0), 0);
    CHECK_BYTES(buf, recv(sv[0], buf, sizeof buf, MSG_DONTWAIT), "y");
    w3.fd = sv[0];
    REQ_SPAWN(t, body_wait, &w3);
    yield_n(2);
    if (w3.done)
        FAILF("the waiter ended at once with %s", cio_err_name(w3.rc));
    CHECK(!w3.done);
    REQ(send(sv[1], "q", 1, MSG_NOSIGNAL) == 1);
    CHECK_RC(finish(t), 0);
    t = NULL;
    CHECK_RC(w3.rc, 0);
    CHECK_BYTES(buf, recv(sv[0], buf, sizeof buf, MSG_DONTWAIT), "q");
    /* The cancelled waiters' timers fire into nothing. */
    cio_sleep(0.02);
out:
    reap(&t);
    close2(sv);
    return 0;
}
static void t_wait_cancelled_fd_still_works(void) { RUN(m_wait_cancelled); }

/* Two tasks waiting for the same fd and direction: the second is refused
 * with CIO_EINVALSTATE; the other direction is free; once the first is
 * woken the slot is free again. */
static int m_wait_twice(void *arg, void **result)
{
    int sv[2] = {-1, -1};
    char buf[8];
    cio_task_t *t = NULL;
    REQ(pair(sv) == 0);
    struct waiter w = {.fd = sv[0], .timeout = 5.0};
    REQ_SPAWN(t, body_wait, &w);
    yield_n(2);
    if (w.done)
        FAILF("the waiter ended at once with %s", cio_err_name(w.rc));
    REQ(!w.done);
    CHECK_RC(cio_wait_readable(sv[0], 1.0), CIO_EINVALSTATE);
    CHECK_RC(cio_wait_readable(sv[0], -1), CIO_EINVALSTATE);
    CHECK_INT(w.done, 0); /* the refusal did not disturb the first */
    CHECK_RC(cio_wait_writable(sv[0], 1.0), 0);
    CHECK_RC(cio_wait_writable(sv[1], 1.0), 0);
    REQ(send(sv[1], "d", 1, MSG_NOSIGNAL) == 1);
    CHECK_RC(finish(t), 0);
    t = NULL;
    CHECK_RC(w.rc, 0);
    CHECK_RC(cio_wait_readable(sv[0], 1.0), 0);
    CHECK_BYTES(buf, recv(sv[0], buf, sizeof buf, MSG_DONTWAIT), "d");

    /* A sock_recv counts as a waiter too. */
    struct rx r = {.fd = sv[0]};
    REQ_SPAWN(t, body_recv, &r);
    yield_n(2);
    if (r.done)
        FAILF("the receiver ended at once with %s", cio_err_name((int)r.rc));
    REQ(!r.done);
    CHECK_RC(cio_wait_readable(sv[0], 0.5), CIO_EINVALSTATE);
    REQ(send(sv[1], "e", 1, MSG_NOSIGNAL) == 1);
    CHECK_RC(finish(t), 0);
    t = NULL;
    CHECK_BYTES(r.buf, r.rc, "e");
out:
    reap(&t);
    close2(sv);
    return 0;
}
static void t_wait_same_fd_twice(void) { RUN(m_wait_twice); }

/* Hang-up and error conditions count as ready: a peer's close, a pipe's
 * closed writer, a pipe's closed reader; a waiter already waiting is woken. */
static int m_wait_hangup(void *arg, void **result)
{
    int sv[2] = {-1, -1}, p[2] = {-1, -1};
    char buf[4];
    cio_task_t *t = NULL;
    REQ(pair(sv) == 0);
    struct waiter w = {.fd = sv[0], .timeout = 3.0};
    REQ_SPAWN(t, body_wait, &w);
    yield_n(2);
    CHECK(!w.done);
    close_fd(&sv[1]);
    CHECK_RC(finish(t), 0);
    t = NULL;
    CHECK_RC(w.rc, 0);
    if (w.elapsed > 1.0)
        FAILF("woken %.3f s after the peer closed", w.elapsed);
    CHECK_INT(recv(sv[0], buf, sizeof buf, MSG_DONTWAIT), 0); /* EOF */
    CHECK_RC(cio_wait_readable(sv[0], 1.0), 0);
    CHECK_RC(cio_wait_writable(sv[0], 1.0), 0); /* writing would fail: ready */

    REQ(pipe2(p, O_NONBLOCK | O_CLOEXEC) == 0);
    CHECK_RC(cio_wait_readable(p[0], 0.01), -ETIMEDOUT);
    close_fd(&p[1]);
    CHECK_RC(cio_wait_readable(p[0], 1.0), 0); /* EPOLLHUP */
    close2(p);
    REQ(pipe2(p, O_NONBLOCK | O_CLOEXEC) == 0);
    {
        static char junk[65536];
        while (write(p[1], junk, sizeof junk) > 0)
            ;
    }
    CHECK_RC(cio_wait_writable(p[1], 0.01), -ETIMEDOUT);
    struct waiter ww = {.fd = p[1], .dir = 1, .timeout = 3.0};
    REQ_SPAWN(t, body_wait, &ww);
    yield_n(2);
    CHECK(!ww.done);
    close_fd(&p[0]);
    CHECK_RC(finish(t), 0); /* EPOLLERR */
    t = NULL;
    CHECK_RC(ww.rc, 0);
out:
    reap(&t);
    close2(sv);
    close2(p);
    return 0;
}
static void t_wait_hangup_counts_as_ready(void) { RUN(m_wait_hangup); }

static int m_wait_bad(void *arg, void **result)
{
    int p[2] = {-1, -1}, ffd = -1, closed;
    char path[] = "/tmp/cio-sock-file-XXXXXX";
    CHECK_RC(cio_wait_readable(-1, 0.1), -EBADF);
    CHECK_RC(cio_wait_writable(-1, 0.1), -EBADF);
    REQ(pipe2(p, O_NONBLOCK | O_CLOEXEC) == 0);
    closed = p[0];
    close_fd(&p[0]);
    CHECK_RC(cio_wait_readable(closed, 0.1), -EBADF);
    CHECK_RC(cio_wait_writable(closed, -1), -EBADF);
    CHECK_RC(cio_wait_readable(1 << 20, 0.1), -EBADF);
    /* A regular file cannot be watched: a code at once (0 would also be
     * defensible, "always ready"), never a hang. */
    ffd = mkstemp(path);
    REQ(ffd >= 0);
    unlink(path);
    double t0 = now_s();
    int rc = cio_wait_readable(ffd, 1.0);
    CHECK(rc == 0 || rc == -EPERM);
    if (now_s() - t0 > 0.5)
        FAILF("wait_readable on a regular file took %.3f s (rc %s)", now_s() - t0, cio_err_name(rc));
out:
    close2(p);
    close_fd(&ffd);
    return 0;
}
static void t_wait_bad_fds(void) { RUN(m_wait_bad); }

/* A watched fd that is closed (after the watch ended) and whose number is
 * reused by a new socket: the new one is watched for real. */
static int m_fd_reuse(void *arg, void **result)
{
    int sv[2] = {-1, -1}, n = 0, old0;
    char buf[8];
    cio_task_t *t = NULL;
    cio_loop_t *loop = running_loop();
    REQ(pair(sv) == 0);
    old0 = sv[0];
    CHECK_RC(cio_wait_readable(sv[0], 0.01), -ETIMEDOUT);
    REQ(send(sv[1], "1", 1, MSG_NOSIGNAL) == 1);
    CHECK_RC(cio_wait_readable(sv[0], 1.0), 0);
    close2(sv);
    REQ(pair(sv) == 0);
    if (sv[0] != old0 && sv[1] != old0)
        skip("the fd number was not reused");
    struct later l = {.fd = sv[1], .delay = 0.01, .data = "2"};
    REQ_SPAWN(t, body_send_later, &l);
    CHECK_RC(cio_wait_readable(sv[0], 2.0), 0);
    CHECK_RC(finish(t), 0);
    t = NULL;
    CHECK_BYTES(buf, recv(sv[0], buf, sizeof buf, MSG_DONTWAIT), "2");
    /* The same with a reader callback. */
    CHECK_RC(cio_loop_add_reader(loop, sv[0], count_cb, &n), 0);
    CHECK_RC(cio_loop_remove_reader(loop, sv[0]), 1);
    close2(sv);
    REQ(pair(sv) == 0);
    CHECK_RC(cio_loop_add_reader(loop, sv[0], count_cb, &n), 0);
    REQ(send(sv[1], "3", 1, MSG_NOSIGNAL) == 1);
    for (int i = 0; i < 100 && n == 0; i++)
        cio_sleep(0.001);
    CHECK(n >= 1);
    CHECK_RC(cio_loop_remove_reader(loop, sv[0]), 1);
out:
    reap(&t);
    close2(sv);
    return 0;
}
static void t_fd_number_reused(void) { RUN(m_fd_reuse); }

/* Many fds (well past any initial table size), each with its own waiting
 * task: every one gets exactly its own message back. */
#define NPAIRS 150
struct echo {
    int fd;
    int rc;
};

static int body_echo(void *arg, void **result)
{
    struct echo *e = arg;
    char buf[64];
    ssize_t n = cio_sock_recv(e->fd, buf, sizeof buf);
    if (n < 0)
        return e->rc = (int)n;
    for (ssize_t i = 0; i < n; i++)
        if (buf[i] >= 'a' && buf[i] <= 'z')
            buf[i] = (char)(buf[i] - 'a' + 'A');
    return e->rc = cio_sock_sendall(e->fd, buf, (size_t)n, NULL);
}

static int m_many_fds(void *arg, void **result)
{
    static int sv[NPAIRS][2];
    static struct echo e[NPAIRS];
    static cio_task_t *t[NPAIRS];
    int made = 0;
    for (int i = 0; i < NPAIRS; i++) {
        sv[i][0] = sv[i][1] = -1;
        t[i] = NULL;
    }
    for (; made < NPAIRS; made++) {
        if (pair(sv[made]) < 0)
            break;
        e[made] = (struct echo){.fd = sv[made][0], .rc = 1};
        REQ_SPAWN(t[made], body_echo, &e[made]);
    }
    if (made < NPAIRS)
        skip("not enough fds");
    yield_n(2);
    for (int i = made - 1; i >= 0; i--) { /* newest first */
        char msg[32];
        int len = snprintf(msg, sizeof msg, "msg-%d", i);
        REQ_OK(cio_sock_sendall(sv[i][1], msg, (size_t)len, NULL));
    }
    for (int i = 0; i < made; i++) {
        char msg[32], got[64];
        int len = snprintf(msg, sizeof msg, "MSG-%d", i);
        /* The echo first: when it failed, no answer is coming. */
        int trc = finish(t[i]);
        t[i] = NULL;
        CHECK_RC(trc, 0);
        CHECK_RC(e[i].rc, 0);
        if (trc != 0)
            goto out;
        ssize_t n = cio_sock_recv(sv[i][1], got, sizeof got);
        if (n != len || memcmp(got, msg, (size_t)len) != 0)
            FAILF("pair %d: got %zd \"%.*s\", expected \"%s\"", i, n, n > 0 ? (int)n : 0, got, msg);
    }
out:
    for (int i = 0; i < NPAIRS; i++) {
        reap(&t[i]);
        close2(sv[i]);
    }
    return 0;
}
static void t_many_fds(void) { RUN(m_many_fds); }

/* ======================================================== outside a task */

static void t_outside_loop(void)
{
    int sv[2] = {-1, -1}, rc;
    char c = 0;
    size_t sent = 77;
    int64_t off = 0;
    struct sockaddr_storage ss;
    socklen_t alen = sizeof ss;
    struct addrinfo *res = NULL;
    char host[64], serv[16];
    REQ(pair(sv) == 0);
    REQ(send(sv[1], "k", 1, MSG_NOSIGNAL) == 1);
    CHECK_RC2(cio_sock_recv(sv[0], &c, 1), CIO_ENOLOOP, CIO_ENOTASK);
    CHECK_RC2(cio_sock_recvfrom(sv[0], &c, 1, NULL, NULL), CIO_ENOLOOP, CIO_ENOTASK);
    CHECK_RC2(cio_wait_readable(sv[0], 0.1), CIO_ENOLOOP, CIO_ENOTASK);
    CHECK_RC2(cio_wait_writable(sv[0], 0.1), CIO_ENOLOOP, CIO_ENOTASK);
    rc = cio_sock_sendall(sv[1], "a", 1, &sent);
    CHECK_RC2(rc, CIO_ENOLOOP, CIO_ENOTASK);
    CHECK_INT(sent, 0);
    CHECK_RC2(cio_sock_sendto(sv[1], "a", 1, NULL, 0), CIO_ENOLOOP, CIO_ENOTASK);
    loopback(AF_INET, 9, &ss);
    CHECK_RC2(cio_sock_connect(sv[1], (struct sockaddr *)&ss, sizeof(struct sockaddr_in)), CIO_ENOLOOP,
              CIO_ENOTASK);
    CHECK_RC2(cio_sock_accept(sv[1], (struct sockaddr *)&ss, &alen), CIO_ENOLOOP, CIO_ENOTASK);
    CHECK_RC2((int)cio_sock_sendfile(sv[1], 0, &off, 1), CIO_ENOLOOP, CIO_ENOTASK);
    CHECK_INT(off, 0);
    CHECK_RC2(cio_getaddrinfo("localhost", "80", NULL, &res), CIO_ENOLOOP, CIO_ENOTASK);
    CHECK(res == NULL);
    loopback(AF_INET, 8080, &ss);
    CHECK_RC2(cio_getnameinfo((struct sockaddr *)&ss, sizeof(struct sockaddr_in), host, sizeof host, serv,
                              sizeof serv, 0),
              CIO_ENOLOOP, CIO_ENOTASK);
    /* Nothing was consumed or sent. */
    CHECK_INT(recv(sv[0], &c, 1, MSG_DONTWAIT), 1);
    CHECK_INT(c, 'k');
    CHECK_INT(recv(sv[0], &c, 1, MSG_DONTWAIT), -1);
out:
    close2(sv);
}

/* From a loop callback (running loop, no task): CIO_ENOTASK. */
struct cb_probe {
    int fd;
    int rc_recv, rc_wait, rc_send, rc_gai;
    int ran;
};

static int probe_cb(void *arg)
{
    struct cb_probe *p = arg;
    char c;
    struct addrinfo *res = NULL;
    p->rc_recv = (int)cio_sock_recv(p->fd, &c, 1);
    p->rc_wait = cio_wait_readable(p->fd, 0.1);
    p->rc_send = cio_sock_sendall(p->fd, "z", 1, NULL);
    p->rc_gai = cio_getaddrinfo("localhost", "80", NULL, &res);
    if (res)
        freeaddrinfo(res);
    p->ran = 1;
    return 0;
}

static int m_in_callback(void *arg, void **result)
{
    int sv[2] = {-1, -1};
    char buf[8];
    struct cb_probe p = {0};
    REQ(pair(sv) == 0);
    REQ(send(sv[1], "k", 1, MSG_NOSIGNAL) == 1);
    p.fd = sv[0];
    CHECK_RC(cio_call_soon(running_loop(), probe_cb, &p, NULL), 0);
    yield_n(2);
    REQ(p.ran);
    CHECK_RC(p.rc_recv, CIO_ENOTASK);
    CHECK_RC(p.rc_wait, CIO_ENOTASK);
    CHECK_RC(p.rc_send, CIO_ENOTASK);
    CHECK_RC(p.rc_gai, CIO_ENOTASK);
    CHECK_BYTES(buf, cio_sock_recv(sv[0], buf, sizeof buf), "k");
    CHECK_INT(recv(sv[1], buf, sizeof buf, MSG_DONTWAIT), -1); /* "z" was not sent */
out:
    close2(sv);
    return 0;
}
static void t_in_callback_not_a_task(void) { RUN(m_in_callback); }

/* ============================================== socket coroutines: TCP */

/* connect and accept on loopback: the accepted fd is non-blocking and
 * close-on-exec, its peer address is the client's; bytes both ways; EOF. */
static int connect_accept(int family)
{
    struct sockaddr_storage la, ca;
    socklen_t llen, clen = sizeof ca;
    int lfd = -1, cfd = -1, sfd = -1, nb = 0, ce = 0;
    char buf[16];
    cio_task_t *t = NULL;
    struct acc a = {.lfd = -1, .rc = -1};
    lfd = bound_socket(family, SOCK_STREAM, 16, &la, &llen);
    REQ(lfd >= 0);
    a.lfd = lfd;
    REQ_SPAWN(t, body_accept, &a);
    yield_n(2);
    CHECK(!a.done); /* waiting for a client */
    cfd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    REQ(cfd >= 0);
    CHECK_RC(cio_sock_connect(cfd, (struct sockaddr *)&la, llen), 0);
    CHECK_RC(finish(t), 0);
    t = NULL;
    REQ(a.rc >= 0);
    sfd = a.rc;
    CHECK_RC(fd_flags_ok(sfd, &nb, &ce), 0);
    CHECK_INT(nb, 1);
    CHECK_INT(ce, 1);
    REQ(getsockname(cfd, (struct sockaddr *)&ca, &clen) == 0);
    CHECK_INT(a.alen, clen);
    CHECK(same_addr(&a.addr, &ca));
    CHECK_RC(cio_sock_sendall(cfd, "ping", 4, NULL), 0);
    CHECK_BYTES(buf, cio_sock_recv(sfd, buf, sizeof buf), "ping");
    CHECK_RC(cio_sock_sendall(sfd, "pong!", 5, NULL), 0);
    CHECK_BYTES(buf, cio_sock_recv(cfd, buf, sizeof buf), "pong!");
    REQ(shutdown(cfd, SHUT_WR) == 0);
    CHECK_INT(cio_sock_recv(sfd, buf, sizeof buf), 0);
    CHECK_INT(cio_sock_recv(sfd, buf, sizeof buf), 0);
    /* Accept with no address wanted. */
    {
        int c2 = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        REQ(c2 >= 0);
        int crc = cio_sock_connect(c2, (struct sockaddr *)&la, llen);
        int s2 = cio_sock_accept(lfd, NULL, NULL);
        CHECK_RC(crc, 0);
        CHECK(s2 >= 0);
        if (s2 >= 0) {
            CHECK_RC(cio_sock_sendall(c2, "n", 1, NULL), 0);
            CHECK_BYTES(buf, cio_sock_recv(s2, buf, sizeof buf), "n");
            close(s2);
        }
        close(c2);
    }
out:
    if (t) {
        cio_task_cancel(t, NULL);
        finish(t);
        if (a.rc >= 0)
            close(a.rc);
    }
    close_fd(&lfd);
    close_fd(&cfd);
    close_fd(&sfd);
    return 0;
}

static int m_connect_accept4(void *arg, void **result) { return connect_accept(AF_INET); }
static void t_connect_accept_ipv4(void) { RUN(m_connect_accept4); }

static int m_connect_accept6(void *arg, void **result)
{
    if (!have_ipv6()) {
        skip("no IPv6 loopback");
        return 0;
    }
    return connect_accept(AF_INET6);
}
static void t_connect_accept_ipv6(void) { RUN(m_connect_accept6); }

/* A port bound by nobody listening: -ECONNREFUSED. */
static int m_connect_refused(void *arg, void **result)
{
    struct sockaddr_storage a;
    socklen_t alen;
    int bfd = bound_socket(AF_INET, SOCK_STREAM, -1, &a, &alen); /* bound, not listening */
    int cfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    REQ(bfd >= 0 && cfd >= 0);
    double t0 = now_s();
    CHECK_RC(cio_sock_connect(cfd, (struct sockaddr *)&a, alen), -ECONNREFUSED);
    if (now_s() - t0 > 2.0)
        FAILF("the refusal took %.3f s", now_s() - t0);
out:
    close_fd(&bfd);
    close_fd(&cfd);
    return 0;
}
static void t_connect_refused(void) { RUN(m_connect_refused); }

/* A connect that cannot complete (the listener's accept queue is full, so
 * the SYN is dropped) is bounded by a timeout and cancellable. */
static int m_connect_timeout(void *arg, void **result)
{
    struct sockaddr_storage la;
    socklen_t llen;
    int lfd = -1, fds[8], nfds = 0, hung = -1;
    cio_task_t *t = NULL;
    for (int i = 0; i < 8; i++)
        fds[i] = -1;
    lfd = bound_socket(AF_INET, SOCK_STREAM, 0, &la, &llen);
    REQ(lfd >= 0);
    for (nfds = 0; nfds < 6 && hung < 0; nfds++) {
        struct conn c = {.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), .alen = llen};
        REQ(c.fd >= 0);
        fds[nfds] = c.fd;
        memcpy(&c.addr, &la, llen);
        double t0 = now_s();
        int rc = cio_wait_for_call(body_connect, &c, 0.3, NULL);
        if (rc == -ETIMEDOUT) {
            double dt = now_s() - t0;
            if (dt < 0.28 || dt > 2.5)
                FAILF("connect timed out after %.3f s, limit 0.3 s", dt);
            CHECK_RC(c.rc, -ECANCELED);
            hung = nfds;
        } else {
            CHECK_RC(rc, 0);
        }
    }
    if (hung < 0) {
        skip("every connect completed: the accept queue never filled");
        goto out;
    }
    /* Another one, in a task, cancelled from here. */
    {
        struct conn c = {.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), .alen = llen};
        REQ(c.fd >= 0);
        fds[nfds++] = c.fd;
        memcpy(&c.addr, &la, llen);
        t = spawn(body_connect, &c);
        cio_sleep(0.05);
        if (c.done) {
            skip("the second connect completed");
            finish(t);
        } else {
            double t0 = now_s();
            CHECK_INT(cio_task_cancel(t, NULL), 1);
            CHECK_RC(finish(t), -ECANCELED);
            CHECK_RC(c.rc, -ECANCELED);
            if (now_s() - t0 > 1.0)
                FAILF("a cancelled connect took %.3f s to end", now_s() - t0);
        }
        t = NULL;
    }
    /* The listener still serves the connections that completed. */
    {
        int s = cio_sock_accept(lfd, NULL, NULL);
        CHECK(s >= 0);
        if (s >= 0)
            close(s);
    }
out:
    close_fd(&lfd);
    for (int i = 0; i < 8; i++)
        close_fd(&fds[i]);
    return 0;
}
static void t_connect_timeout_and_cancel(void) { RUN(m_connect_timeout); }

/* An accept cancelled while waiting: -ECANCELED; the listener still works. */
static int m_accept_cancelled(void *arg, void **result)
{
    struct sockaddr_storage la;
    socklen_t llen;
    int lfd = -1, cfd = -1, sfd = -1;
    char buf[8];
    cio_task_t *t = NULL;
    lfd = bound_socket(AF_INET, SOCK_STREAM, 16, &la, &llen);
    REQ(lfd >= 0);
    struct acc a = {.lfd = lfd};
    REQ_SPAWN(t, body_accept, &a);
    yield_n(3);
    CHECK(!a.done);
    CHECK_INT(cio_task_cancel(t, NULL), 1);
    CHECK_RC(finish(t), -ECANCELED);
    t = NULL;
    CHECK_RC(a.rc, -ECANCELED);
    /* With a timeout scope too. */
    CHECK_RC(cio_wait_for_call(body_accept, &a, 0.02, NULL), -ETIMEDOUT);
    CHECK_RC(a.rc, -ECANCELED);

    /* Cancelled while a client is arriving (before the loop saw it): the
     * connection is not taken; the next accept gets it. */
    a.done = 0;
    a.rc = -1;
    REQ_SPAWN(t, body_accept, &a);
    yield_n(2);
    CHECK(!a.done);
    cfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    REQ(cfd >= 0);
    REQ(connect(cfd, (struct sockaddr *)&la, llen) == 0 || errno == EINPROGRESS);
    cio_task_cancel(t, NULL);
    CHECK_RC(finish(t), -ECANCELED);
    t = NULL;
    CHECK_RC(a.rc, -ECANCELED);
    sfd = cio_sock_accept(lfd, NULL, NULL);
    REQ(sfd >= 0);
    CHECK_RC(cio_wait_writable(cfd, 2.0), 0);
    CHECK_RC(cio_sock_sendall(sfd, "ok", 2, NULL), 0);
    CHECK_BYTES(buf, cio_sock_recv(cfd, buf, sizeof buf), "ok");
    CHECK_RC(cio_sock_sendall(cfd, "ko", 2, NULL), 0);
    CHECK_BYTES(buf, cio_sock_recv(sfd, buf, sizeof buf), "ko");
out:
    reap(&t);
    close_fd(&lfd);
    close_fd(&cfd);
    close_fd(&sfd);
    return 0;
}
static void t_accept_cancelled(void) { RUN(m_accept_cancelled); }

/* Unix stream sockets in a private directory. */
static int m_unix_stream(void *arg, void **result)
{
    char dir[] = "/tmp/cio-sock-XXXXXX";
    char buf[16];
    int lfd = -1, cfd = -1, sfd = -1, made_dir = 0;
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    cio_task_t *t = NULL;
    struct acc a = {.lfd = -1, .rc = -1};
    REQ(mkdtemp(dir) != NULL);
    made_dir = 1;
    snprintf(sun.sun_path, sizeof sun.sun_path, "%s/s", dir);
    lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    REQ(lfd >= 0);
    REQ(bind(lfd, (struct sockaddr *)&sun, sizeof sun) == 0);
    REQ(listen(lfd, 8) == 0);
    a.lfd = lfd;
    REQ_SPAWN(t, body_accept, &a);
    yield_n(2);
    CHECK(!a.done);
    cfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    REQ(cfd >= 0);
    CHECK_RC(cio_sock_connect(cfd, (struct sockaddr *)&sun, sizeof sun), 0);
    CHECK_RC(finish(t), 0);
    t = NULL;
    REQ(a.rc >= 0);
    sfd = a.rc;
    CHECK_INT(a.addr.ss_family, AF_UNIX);
    CHECK_RC(cio_sock_sendall(cfd, "unix", 4, NULL), 0);
    CHECK_BYTES(buf, cio_sock_recv(sfd, buf, sizeof buf), "unix");
    close_fd(&sfd);
    CHECK_INT(cio_sock_recv(cfd, buf, sizeof buf), 0);
    /* A path nobody listens on. */
    {
        struct sockaddr_un none = {.sun_family = AF_UNIX};
        snprintf(none.sun_path, sizeof none.sun_path, "%s/none", dir);
        int c2 = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        REQ(c2 >= 0);
        CHECK_RC(cio_sock_connect(c2, (struct sockaddr *)&none, sizeof none), -ENOENT);
        close(c2);
    }
out:
    if (t) {
        cio_task_cancel(t, NULL);
        finish(t);
        if (a.rc >= 0)
            close(a.rc);
    }
    close_fd(&lfd);
    close_fd(&cfd);
    close_fd(&sfd);
    if (made_dir) {
        unlink(sun.sun_path);
        rmdir(dir);
    }
    return 0;
}
static void t_unix_stream(void) { RUN(m_unix_stream); }

/* ================================================ sendall / recv, bulk */

/* sendall of several MB through a socketpair whose buffers are shrunk to
 * the minimum, while another task reads with sock_recv in odd-sized chunks:
 * every byte arrives, in order, and the two really interleave. */
static int bulk(int a, int b, size_t n, unsigned seed, int interleave)
{
    char *src = malloc(n), *dst = malloc(n);
    cio_task_t *tw = NULL, *tr = NULL;
    if (!src || !dst) {
        free(src);
        free(dst);
        FAILF("malloc");
        return 0;
    }
    fill_pattern(src, n, 0, seed);
    memset(dst, 0, n);
    struct tx x = {.fd = a, .buf = src, .n = n, .shut = 1};
    struct sink s = {.fd = b, .buf = dst, .want = n};
    REQ_SPAWN(tr, body_sink, &s);
    REQ_SPAWN(tw, body_sendall, &x);
    await_pair(tw, tr);
    CHECK_RC(finish(tw), 0);
    tw = NULL;
    CHECK_RC(finish(tr), 0);
    tr = NULL;
    CHECK_RC(x.rc, 0);
    CHECK_INT(x.sent, n);
    CHECK_RC((int)s.rc, 0);
    CHECK_INT(s.got, n);
    CHECK_INT(s.extra, 0);
    CHECK_INT(s.eof, 1);
    size_t bad = first_bad(dst, s.got, 0, seed);
    if (bad != s.got)
        FAILF("byte %zu of %zu differs from what was sent", bad, n);
    if (interleave && !(s.t_first > 0 && s.t_first < x.t_done))
        FAILF("the reader got nothing before sendall finished: sendall did not let the loop run");
out:
    reap(&tw);
    reap(&tr);
    free(src);
    free(dst);
    return 0;
}

static int m_sendall_socketpair(void *arg, void **result)
{
    int sv[2] = {-1, -1};
    REQ(pair(sv) == 0);
    for (int i = 0; i < 2; i++)
        set_bufsizes(sv[i], 1024, 1024);
    bulk(sv[0], sv[1], 4u << 20, 1, 1);
out:
    close2(sv);
    return 0;
}
static void t_sendall_bulk_socketpair(void) { RUN(m_sendall_socketpair); }

static int m_sendall_tcp(void *arg, void **result)
{
    int cfd = -1, sfd = -1;
    REQ_OK(tcp_pair(AF_INET, &cfd, &sfd));
    set_bufsizes(cfd, 8192, 0);
    bulk(cfd, sfd, 2u << 20, 2, 0);
out:
    close_fd(&cfd);
    close_fd(&sfd);
    return 0;
}
static void t_sendall_bulk_tcp(void) { RUN(m_sendall_tcp); }

/* A call that can complete at once does so without suspending (asyncio
 * tries the system call first): a task created before it has not run yet. */
static int m_ready_no_suspend(void *arg, void **result)
{
    int sv[2] = {-1, -1};
    char buf[8];
    cio_task_t *t = NULL;
    REQ(pair(sv) == 0);
    REQ(send(sv[1], "now", 3, MSG_NOSIGNAL) == 3);
    REQ_SPAWN(t, body_log, "other");
    CHECK_BYTES(buf, cio_sock_recv(sv[0], buf, sizeof buf), "now");
    log_event("recv");
    CHECK_RC(cio_sock_sendall(sv[0], "s", 1, NULL), 0);
    log_event("sendall");
    CHECK_RC(finish(t), 0);
    t = NULL;
    CHECK_ORDER("recv sendall other");
out:
    reap(&t);
    close2(sv);
    return 0;
}
static void t_ready_calls_do_not_suspend(void) { RUN(m_ready_no_suspend); }

/* sock_recv returns 0 at EOF, again and again; also for a reader already
 * waiting when the peer closes. */
static int m_recv_eof(void *arg, void **result)
{
    int sv[2] = {-1, -1};
    char buf[16];
    cio_task_t *t = NULL;
    REQ(pair(sv) == 0);
    CHECK_RC(cio_sock_sendall(sv[1], "abc", 3, NULL), 0);
    REQ(shutdown(sv[1], SHUT_WR) == 0);
    CHECK_BYTES(buf, cio_sock_recv(sv[0], buf, sizeof buf), "abc");
    CHECK_INT(cio_sock_recv(sv[0], buf, sizeof buf), 0);
    CHECK_INT(cio_sock_recv(sv[0], buf, sizeof buf), 0);
    /* The other direction is still open. */
    CHECK_RC(cio_sock_sendall(sv[0], "back", 4, NULL), 0);
    CHECK_BYTES(buf, cio_sock_recv(sv[1], buf, sizeof buf), "back");
    close2(sv);

    REQ(pair(sv) == 0);
    struct rx r = {.fd = sv[0]};
    REQ_SPAWN(t, body_recv, &r);
    yield_n(2);
    CHECK(!r.done);
    close_fd(&sv[1]);
    CHECK_RC(finish(t), 0);
    t = NULL;
    CHECK_INT(r.rc, 0);
out:
    reap(&t);
    close2(sv);
    return 0;
}
static void t_recv_eof(void) { RUN(m_recv_eof); }

/* A blocked sock_recv that is cancelled: -ECANCELED and nothing consumed,
 * or (when the data had already woken it) the data; never lost, never
 * duplicated.  The cancel comes 0..40 iterations after the data was sent,
 * so that it lands in every phase of the wake-up, and once after the loop
 * went idle (then the data must have been received).  The socket keeps
 * working afterwards. */
static int m_recv_cancel(void *arg, void **result)
{
    int sv[2] = {-1, -1};
    char rest[64];
    struct rx r; /* here, not in the loop: the cleanup may still find its task running */
    cio_task_t *t = NULL;
    REQ(pair(sv) == 0);
    for (int k = -1; k <= 40; k++) {
        r = (struct rx){.fd = sv[0], .cap = 64, .rc = -999};
        REQ_SPAWN(t, body_recv, &r);
        yield_n(2);
        if (r.done)
            FAILF("k=%d: the receiver ended at once with %s", k, cio_err_name((int)r.rc));
        REQ(!r.done);
        REQ(send(sv[1], "hello", 5, MSG_NOSIGNAL) == 5);
        if (k < 0)
            cio_sleep(0.01);
        else
            yield_n(k);
        cio_task_cancel(t, NULL);
        int trc = finish(t);
        t = NULL;
        REQ(r.done);
        size_t nrest = drain(sv[0], rest, sizeof rest);
        if (r.rc == -ECANCELED) {
            CHECK_RC(trc, -ECANCELED);
            if (nrest != 5 || memcmp(rest, "hello", 5) != 0)
                FAILF("k=%d: recv cancelled, but %zu bytes \"%.*s\" were left, expected \"hello\"", k, nrest,
                      (int)nrest, rest);
        } else if (r.rc == 5) {
            CHECK(memcmp(r.buf, "hello", 5) == 0);
            if (nrest != 0)
                FAILF("k=%d: recv got the data and %zu more bytes were left", k, nrest);
        } else {
            FAILF("k=%d: cancelled recv returned %zd (%s)", k, r.rc, cio_err_name((int)r.rc));
        }
        if (k == 0 && r.rc != -ECANCELED)
            FAILF("cancelled before the loop polled the data: expected -ECANCELED, got %zd", r.rc);
        if (k < 0 && r.rc != 5)
            FAILF("cancelled 10 ms after the data came: expected the data, got %zd", r.rc);
    }
    /* Still usable, by another task. */
    r = (struct rx){.fd = sv[0]};
    REQ_SPAWN(t, body_recv, &r);
    yield_n(2);
    CHECK_RC(cio_sock_sendall(sv[1], "again", 5, NULL), 0);
    CHECK_RC(finish(t), 0);
    t = NULL;
    CHECK_BYTES(r.buf, r.rc, "again");
    /* A recv bounded by a timeout: -ETIMEDOUT, the late data kept. */
    {
        r = (struct rx){.fd = sv[0], .rc = -999};
        CHECK_RC(cio_wait_for_call(body_recv, &r, 0.03, NULL), -ETIMEDOUT);
        CHECK_RC((int)r.rc, -ECANCELED);
        REQ(send(sv[1], "late", 4, MSG_NOSIGNAL) == 4);
        struct rx r2 = {.fd = sv[0]};
        CHECK_RC(cio_wait_for_call(body_recv, &r2, 2.0, NULL), 0);
        CHECK_BYTES(r2.buf, r2.rc, "late");
    }
out:
    reap(&t);
    close2(sv);
    return 0;
}
static void t_recv_cancel_leaves_data(void) { RUN(m_recv_cancel); }

/* A sendall blocked on a full socket and cancelled: -ECANCELED, *sent tells
 * exactly the prefix that went (the peer receives that and nothing more);
 * the socket keeps working. */
static int m_sendall_cancel(void *arg, void **result)
{
    int sv[2] = {-1, -1};
    size_t n = 1u << 20, got, sent2 = 99;
    char *src = malloc(n), *dst = malloc(n + 64);
    cio_task_t *t = NULL;
    REQ(src && dst);
    REQ(pair(sv) == 0);
    for (int i = 0; i < 2; i++)
        set_bufsizes(sv[i], 1024, 1024);
    fill_pattern(src, n, 0, 7);
    struct tx x = {.fd = sv[0], .buf = src, .n = n, .sent = 12345};
    REQ_SPAWN(t, body_sendall, &x);
    cio_sleep(0.02);
    CHECK(!x.done);
    CHECK_INT(cio_task_cancel(t, NULL), 1);
    CHECK_RC(finish(t), -ECANCELED);
    t = NULL;
    CHECK_RC(x.rc, -ECANCELED);
    CHECK(x.sent > 0 && x.sent < n);
    got = drain(sv[1], dst, n + 64);
    CHECK_INT(got, x.sent);
    CHECK_INT(first_bad(dst, got, 0, 7), got);
    CHECK_RC(cio_sock_sendall(sv[0], "tail", 4, &sent2), 0);
    CHECK_INT(sent2, 4);
    CHECK_BYTES(dst, cio_sock_recv(sv[1], dst, 64), "tail");
out:
    reap(&t);
    free(src);
    free(dst);
    close2(sv);
    return 0;
}
static void t_sendall_cancel_reports_prefix(void) { RUN(m_sendall_cancel); }

/* A peer that is gone: sendall gets -EPIPE (no SIGPIPE: the binary would
 * die), recv after a reset gets -ECONNRESET. */
static int m_peer_gone(void *arg, void **result)
{
    int sv[2] = {-1, -1}, cfd = -1, sfd = -1;
    size_t sent = 99;
    cio_task_t *t = NULL;
    REQ(pair(sv) == 0);
    close_fd(&sv[1]);
    CHECK_RC(cio_sock_sendall(sv[0], "x", 1, &sent), -EPIPE);
    CHECK_INT(sent, 0);
    CHECK_RC((int)cio_sock_sendto(sv[0], "x", 1, NULL, 0), -EPIPE);

    REQ_OK(tcp_pair(AF_INET, &cfd, &sfd));
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    REQ(setsockopt(sfd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) == 0);
    struct rx r = {.fd = cfd};
    REQ_SPAWN(t, body_recv, &r);
    yield_n(2);
    CHECK(!r.done);
    close_fd(&sfd); /* RST */
    finish(t);
    t = NULL;
    CHECK_RC((int)r.rc, -ECONNRESET);
    int rc = cio_sock_sendall(cfd, "x", 1, NULL);
    CHECK(rc == -EPIPE || rc == -ECONNRESET);
out:
    reap(&t);
    close2(sv);
    close_fd(&cfd);
    close_fd(&sfd);
    return 0;
}
static void t_peer_gone_codes(void) { RUN(m_peer_gone); }

/* Bad arguments to the socket coroutines: codes, never a crash. */
static int m_sock_bad_args(void *arg, void **result)
{
    int sv[2] = {-1, -1}, p[2] = {-1, -1}, closed;
    char buf[8];
    size_t sent = 99;
    int64_t off = 0;
    struct sockaddr_storage ss;
    socklen_t alen = sizeof ss;
    REQ(pair(sv) == 0);
    REQ(pipe2(p, O_NONBLOCK | O_CLOEXEC) == 0);
    closed = p[0];
    close_fd(&p[0]);
    CHECK_RC((int)cio_sock_recv(-1, buf, sizeof buf), -EBADF);
    CHECK_RC((int)cio_sock_recv(closed, buf, sizeof buf), -EBADF);
    CHECK_RC((int)cio_sock_recv(sv[0], NULL, 8), -EINVAL);
    CHECK_RC((int)cio_sock_recv(p[1], buf, sizeof buf), -ENOTSOCK);
    CHECK_RC((int)cio_sock_recvfrom(-1, buf, sizeof buf, NULL, NULL), -EBADF);
    CHECK_RC((int)cio_sock_recvfrom(sv[0], NULL, 8, NULL, NULL), -EINVAL);
    CHECK_RC((int)cio_sock_recvfrom(sv[0], buf, 8, (struct sockaddr *)&ss, NULL), -EINVAL);
    CHECK_RC(cio_sock_sendall(-1, "x", 1, &sent), -EBADF);
    CHECK_INT(sent, 0);
    CHECK_RC(cio_sock_sendall(closed, "x", 1, NULL), -EBADF);
    CHECK_RC(cio_sock_sendall(sv[0], NULL, 5, NULL), -EINVAL);
    CHECK_RC(cio_sock_sendall(sv[0], NULL, 0, &sent), 0); /* nothing to send */
    CHECK_INT(sent, 0);
    CHECK_RC((int)cio_sock_sendto(-1, "x", 1, NULL, 0), -EBADF);
    CHECK_RC((int)cio_sock_sendto(sv[0], NULL, 5, NULL, 0), -EINVAL);
    CHECK_RC((int)cio_sock_sendto(sv[0], "x", 1, NULL, 16), -EINVAL);
    loopback(AF_INET, 9, &ss);
    CHECK_RC(cio_sock_connect(-1, (struct sockaddr *)&ss, sizeof(struct sockaddr_in)), -EBADF);
    CHECK_RC(cio_sock_connect(sv[0], NULL, 16), -EINVAL);
    CHECK_RC(cio_sock_accept(-1, NULL, NULL), -EBADF);
    CHECK_RC(cio_sock_accept(closed, (struct sockaddr *)&ss, &alen), -EBADF);
    CHECK_RC(cio_sock_accept(sv[0], (struct sockaddr *)&ss, NULL), -EINVAL);
    CHECK_RC((int)cio_sock_sendfile(-1, 0, &off, 10), -EBADF);
    CHECK_RC((int)cio_sock_sendfile(sv[0], -1, &off, 10), -EBADF);
    CHECK_INT(off, 0);
    /* Nothing reached the peer. */
    CHECK_INT(recv(sv[1], buf, sizeof buf, MSG_DONTWAIT), -1);
out:
    close2(sv);
    close2(p);
    return 0;
}
static void t_sock_bad_args(void) { RUN(m_sock_bad_args); }

/* ================================================================= UDP */

static int udp(int family)
{
    struct sockaddr_storage aa, ba;
    socklen_t alen, blen;
    int a = -1, b = -1;
    cio_task_t *t = NULL;
    char buf[256];
    struct rxfrom r = {.fd = -1};
    a = bound_socket(family, SOCK_DGRAM, -1, &aa, &alen);
    b = bound_socket(family, SOCK_DGRAM, -1, &ba, &blen);
    REQ(a >= 0 && b >= 0);
    r.fd = b;
    REQ_SPAWN(t, body_recvfrom, &r);
    yield_n(2);
    CHECK(!r.done);
    CHECK_INT(cio_sock_sendto(a, "dgram1", 6, (struct sockaddr *)&ba, blen), 6);
    CHECK_RC(finish(t), 0);
    t = NULL;
    CHECK_BYTES(r.buf, r.rc, "dgram1");
    CHECK_INT(r.alen, alen);
    CHECK(same_addr(&r.addr, &aa));
    CHECK_INT(addr_port(&r.addr), addr_port(&aa));

    /* Boundaries are kept; an empty datagram is one. */
    CHECK_INT(cio_sock_sendto(a, "one", 3, (struct sockaddr *)&ba, blen), 3);
    CHECK_INT(cio_sock_sendto(a, "", 0, (struct sockaddr *)&ba, blen), 0);
    CHECK_INT(cio_sock_sendto(a, "three", 5, (struct sockaddr *)&ba, blen), 5);
    {
        struct sockaddr_storage from;
        socklen_t flen = sizeof from;
        CHECK_BYTES(buf, cio_sock_recvfrom(b, buf, sizeof buf, (struct sockaddr *)&from, &flen), "one");
        CHECK(same_addr(&from, &aa));
        flen = sizeof from;
        memset(&from, 0, sizeof from);
        CHECK_INT(cio_sock_recvfrom(b, buf, sizeof buf, (struct sockaddr *)&from, &flen), 0);
        CHECK(same_addr(&from, &aa));
        CHECK_BYTES(buf, cio_sock_recvfrom(b, buf, sizeof buf, NULL, NULL), "three"); /* no address wanted */
    }
    /* A recvfrom cancelled while waiting takes nothing. */
    {
        struct rxfrom r2 = {.fd = b, .rc = -999};
        REQ_SPAWN(t, body_recvfrom, &r2);
        yield_n(2);
        CHECK(!r2.done);
        cio_task_cancel(t, NULL);
        CHECK_RC(finish(t), -ECANCELED);
        t = NULL;
        CHECK_RC((int)r2.rc, -ECANCELED);
        CHECK_INT(cio_sock_sendto(a, "after", 5, (struct sockaddr *)&ba, blen), 5);
        CHECK_BYTES(buf, cio_sock_recvfrom(b, buf, sizeof buf, NULL, NULL), "after");
    }
    /* The other way, and sock_recv on a datagram socket. */
    CHECK_INT(cio_sock_sendto(b, "reply", 5, (struct sockaddr *)&aa, alen), 5);
    CHECK_BYTES(buf, cio_sock_recv(a, buf, sizeof buf), "reply");
    /* A connected socket: no address needed. */
    REQ(connect(a, (struct sockaddr *)&ba, blen) == 0);
    CHECK_INT(cio_sock_sendto(a, "conn", 4, NULL, 0), 4);
    CHECK_BYTES(buf, cio_sock_recv(b, buf, sizeof buf), "conn");
out:
    if (t) {
        cio_task_cancel(t, NULL);
        finish(t);
    }
    close_fd(&a);
    close_fd(&b);
    return 0;
}

static int m_udp4(void *arg, void **result) { return udp(AF_INET); }
static void t_udp_ipv4(void) { RUN(m_udp4); }

static int m_udp6(void *arg, void **result)
{
    if (!have_ipv6()) {
        skip("no IPv6 loopback");
        return 0;
    }
    return udp(AF_INET6);
}
static void t_udp_ipv6(void) { RUN(m_udp6); }

/* ============================================================ sendfile */

#define FILE_SIZE 200000

/* Send [off, off+count) of the file and check what the peer receives.
 * 0, or -1 when the case failed (the socket then holds unknown bytes). */
static int sendfile_case(int s, int r, int ffd, int64_t off, size_t count, int64_t expect)
{
    char *dst = malloc(count + 1);
    int64_t o = off;
    int ok = 0;
    if (!dst) {
        FAILF("malloc");
        return -1;
    }
    struct sink k = {.fd = r,
                     .buf = dst,
                     .want = (size_t)(expect > 0 ? expect : 0),
                     .stop_at_want = 1,
                     .notify = cio_current_task()};
    cio_task_t *t = NULL;
    if (expect > 0)
        REQ_SPAWN(t, body_sink, &k); /* without a reader the sendfile would block for good */
    int64_t rc = cio_sock_sendfile(s, ffd, &o, count);
    if (rc != expect) {
        FAILF("sendfile(off %lld, count %zu) returned %lld (%s), expected %lld", (long long)off, count,
              (long long)rc, rc < 0 ? cio_err_name((int)rc) : "", (long long)expect);
        if (k.rc < 0)
            FAILF("sendfile(off %lld): the reader failed with %s", (long long)off, cio_err_name((int)k.rc));
        goto out; /* the reader waits for bytes that are not coming: cancelled */
    }
    if (rc >= 0 && o != off + rc)
        FAILF("sendfile(off %lld) left the offset at %lld, expected %lld", (long long)off, (long long)o,
              (long long)(off + rc));
    if (t) {
        CHECK_RC(finish(t), 0);
        t = NULL;
        CHECK_INT(k.got, expect);
        size_t bad = first_bad(dst, k.got, (size_t)off, 3);
        if (bad != k.got)
            FAILF("sendfile(off %lld): byte %zu received differs from the file", (long long)off, bad);
        if (k.got != (size_t)expect)
            goto out;
    }
    char c;
    CHECK_INT(recv(r, &c, 1, MSG_DONTWAIT), -1); /* nothing more than asked */
    ok = 1;
out:
    reap(&t);
    free(dst);
    return ok ? 0 : -1;
}

static int m_sendfile(void *arg, void **result)
{
    char dir[] = "/tmp/cio-sock-XXXXXX", path[64];
    int sv[2] = {-1, -1}, ffd = -1, cfd = -1, sfd = -1, made = 0;
    char *data = malloc(FILE_SIZE);
    REQ(data);
    REQ(mkdtemp(dir) != NULL);
    made = 1;
    snprintf(path, sizeof path, "%s/f", dir);
    ffd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    REQ(ffd >= 0);
    fill_pattern(data, FILE_SIZE, 0, 3);
    REQ(write(ffd, data, FILE_SIZE) == FILE_SIZE);

    REQ(pair(sv) == 0);
    for (int i = 0; i < 2; i++)
        set_bufsizes(sv[i], 1024, 1024);
    REQ(sendfile_case(sv[0], sv[1], ffd, 1000, 150000, 150000) == 0);
    REQ(sendfile_case(sv[0], sv[1], ffd, 0, 10, 10) == 0);
    /* Beyond the end: the shorter count. */
    REQ(sendfile_case(sv[0], sv[1], ffd, FILE_SIZE - 100, 1000, 100) == 0);
    /* At and past the end, and a zero count: 0. */
    REQ(sendfile_case(sv[0], sv[1], ffd, FILE_SIZE, 10, 0) == 0);
    REQ(sendfile_case(sv[0], sv[1], ffd, FILE_SIZE + 50, 10, 0) == 0);
    REQ(sendfile_case(sv[0], sv[1], ffd, 5, 0, 0) == 0);
    {
        int64_t o = -1;
        CHECK_RC((int)cio_sock_sendfile(sv[0], ffd, &o, 10), -EINVAL);
    }

    /* Over TCP, the whole file. */
    REQ_OK(tcp_pair(AF_INET, &cfd, &sfd));
    REQ(sendfile_case(cfd, sfd, ffd, 0, FILE_SIZE, FILE_SIZE) == 0);
    REQ(sendfile_case(cfd, sfd, ffd, 123, 1u << 30, FILE_SIZE - 123) == 0);
out:
    free(data);
    close2(sv);
    close_fd(&ffd);
    close_fd(&cfd);
    close_fd(&sfd);
    if (made) {
        unlink(path);
        rmdir(dir);
    }
    return 0;
}
static void t_sendfile(void) { RUN(m_sendfile); }

/* ================================================================= DNS */

static int is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
    if (sa->sa_family == AF_INET6)
        return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr);
    return 0;
}

static int ai_port(const struct addrinfo *ai)
{
    return addr_port((const struct sockaddr_storage *)(const void *)ai->ai_addr);
}

static int m_gai_localhost(void *arg, void **result)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = (void *)1, *ai;
    int n = 0;
    CHECK_RC(cio_getaddrinfo("localhost", "80", &hints, &res), 0);
    REQ(res != NULL && res != (void *)1);
    for (ai = res; ai; ai = ai->ai_next, n++) {
        CHECK(is_loopback(ai->ai_addr));
        CHECK_INT(ai_port(ai), 80);
        CHECK_INT(ai->ai_socktype, SOCK_STREAM);
    }
    CHECK(n >= 1);
    freeaddrinfo(res);
    res = NULL;

    hints.ai_family = AF_INET;
    CHECK_RC(cio_getaddrinfo("localhost", "80", &hints, &res), 0);
    REQ(res != NULL);
    CHECK_INT(res->ai_family, AF_INET);
    CHECK(is_loopback(res->ai_addr));
    freeaddrinfo(res);
    res = NULL;

    /* No hints at all, a service name. */
    CHECK_RC(cio_getaddrinfo("localhost", NULL, NULL, &res), 0);
    REQ(res != NULL);
    CHECK(is_loopback(res->ai_addr));
    freeaddrinfo(res);
    res = NULL;

out:
    if (res && res != (void *)1)
        freeaddrinfo(res);
    return 0;
}
static void t_getaddrinfo_localhost(void) { RUN(m_gai_localhost); }

struct gai {
    const char *host, *port;
    int rc;
    struct addrinfo *res;
    int done;
};

static int body_gai(void *arg, void **result)
{
    struct gai *g = arg;
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM};
    g->rc = cio_getaddrinfo(g->host, g->port, &hints, &g->res);
    g->done = 1;
    return g->rc;
}

/* Several lookups in flight at once; the loop keeps running meanwhile. */
static int m_gai_concurrent(void *arg, void **result)
{
    struct gai g[6] = {{0}};
    cio_task_t *t[6] = {NULL};
    for (int i = 0; i < 6; i++) {
        g[i] = (struct gai){.host = "localhost", .port = i % 2 ? "443" : "80", .rc = 1};
        REQ_SPAWN(t[i], body_gai, &g[i]);
    }
    for (int i = 0; i < 6; i++) {
        CHECK_RC(finish(t[i]), 0);
        t[i] = NULL;
        CHECK_RC(g[i].rc, 0);
        if (g[i].res) {
            CHECK(is_loopback(g[i].res->ai_addr));
            CHECK_INT(ai_port(g[i].res), i % 2 ? 443 : 80);
            freeaddrinfo(g[i].res);
        } else {
            FAILF("lookup %d: no result", i);
        }
        g[i].res = NULL;
    }
out:
    for (int i = 0; i < 6; i++) {
        reap(&t[i]); /* a lookup cancelled in the pool leaves no result */
        if (g[i].res)
            freeaddrinfo(g[i].res);
    }
    return 0;
}
static void t_getaddrinfo_concurrent(void) { RUN(m_gai_concurrent); }

static int m_gai_numeric(void *arg, void **result)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    char host[64];
    CHECK_RC(cio_getaddrinfo("127.0.0.1", "8080", &hints, &res), 0);
    REQ(res);
    CHECK_INT(res->ai_family, AF_INET);
    CHECK_INT(ai_port(res), 8080);
    inet_ntop(AF_INET, &((struct sockaddr_in *)res->ai_addr)->sin_addr, host, sizeof host);
    CHECK_STR(host, "127.0.0.1");
    CHECK(res->ai_next == NULL);
    freeaddrinfo(res);
    res = NULL;

    CHECK_RC(cio_getaddrinfo("::1", "443", &hints, &res), 0);
    REQ(res);
    CHECK_INT(res->ai_family, AF_INET6);
    CHECK_INT(ai_port(res), 443);
    CHECK(is_loopback(res->ai_addr));
    freeaddrinfo(res);
    res = NULL;

    /* host NULL: the loopback address, or the wildcard with AI_PASSIVE. */
    hints.ai_family = AF_INET;
    CHECK_RC(cio_getaddrinfo(NULL, "80", &hints, &res), 0);
    REQ(res);
    CHECK_INT(((struct sockaddr_in *)res->ai_addr)->sin_addr.s_addr, htonl(INADDR_LOOPBACK));
    CHECK_INT(ai_port(res), 80);
    freeaddrinfo(res);
    res = NULL;
    hints.ai_flags = AI_PASSIVE;
    CHECK_RC(cio_getaddrinfo(NULL, "80", &hints, &res), 0);
    REQ(res);
    CHECK_INT(((struct sockaddr_in *)res->ai_addr)->sin_addr.s_addr, htonl(INADDR_ANY));
    freeaddrinfo(res);
    res = NULL;

    /* A numeric host with a service name (looked up in the pool). */
    hints.ai_flags = 0;
    CHECK_RC(cio_getaddrinfo("127.0.0.1", "http", &hints, &res), 0);
    REQ(res);
    CHECK_INT(ai_port(res), 80);
    freeaddrinfo(res);
    res = NULL;

    /* AI_NUMERICHOST with a name: unknown host, no lookup. */
    hints.ai_flags = AI_NUMERICHOST;
    CHECK_RC(cio_getaddrinfo("localhost", "80", &hints, &res), CIO_ENONAME);
    CHECK(res == NULL);
out:
    if (res)
        freeaddrinfo(res);
    return 0;
}
static void t_getaddrinfo_numeric(void) { RUN(m_gai_numeric); }

static int m_gai_errors(void *arg, void **result)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = (void *)1;
    double t0 = now_s();
    int rc = cio_getaddrinfo("nonexistent.invalid", "80", &hints, &res);
    if (rc != CIO_ENONAME && rc != CIO_EDNSFAIL && rc != CIO_EDNSAGAIN)
        FAILF("getaddrinfo(\"nonexistent.invalid\") == %d (%s), expected CIO_ENONAME (or a DNS failure)", rc,
              cio_err_name(rc));
    if (rc == 0 && res && res != (void *)1)
        freeaddrinfo(res);
    else
        CHECK(res == NULL);
    if (now_s() - t0 > 3.0) /* the resolver's own timeouts, not cio's */
        printf("     (%s: the failed lookup took %.1f s: slow resolver)\n", test_current, now_s() - t0);

    /* An unknown service. */
    res = (void *)1;
    CHECK_RC(cio_getaddrinfo("localhost", "no-such-service-xyz", &hints, &res), CIO_ENONAME);
    CHECK(res == NULL);
    /* Bad family, bad flags: -EINVAL (numeric and resolved paths alike). */
    struct addrinfo bad = {.ai_family = 12345};
    res = NULL;
    CHECK_RC(cio_getaddrinfo("127.0.0.1", "80", &bad, &res), -EINVAL);
    CHECK_RC(cio_getaddrinfo("localhost", "80", &bad, &res), -EINVAL);
    struct addrinfo badflags = {.ai_flags = AI_CANONNAME};
    CHECK_RC(cio_getaddrinfo(NULL, "80", &badflags, &res), -EINVAL);
    CHECK(res == NULL);
    /* NULL pointers. */
    CHECK_RC(cio_getaddrinfo("localhost", "80", &hints, NULL), -EINVAL);
    CHECK_RC(cio_getaddrinfo("127.0.0.1", "80", &hints, NULL), -EINVAL);
    rc = cio_getaddrinfo(NULL, NULL, &hints, &res);
    CHECK(rc == -EINVAL || rc == CIO_ENONAME);
    CHECK(res == NULL);
    return 0;
}
static void t_getaddrinfo_errors(void) { RUN(m_gai_errors); }

/* A lookup cancelled while in the pool: -ECANCELED at once (or, if it had
 * already finished, its result); nothing leaks once the worker is done. */
static int m_gai_cancel(void *arg, void **result)
{
    for (int k = 0; k < 3; k++) {
        struct gai g = {.host = "localhost", .port = "80", .rc = 1};
        cio_task_t *t = spawn(body_gai, &g);
        if (!t)
            break;
        yield_n(k == 0 ? 1 : k);
        cio_task_cancel(t, NULL);
        finish(t);
        CHECK(g.done);
        CHECK_RC2(g.rc, -ECANCELED, 0);
        if (g.rc == -ECANCELED)
            CHECK(g.res == NULL);
        if (g.res)
            freeaddrinfo(g.res);
        if (k == 0 && g.rc != -ECANCELED)
            FAILF("cancelled one iteration into the lookup, got %s", cio_err_name(g.rc));
    }
    return 0;
}
static void t_getaddrinfo_cancelled(void) { RUN(m_gai_cancel); }

static int m_gni(void *arg, void **result)
{
    struct sockaddr_storage ss;
    socklen_t len = loopback(AF_INET, 8080, &ss);
    char host[NI_MAXHOST], serv[NI_MAXSERV], small[4];
    memset(host, 'x', sizeof host);
    memset(serv, 'x', sizeof serv);
    CHECK_RC(cio_getnameinfo((struct sockaddr *)&ss, len, host, sizeof host, serv, sizeof serv,
                             NI_NUMERICHOST | NI_NUMERICSERV),
             0);
    CHECK_STR(host, "127.0.0.1");
    CHECK_STR(serv, "8080");
    /* Only one of the two wanted. */
    memset(host, 'x', sizeof host);
    CHECK_RC(cio_getnameinfo((struct sockaddr *)&ss, len, host, sizeof host, NULL, 0,
                             NI_NUMERICHOST | NI_NUMERICSERV),
             0);
    CHECK_STR(host, "127.0.0.1");
    /* Through the pool: a name for 127.0.0.1 (from /etc/hosts). */
    memset(host, 0, sizeof host);
    CHECK_RC(cio_getnameinfo((struct sockaddr *)&ss, len, host, sizeof host, serv, sizeof serv, NI_NUMERICSERV), 0);
    CHECK(host[0] != 0);
    CHECK_STR(serv, "8080");
    {
        struct sockaddr_storage s6;
        socklen_t l6 = loopback(AF_INET6, 443, &s6);
        CHECK_RC(cio_getnameinfo((struct sockaddr *)&s6, l6, host, sizeof host, serv, sizeof serv,
                                 NI_NUMERICHOST | NI_NUMERICSERV),
                 0);
        CHECK_STR(host, "::1");
        CHECK_STR(serv, "443");
    }
    /* Too small a buffer, NULL pointers: codes. */
    CHECK(cio_getnameinfo((struct sockaddr *)&ss, len, small, sizeof small, NULL, 0,
                          NI_NUMERICHOST | NI_NUMERICSERV) < 0);
    CHECK_RC(cio_getnameinfo(NULL, len, host, sizeof host, serv, sizeof serv, NI_NUMERICHOST | NI_NUMERICSERV),
             -EINVAL);
    CHECK(cio_getnameinfo((struct sockaddr *)&ss, len, NULL, 0, NULL, 0, NI_NUMERICHOST | NI_NUMERICSERV) < 0);
    CHECK(cio_getnameinfo((struct sockaddr *)&ss, 0, host, sizeof host, serv, sizeof serv,
                          NI_NUMERICHOST | NI_NUMERICSERV) < 0);
    return 0;
}
static void t_getnameinfo(void) { RUN(m_gni); }

/* ========================================== an fd a stream owns is refused */

static int m_owned_fd(void *arg, void **result)
{
    int sv[2] = {-1, -1}, n = 0;
    cio_stream_t *s = NULL;
    char buf[8];
    cio_loop_t *loop = running_loop();
    REQ(pair(sv) == 0);
    REQ_OK(cio_stream_from_fd(sv[0], NULL, &s));
    CHECK_RC(cio_loop_add_reader(loop, sv[0], count_cb, &n), CIO_EINVALSTATE);
    CHECK_RC(cio_loop_add_writer(loop, sv[0], count_cb, &n), CIO_EINVALSTATE);
    /* The stream works regardless. */
    REQ(send(sv[1], "own", 3, MSG_NOSIGNAL) == 3);
    CHECK_BYTES(buf, cio_stream_read(s, buf, sizeof buf), "own");
    cio_stream_close(s);
    cio_stream_wait_closed(s);
    cio_unref(s);
    s = NULL;
    sv[0] = -1; /* the stream closed it */
    CHECK_INT(recv(sv[1], buf, sizeof buf, MSG_DONTWAIT), 0);
out:
    if (s)
        cio_unref(s);
    close2(sv);
    return 0;
}
static void t_stream_owned_fd_refused(void) { RUN(m_owned_fd); }

/* ================================================================ main */

static const struct test_case cases[] = {
    TEST(t_reader_level_triggered),
    TEST(t_reader_replace),
    TEST(t_reader_drains_then_quiet),
    TEST(t_reader_removes_itself),
    TEST(t_reader_error_goes_to_handler),
    TEST(t_writer),
    TEST(t_watch_bad_fds),
    TEST(t_reader_without_task),
    TEST(t_wait_readable_timeout_then_ready),
    TEST(t_wait_writable),
    TEST(t_wait_zero_timeout_on_ready_fd),
    TEST(t_wait_cancelled_fd_still_works),
    TEST(t_wait_same_fd_twice),
    TEST(t_wait_hangup_counts_as_ready),
    TEST(t_wait_bad_fds),
    TEST(t_fd_number_reused),
    TEST(t_many_fds),
    TEST(t_outside_loop),
    TEST(t_in_callback_not_a_task),
    TEST(t_connect_accept_ipv4),
    TEST(t_connect_accept_ipv6),
    TEST(t_connect_refused),
    TEST(t_connect_timeout_and_cancel),
    TEST(t_accept_cancelled),
    TEST(t_unix_stream),
    TEST(t_sendall_bulk_socketpair),
    TEST(t_sendall_bulk_tcp),
    TEST(t_ready_calls_do_not_suspend),
    TEST(t_recv_eof),
    TEST(t_recv_cancel_leaves_data),
    TEST(t_sendall_cancel_reports_prefix),
    TEST(t_peer_gone_codes),
    TEST(t_sock_bad_args),
    TEST(t_udp_ipv4),
    TEST(t_udp_ipv6),
    TEST(t_sendfile),
    TEST(t_getaddrinfo_localhost),
    TEST(t_getaddrinfo_concurrent),
    TEST(t_getaddrinfo_numeric),
    TEST(t_getaddrinfo_errors),
    TEST(t_getaddrinfo_cancelled),
    TEST(t_getnameinfo),
    TEST(t_stream_owned_fd_refused),
};

int main(int argc, char **argv)
{
    return run_tests(argc, argv, cases, NCASES(cases));
}
