/* Streams: open_connection / start_server and the reader-writer calls of
 * cio_stream_t, checked the way a user sees them: exact bytes, error codes,
 * ordering, nothing lost or duplicated.
 *
 * The reader semantics (read, readline, readuntil, readexactly, the limit)
 * were checked on CPython 3.11's StreamReader fed with the same chunks, and
 * readuntil with several separators against the 3.13 source (the match that
 * ENDS first wins; on a tie the shorter separator is the one that counts for
 * the limit).  Most reader cases feed a stream made with cio_stream_from_fd
 * from one end of a socketpair and write the other end raw, so that the
 * chunking is known: one send() of a few bytes arrives as one chunk.
 *
 * Everything runs on loopback (127.0.0.1 and Unix sockets in a mkdtemp
 * directory).  Raw writes use MSG_NOSIGNAL; cio's own sends must never raise
 * SIGPIPE, so SIGPIPE keeps its default action here, until the pipe cases
 * (last) make cio ignore it. */
#include "harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* ------------------------------------------------------------ helpers */

/* A position-dependent byte pattern: a byte lost, duplicated or moved shows
 * as a mismatch almost at once. */
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

static size_t check_pattern(const char *buf, size_t n, size_t off, unsigned seed)
{
    size_t bad = 0;
    for (size_t i = 0; i < n; i++)
        bad += (unsigned char)buf[i] != pat(off + i, seed);
    return bad;
}

static void set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void set_bufsizes(int fd, int snd, int rcv)
{
    if (snd > 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, sizeof snd);
    if (rcv > 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
}

/* From a task: send all of buf on the raw non-blocking socket fd. */
static int raw_send(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    double t0 = now_s();
    while (n > 0) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                return -errno;
            if (now_s() - t0 > 10)
                return -ETIMEDOUT;
            int rc = cio_sleep(0.001);
            if (rc < 0)
                return rc;
            continue;
        }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

#define RAW_SEND(fd, lit) CHECK_RC(raw_send(fd, lit, sizeof(lit) - 1), 0)

/* From a task: receive on the raw non-blocking socket until EOF, an error
 * or cap bytes.  Returns the count; *err gets 0 at EOF, -errno, or
 * -ETIMEDOUT after 10 s, or 1 when cap was reached first. */
static size_t raw_recv_all(int fd, char *buf, size_t cap, int *err)
{
    size_t got = 0;
    double t0 = now_s();
    *err = 1;
    while (got < cap) {
        ssize_t k = recv(fd, buf + got, cap - got, 0);
        if (k > 0) {
            got += (size_t)k;
            continue;
        }
        if (k == 0) {
            *err = 0;
            return got;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            *err = -errno;
            return got;
        }
        if (now_s() - t0 > 10) {
            *err = -ETIMEDOUT;
            return got;
        }
        if (cio_sleep(0.001) < 0) {
            *err = -ECANCELED;
            return got;
        }
    }
    return got;
}

/* A stream on one end of a socketpair; *raw is the other end (non-blocking). */
static int mk_pair(size_t limit, cio_stream_t **s, int *raw)
{
    int sv[2];
    *s = NULL;
    *raw = -1;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0)
        return -errno;
    cio_conn_opts_t o = {.limit = limit};
    int rc = cio_stream_from_fd(sv[0], &o, s);
    if (rc < 0) {
        close(sv[0]);
        close(sv[1]);
        *s = NULL;
        return rc;
    }
    *raw = sv[1];
    return 0;
}

/* A listening TCP socket on 127.0.0.1 that the test drives itself. */
static int raw_listener(int *port, int rcvbuf)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -errno;
    if (rcvbuf > 0)
        set_bufsizes(fd, 0, rcvbuf); /* inherited by accepted sockets */
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 16) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    *port = ntohs(a.sin_port);
    return fd;
}

static int raw_accept(int lfd)
{
    double t0 = now_s();
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0)
            return fd;
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            return -errno;
        if (now_s() - t0 > 5)
            return -ETIMEDOUT;
        int rc = cio_sleep(0.001);
        if (rc < 0)
            return rc;
    }
}

/* Close with SO_LINGER 0: the peer gets a RST. */
static void raw_reset(int fd)
{
    struct linger l = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    close(fd);
}

/* A port on 127.0.0.1 that nothing listens on (bound briefly, then freed). */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

static int is_conn_error(int rc)
{
    return rc == -EPIPE || rc == -ECONNRESET;
}

/* A reader task: one call on the stream, its outcome kept. */
enum { OP_READ, OP_READEXACTLY, OP_READLINE, OP_READUNTIL, OP_READUNTIL_ANY, OP_DRAIN };
struct rd {
    cio_stream_t *s;
    int op;
    size_t n;
    const char *sep;                 /* OP_READUNTIL */
    const void *const *seps;         /* OP_READUNTIL_ANY */
    const size_t *seplens;
    size_t nseps;
    ssize_t rc;
    size_t partial;
    int done;
    char buf[512];
};

static int reader_task(void *arg, void **result)
{
    struct rd *r = arg;
    size_t n = r->n ? r->n : sizeof r->buf;
    switch (r->op) {
    case OP_READ:
        r->rc = cio_stream_read(r->s, r->buf, n);
        break;
    case OP_READEXACTLY:
        r->rc = cio_stream_readexactly(r->s, r->buf, n);
        break;
    case OP_READLINE:
        r->rc = cio_stream_readline(r->s, r->buf, n);
        break;
    case OP_READUNTIL:
        r->rc = cio_stream_readuntil(r->s, r->sep, strlen(r->sep), r->buf, n);
        break;
    case OP_READUNTIL_ANY:
        r->rc = cio_stream_readuntil_any(r->s, r->seps, r->seplens, r->nseps, r->buf, n);
        break;
    case OP_DRAIN:
        r->rc = cio_stream_drain(r->s);
        break;
    }
    if (r->rc == CIO_EINCOMPLETE || r->rc == CIO_ELIMITOVERRUN)
        r->partial = cio_stream_partial(r->s);
    r->done = 1;
    return r->rc < 0 ? (int)r->rc : 0;
}

/* From a task, cio_create_task fails only when memory runs out. */
static cio_task_t *spawn(cio_coro_fn *fn, void *arg)
{
    cio_task_t *t = cio_create_task(fn, arg);
    if (!t)
        FAILF("cio_create_task failed: -ENOMEM");
    return t;
}

/* Server bookkeeping shared by the handlers. */
struct srv {
    int accepted, finished, active;
    ssize_t last_rc;
    ssize_t rcs[8];
};

/* Echo until EOF or an error. */
static int h_echo(cio_stream_t *s, void *arg)
{
    struct srv *st = arg;
    st->accepted++;
    st->active++;
    char buf[8192];
    ssize_t n;
    while ((n = cio_stream_read(s, buf, sizeof buf)) > 0) {
        int rc = cio_stream_write(s, buf, (size_t)n);
        if (rc == 0)
            rc = cio_stream_drain(s);
        if (rc < 0) {
            n = rc;
            break;
        }
    }
    st->last_rc = n;
    st->active--;
    st->finished++;
    return 0;
}

static int echo_once(cio_stream_t *c, const char *msg)
{
    char buf[256];
    size_t n = strlen(msg);
    int rc = cio_stream_write(c, msg, n);
    if (rc == 0)
        rc = cio_stream_drain(c);
    if (rc < 0)
        return rc;
    ssize_t k = cio_stream_readexactly(c, buf, n);
    if (k < 0)
        return (int)k;
    return (size_t)k == n && memcmp(buf, msg, n) == 0 ? 0 : -EBADMSG;
}

/* Close a server and wait (bounded) until its connections are gone. */
static void server_finish(cio_server_t *sv)
{
    if (!sv)
        return;
    cio_server_close(sv);
    cio_timeout_t to;
    if (cio_timeout_enter(&to, 5.0) == 0) {
        int rc = cio_timeout_exit(&to, cio_server_wait_closed(sv));
        CHECK_RC(rc, 0);
    }
    cio_unref(sv);
}

/* Close a stream and wait (bounded) for the end.  A connection lost with an
 * error may report it here (asyncio's wait_closed raises it). */
static void stream_finish(cio_stream_t *s)
{
    if (!s)
        return;
    cio_stream_close(s);
    cio_timeout_t to;
    if (cio_timeout_enter(&to, 5.0) == 0) {
        int rc = cio_timeout_exit(&to, cio_stream_wait_closed(s));
        if (rc != 0 && !is_conn_error(rc))
            FAILF("cio_stream_wait_closed == %d (%s)", rc, cio_err_name(rc));
    }
    cio_unref(s);
}

/* Cleanup: a task still running (after a failed check) is cancelled and
 * waited for, so that it never outlives the frame it points into. */
static void task_finish(cio_task_t *t)
{
    if (!t)
        return;
    if (!cio_future_done(t)) {
        cio_task_cancel(t, NULL);
        cio_await(t, NULL);
    }
    cio_unref(t);
}

/* The first error the loop reported to its exception handler (a server
 * that could not take a connection, for one): a case waiting for a peer
 * that will never come stops early.  Reports are still printed. */
static int loop_err;

static void recording_handler(cio_loop_t *loop, const cio_exc_context_t *ctx, void *ud)
{
    if (!loop_err)
        loop_err = ctx->error ? ctx->error : -EIO;
    cio_loop_default_exception_handler(loop, ctx);
}

struct recorded {
    cio_coro_fn *fn;
};

static int recorded_main(void *arg, void **result)
{
    cio_loop_t *loop = NULL;
    loop_err = 0;
    if (cio_get_running_loop(&loop) == 0)
        cio_loop_set_exception_handler(loop, recording_handler, NULL);
    int rc = ((struct recorded *)arg)->fn(NULL, result);
    /* Out of memory where the loop works alone (a server taking a
     * connection): the user learns of it from the handler, so does the case. */
    if (loop_err == -ENOMEM)
        FAILF("the loop reported %s", cio_err_name(loop_err));
    return rc;
}

/* Fail the case when the loop reported an error (the code by name). */
#define REQ_NO_LOOP_ERR()                                                                   \
    do {                                                                                    \
        if (loop_err) {                                                                     \
            FAILF("the loop reported %d (%s)", loop_err, cio_err_name(loop_err));          \
            goto out;                                                                       \
        }                                                                                   \
    } while (0)

#define RUN(m)                                                          \
    do {                                                                \
        struct recorded r_ = {m};                                       \
        CHECK_RC(run_limited(recorded_main, &r_, NULL), 0);             \
    } while (0)

/* ------------------------------------------------------------ echo */

static int m_echo_tcp(void *arg, void **result)
{
    struct srv st = {0};
    cio_server_t *sv = NULL;
    cio_stream_t *c = NULL;
    char buf[256];
    int rc = cio_start_server(h_echo, &st, "127.0.0.1", 0, NULL, &sv);
    CHECK_RC(rc, 0);
    REQ(rc == 0 && sv);
    int port = cio_server_port(sv);
    REQ(port > 0 && port < 65536);
    CHECK_INT(cio_server_is_serving(sv), 1);
    cio_loop_t *my_loop = NULL;
    cio_get_running_loop(&my_loop);
    CHECK(cio_server_get_loop(sv) == my_loop && my_loop != NULL);
    CHECK(cio_server_get_loop(NULL) == NULL);
    int fds[4] = {-1, -1, -1, -1};
    CHECK_INT(cio_server_sockets(sv, fds, 4), 1);
    CHECK(fds[0] >= 0);

    rc = cio_open_connection("127.0.0.1", port, &c);
    CHECK_RC(rc, 0);
    REQ(rc == 0 && c);
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    CHECK_RC(cio_stream_peername(c, &ss, &len), 0);
    CHECK_INT(ss.ss_family, AF_INET);
    CHECK_INT(ntohs(((struct sockaddr_in *)&ss)->sin_port), port);
    CHECK_INT(((struct sockaddr_in *)&ss)->sin_addr.s_addr, htonl(INADDR_LOOPBACK));
    len = sizeof ss;
    CHECK_RC(cio_stream_sockname(c, &ss, &len), 0);
    CHECK_INT(ss.ss_family, AF_INET);
    CHECK_INT(((struct sockaddr_in *)&ss)->sin_addr.s_addr, htonl(INADDR_LOOPBACK));
    CHECK(cio_stream_fd(c) >= 0);
    cio_tls_cipher_t ci;
    size_t clen = 0;
    CHECK_RC(cio_stream_tls_cipher(c, &ci), -ENOTSUP); /* plain (every stream, built without TLS) */
    CHECK_RC(cio_stream_tls_peercert(c, NULL, &clen), -ENOTSUP);
    CHECK(cio_stream_tls_ssl_object(c) == NULL);
    CHECK_INT(cio_stream_can_write_eof(c), 1);
    CHECK_INT(cio_stream_is_closing(c), 0);
    CHECK_INT(cio_stream_at_eof(c), 0);

    CHECK_RC(cio_stream_write(c, "hello ", 6), 0);
    struct iovec iov[3] = {{"wor", 3}, {"", 0}, {"ld\n", 3}};
    CHECK_RC(cio_stream_writev(c, iov, 3), 0);
    CHECK_RC(cio_stream_drain(c), 0);
    CHECK_BYTES(buf, cio_stream_readexactly(c, buf, 12), "hello world\n");
    CHECK_RC(cio_stream_write(c, "line two\nline three\n", 20), 0);
    CHECK_BYTES(buf, cio_stream_readline(c, buf, sizeof buf), "line two\n");
    CHECK_BYTES(buf, cio_stream_readline(c, buf, sizeof buf), "line three\n");
    CHECK_INT(st.accepted, 1);

    /* A name: resolved in the thread pool. */
    cio_stream_t *c2 = NULL;
    rc = cio_open_connection("localhost", port, &c2);
    CHECK_RC(rc, 0);
    if (rc == 0) {
        CHECK_RC(echo_once(c2, "via localhost"), 0);
        stream_finish(c2);
    }

    /* Half-close: the echo handler sees EOF and returns; we read EOF. */
    CHECK_RC(cio_stream_write_eof(c), 0);
    CHECK_INT(cio_stream_read(c, buf, sizeof buf), 0);
    CHECK_INT(cio_stream_at_eof(c), 1);
    CHECK_RC(cio_stream_close(c), 0);
    CHECK_INT(cio_stream_is_closing(c), 1);
    CHECK_RC(cio_stream_wait_closed(c), 0);
    cio_unref(c);
    c = NULL;
    CHECK_RC(cio_server_close(sv), 0);
    CHECK_INT(cio_server_is_serving(sv), 0);
    CHECK_RC(cio_server_wait_closed(sv), 0);
    CHECK_INT(st.accepted, 2);
    CHECK_INT(st.finished, 2);
    CHECK_INT(st.last_rc, 0);
    cio_unref(sv);
    sv = NULL;
out:
    stream_finish(c);
    server_finish(sv);
    return 0;
}
static void t_echo_tcp(void) { RUN(m_echo_tcp); }

/* ------------------------------------------------------------ read(n) */

static int m_read_available(void *arg, void **result)
{
    cio_stream_t *s = NULL;
    int raw = -1;
    char buf[128];
    cio_task_t *t = NULL;
    REQ_OK(mk_pair(0, &s, &raw));

    RAW_SEND(raw, "abc");
    CHECK_BYTES(buf, cio_stream_read(s, buf, 100), "abc"); /* returns with what is there */

    /* A read waiting for data returns as soon as any comes. */
    struct rd r = {.s = s, .op = OP_READ, .n = 100};
    t = spawn(reader_task, &r);
    REQ(t);
    CHECK_RC(cio_sleep(0.02), 0);
    CHECK_INT(r.done, 0);
    RAW_SEND(raw, "xy");
    CHECK_RC(cio_await(t, NULL), 0);
    CHECK_BYTES(r.buf, r.rc, "xy");

    /* n smaller than what is buffered: the rest stays. */
    RAW_SEND(raw, "0123456789");
    CHECK_BYTES(buf, cio_stream_read(s, buf, 4), "0123");
    CHECK_INT(cio_stream_read(s, buf, 0), 0); /* n == 0: 0 at once, nothing consumed */
    CHECK_BYTES(buf, cio_stream_read(s, buf, 3), "456");
    CHECK_BYTES(buf, cio_stream_read(s, buf, 100), "789");
    CHECK_INT(cio_stream_at_eof(s), 0);

    /* EOF: 0, again and again; the other readers agree. */
    CHECK_RC(shutdown(raw, SHUT_WR), 0);
    CHECK_INT(cio_stream_read(s, buf, 100), 0);
    CHECK_INT(cio_stream_at_eof(s), 1);
    CHECK_INT(cio_stream_read(s, buf, 100), 0);
    CHECK_INT(cio_stream_readline(s, buf, sizeof buf), 0);
    CHECK_INT(cio_stream_readexactly(s, buf, 0), 0);
    CHECK_INT(cio_stream_read(s, buf, 0), 0);
out:
    task_finish(t);
    stream_finish(s);
    if (raw >= 0)
        close(raw);
    return 0;
}
static void t_read_returns_available(void) { RUN(m_read_available); }

/* ------------------------------------------------------------ read_all */

struct feeder {
    int fd;
    const char *data;
    size_t len, chunk;
    int eof;
    int rc;
};

/* Send data in chunks of `chunk`, yielding between them, then shut down. */
static int feeder_task(void *arg, void **result)
{
    struct feeder *f = arg;
    f->rc = 0;
    for (size_t off = 0; off < f->len && f->rc == 0; off += f->chunk) {
        size_t k = f->len - off < f->chunk ? f->len - off : f->chunk;
        f->rc = raw_send(f->fd, f->data + off, k);
        if (f->rc == 0)
            f->rc = cio_yield();
    }
    if (f->eof)
        shutdown(f->fd, SHUT_WR);
    return f->rc;
}

#define RA_LEN (300 * 1000 + 7)

static int m_read_all(void *arg, void **result)
{
    cio_stream_t *s = NULL;
    int raw = -1;
    cio_task_t *t = NULL;
    char *data = malloc(RA_LEN), *got = NULL;
    REQ(data);
    fill_pattern(data, RA_LEN, 0, 3);
    REQ_OK(mk_pair(0, &s, &raw));
    /* More than the 64 KiB limit: read_all is not bounded by it. */
    struct feeder f = {.fd = raw, .data = data, .len = RA_LEN, .chunk = 7001, .eof = 1};
    t = spawn(feeder_task, &f);
    REQ(t);
    ssize_t n = cio_stream_read_all(s, &got);
    CHECK_INT(n, RA_LEN);
    REQ(n == RA_LEN && got);
    CHECK_INT(check_pattern(got, RA_LEN, 0, 3), 0);
    cio_free(got);
    got = NULL;
    CHECK_RC(cio_await(t, NULL), 0);
    CHECK_INT(cio_stream_at_eof(s), 1);
    /* At EOF: an empty result. */
    n = cio_stream_read_all(s, &got);
    CHECK_INT(n, 0);
    if (got)
        cio_free(got);
    got = NULL;
out:
    task_finish(t);
    stream_finish(s);
    if (raw >= 0)
        close(raw);
    free(data);
    return 0;
}
static void t_read_all_to_eof(void) { RUN(m_read_all); }

/* ------------------------------------------------------------ readexactly */

static int m_readexactly(void *arg, void **result)
{
    cio_stream_t *s = NULL;
    int raw = -1;
    cio_task_t *t = NULL;
    char buf[256];
    /* A small limit: readexactly is not bounded by it. */
    REQ_OK(mk_pair(16, &s, &raw));

    RAW_SEND(raw, "hello world");
    CHECK_BYTES(buf, cio_stream_readexactly(s, buf, 5), "hello");
    CHECK_INT(cio_stream_readexactly(s, buf, 0), 0);

    /* Waits until all n bytes are there. */
    struct rd r = {.s = s, .op = OP_READEXACTLY, .n = 10};
    t = spawn(reader_task, &r);
    REQ(t);
    CHECK_RC(cio_sleep(0.02), 0);
    CHECK_INT(r.done, 0);
    RAW_SEND(raw, "12");
    CHECK_RC(cio_sleep(0.02), 0);
    CHECK_INT(r.done, 0);
    RAW_SEND(raw, "34+rest");
    CHECK_RC(cio_await(t, NULL), 0);
    CHECK_BYTES(r.buf, r.rc, " world1234");
    CHECK_BYTES(buf, cio_stream_readexactly(s, buf, 5), "+rest");

    /* Past the limit and past 2 * limit (where asyncio pauses reading). */
    char big[200];
    fill_pattern(big, sizeof big, 0, 9);
    CHECK_RC(raw_send(raw, big, sizeof big), 0);
    ssize_t n = cio_stream_readexactly(s, buf, sizeof big);
    CHECK_INT(n, sizeof big);
    CHECK(n == (ssize_t)sizeof big && memcmp(buf, big, sizeof big) == 0);

    /* EOF first: CIO_EINCOMPLETE with the partial data, then EOF. */
    RAW_SEND(raw, "abc");
    CHECK_RC(shutdown(raw, SHUT_WR), 0);
    memset(buf, 0, sizeof buf);
    CHECK_RC(cio_stream_readexactly(s, buf, 5), CIO_EINCOMPLETE);
    CHECK_INT(cio_stream_partial(s), 3);
    CHECK(memcmp(buf, "abc", 3) == 0);
    CHECK_INT(cio_stream_at_eof(s), 1);
    CHECK_INT(cio_stream_read(s, buf, sizeof buf), 0);
    /* Nothing at all before EOF. */
    CHECK_RC(cio_stream_readexactly(s, buf, 2), CIO_EINCOMPLETE);
    CHECK_INT(cio_stream_partial(s), 0);
out:
    task_finish(t);
    stream_finish(s);
    if (raw >= 0)
        close(raw);
    return 0;
}
static void t_readexactly(void) { RUN(m_readexactly); }

/* ------------------------------------------------------------ readline */

static int m_readline_basics(void *arg, void **result)
{
    cio_stream_t *s = NULL;
    int raw = -1;
    cio_task_t *t = NULL;
    char buf[256];
    REQ_OK(mk_pair(0, &s, &raw));

    /* A line split over several sends. */
    struct rd r = {.s = s, .op = OP_READLINE};
    t = spawn(reader_task, &r);
    REQ(t);
    RAW_SEND(raw, "spl");
    CHECK_RC(cio_sleep(0.02), 0);
    CHECK_INT(r.done, 0);
    RAW_SEND(raw, "it line");
    CHECK_RC(cio_sleep(0.02), 0);
    CHECK_INT(r.done, 0);
    RAW_SEND(raw, "\none\n");
    CHECK_RC(cio_await(t, NULL), 0);
    CHECK_BYTES(r.buf, r.rc, "split line\n");

    RAW_SEND(raw, "two\n\nthree");
    CHECK_RC(shutdown(raw, SHUT_WR), 0);
    CHECK_BYTES(buf, cio_stream_readline(s, buf, sizeof buf), "one\n");
    CHECK_BYTES(buf, cio_stream_readline(s, buf, sizeof buf), "two\n");
    CHECK_BYTES(buf, cio_stream_readline(s, buf, sizeof buf), "\n");
    CHECK_INT(cio_stream_at_eof(s), 0); /* "three" is still buffered */
    /* The last partial line at EOF, then 0. */
    CHECK_BYTES(buf, cio_stream_readline(s, buf, sizeof buf), "three");
    CHECK_INT(cio_stream_at_eof(s), 1);
    CHECK_INT(cio_stream_readline(s, buf, sizeof buf), 0);
    CHECK_INT(cio_stream_readline(s, buf, sizeof buf), 0);
out:
    task_finish(t);
    stream_finish(s);
    if (raw >= 0)
        close(raw);
    return 0;
}
static void t_readline_basics(void) { RUN(m_readline_basics); }

/* asyncio, limit=8: b"12345678\n" is returned (8 bytes before the '\n'),
 * b"123456789\n" raises ValueError and is discarded; a buffer of 10 bytes
 * without '\n' is discarded whole. */
static int m_readline_limit(void *arg, void **result)
{
    cio_stream_t *s = NULL;
    int raw = -1;
    char buf[256];
    REQ_OK(mk_pair(8, &s, &raw));

    RAW_SEND(raw, "12345678\n123456789\nnext\n");
    CHECK_BYTES(buf, cio_stream_readline(s, buf, sizeof buf), "12345678\n");
    CHECK_RC(cio_stream_readline(s, buf, sizeof buf), CIO_ELIMITOVERRUN);
    CHECK_BYTES(buf, cio_stream_readline(s, buf, sizeof buf), "next\n");

    /* No newline within the limit: the whole buffer is discarded. */
    RAW_SEND(raw, "1234567890");
    CHECK_RC(cio_stream_readline(s, buf, sizeof buf), CIO_ELIMITOVERRUN);
    RAW_SEND(raw, "x\n");
    CHECK_BYTES(buf, cio_stream_readline(s, buf, sizeof buf), "x\n");

    /* The same through readline_ref. */
    const char *line = NULL;
    RAW_SEND(raw, "abcdefghi\nok\n");
    CHECK_RC(cio_stream_readline_ref(s, &line), CIO_ELIMITOVERRUN);
    ssize_t n = cio_stream_readline_ref(s, &line);
    CHECK_BYTES(line, n, "ok\n");

    /* cio_stream_set_limit changes the bound for the next calls. */
    CHECK_RC(cio_stream_set_limit(s, 4), 0);
    RAW_SEND(raw, "abcd\nabcde\nz\n");
    CHECK_BYTES(buf, cio_stream_readline(s, buf, sizeof buf), "abcd\n");
    CHECK_RC(cio_stream_readline(s, buf, sizeof buf), CIO_ELIMITOVERRUN);
    CHECK_BYTES(buf, cio_stream_readline(s, buf, sizeof buf), "z\n");
    CHECK_RC(cio_stream_set_limit(s, 64), 0);
    RAW_SEND(raw, "abcdefghijklmnop\n");
    CHECK_BYTES(buf, cio_stream_readline(s, buf, sizeof buf), "abcdefghijklmnop\n");

    /* Over the limit at EOF: discarded, then EOF. */
    CHECK_RC(cio_stream_set_limit(s, 8), 0);
    RAW_SEND(raw, "1234567890");
    CHECK_RC(shutdown(raw, SHUT_WR), 0);
    CHECK_RC(cio_stream_readline(s, buf, sizeof buf), CIO_ELIMITOVERRUN);
    CHECK_INT(cio_stream_readline(s, buf, sizeof buf), 0);
    CHECK_INT(cio_stream_at_eof(s), 1);
out:
    stream_finish(s);
    if (raw >= 0)
        close(raw);
    return 0;
}
static void t_readline_limit(void) { RUN(m_readline_limit); }

/* A line within the limit but longer than the caller's buffer: -ENOBUFS,
 * nothing consumed. */
static int m_readline_cap(void *arg, void **result)
{
    cio_stream_t *s = NULL;
    int raw = -1;
    char buf[64];
    REQ_OK(mk_pair(0, &s, &raw));
    RAW_SEND(raw, "a-line-of-20-chars!\nB\n");
    CHECK_RC(cio_stream_readline(s, buf, 10), -ENOBUFS);
    CHECK_RC(cio_stream_readline(s, buf, 19), -ENOBUFS);
    CHECK_BYTES(buf, cio_stream_readline(s, buf, 20), "a-line-of-20-chars!\n"); /* exactly cap */
    CHECK_BYTES(buf, cio_stream_readline(s, buf, 2), "B\n");
    /* The last partial line at EOF is bounded by cap too. */
    RAW_SEND(raw, "tail-part");
    CHECK_RC(shutdown(raw, SHUT_WR), 0);
    CHECK_RC(cio_stream_readline(s, buf, 4), -ENOBUFS);
    CHECK_BYTES(buf, cio_stream_readline(s, buf, sizeof buf), "tail-part");
    CHECK_INT(cio_stream_readline(s, buf, sizeof buf), 0);
out:
    stream_finish(s);
    if (raw >= 0)
        close(raw);
    return 0;
}
static void t_readline_cap_enobufs(void) { RUN(m_readline_cap); }

/* The line iterator over many lines arriving in chunks that ignore line
 * boundaries, with a final line without '\n'. */
#define ITER_LINES 10000

static int m_readline_iter(void *arg, void **result)
{
    cio_stream_t *s = NULL;
    int raw = -1;
    cio_task_t *t = NULL;
    size_t cap = ITER_LINES * 80 + 64, len = 0;
    char *text = malloc(cap);
    REQ(text);
    for (int i = 0; i < ITER_LINES; i++)
        len += (size_t)snprintf(text + len, cap - len, "line %d %.*s\n", i, i % 50,
                                "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    len += (size_t)snprintf(text + len, cap - len, "the end");
    REQ_OK(mk_pair(0, &s, &raw));
    struct feeder f = {.fd = raw, .data = text, .len = len, .chunk = 997, .eof = 1};
    t = spawn(feeder_task, &f);
    REQ(t);

    const char *line;
    ssize_t n;
    int count = 0, wrong = 0;
    char want[128];
    while ((n = cio_stream_readline_ref(s, &line)) > 0) {
        int k = count < ITER_LINES
                    ? snprintf(want, sizeof want, "line %d %.*s\n", count, count % 50,
                               "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")
                    : snprintf(want, sizeof want, "the end");
        if (n != k || memcmp(line, want, (size_t)k) != 0) {
            if (!wrong)
                FAILF("line %d: got \"%.*s\", expected \"%s\"", count, (int)n, line, want);
            wrong++;
        }
        count++;
    }
    CHECK_INT(n, 0);
    if (n < 0)
        goto out; /* the feeder may be blocked on a socket nobody reads: cancelled */
    CHECK_INT(count, ITER_LINES + 1);
    CHECK_INT(wrong, 0);
    CHECK_RC(cio_await(t, NULL), 0);
out:
    task_finish(t);
    stream_finish(s);
    if (raw >= 0)
        close(raw);
    free(text);
    return 0;
}
static void t_readline_ref_iterator(void) { RUN(m_readline_iter); }

/* ------------------------------------------------------------ readuntil */

static int m_readuntil(void *arg, void **result)
{
    cio_stream_t *s = NULL;
    int raw = -1;
    cio_task_t *t = NULL;
    char buf[256];
    REQ_OK(mk_pair(0, &s, &raw));

    /* A multi-byte separator split across sends. */
    struct rd r = {.s = s, .op = OP_READUNTIL, .sep = "\r\n\r\n"};
    t = spawn(reader_task, &r);
    REQ(t);
    RAW_SEND(raw, "HEAD\r\n");
    CHECK_RC(cio_sleep(0.02), 0);
    CHECK_INT(r.done, 0);
    RAW_SEND(raw, "\r");
    CHECK_RC(cio_sleep(0.02), 0);
    CHECK_INT(r.done, 0);
    RAW_SEND(raw, "\nBODY");
    CHECK_RC(cio_await(t, NULL), 0);
    CHECK_BYTES(r.buf, r.rc, "HEAD\r\n\r\n");
    CHECK_BYTES(buf, cio_stream_read(s, buf, sizeof buf), "BODY");

    /* Several matches buffered: one at a time. */
    RAW_SEND(raw, "a::b::::c");
    CHECK_BYTES(buf, cio_stream_readuntil(s, "::", 2, buf, sizeof buf), "a::");
    CHECK_BYTES(buf, cio_stream_readuntil(s, "::", 2, buf, sizeof buf), "b::");
    CHECK_BYTES(buf, cio_stream_readuntil(s, "::", 2, buf, sizeof buf), "::");

    /* A match longer than cap: -ENOBUFS, nothing consumed. */
    RAW_SEND(raw, ";key=value;");
    CHECK_BYTES(buf, cio_stream_readuntil(s, ";", 1, buf, sizeof buf), "c;");
    CHECK_RC(cio_stream_readuntil(s, ";", 1, buf, 5), -ENOBUFS);
    CHECK_BYTES(buf, cio_stream_readuntil(s, ";", 1, buf, 10), "key=value;");

    /* EOF first: CIO_EINCOMPLETE, the buffer (with half a separator) handed
     * over and consumed. */
    RAW_SEND(raw, "abc\r");
    CHECK_RC(shutdown(raw, SHUT_WR), 0);
    memset(buf, 0, sizeof buf);
    CHECK_RC(cio_stream_readuntil(s, "\r\n", 2, buf, sizeof buf), CIO_EINCOMPLETE);
    CHECK_INT(cio_stream_partial(s), 4);
    CHECK(memcmp(buf, "abc\r", 4) == 0);
    CHECK_INT(cio_stream_at_eof(s), 1);
    CHECK_INT(cio_stream_read(s, buf, sizeof buf), 0);
    CHECK_RC(cio_stream_readuntil(s, "\r\n", 2, buf, sizeof buf), CIO_EINCOMPLETE);
    CHECK_INT(cio_stream_partial(s), 0);
out:
    task_finish(t);
    stream_finish(s);
    if (raw >= 0)
        close(raw);
    return 0;
}
static void t_readuntil(void) { RUN(m_readuntil); }

/* asyncio, limit=8, each buffer fed in one chunk:
 *   b"0123456789ABC" until b"\n"    -> LimitOverrunError(consumed=13), kept
 *   b"0123456789\nzz" until b"\n"   -> consumed=10 (separator found past it)
 *   b"0123456789" until b"\r\n"     -> consumed=9 (buflen + 1 - seplen)
 *   b"12345678;" until b";"         -> returned (exactly at the limit) */
static int m_readuntil_limit(void *arg, void **result)
{
    cio_stream_t *s = NULL;
    int raw = -1;
    char buf[256];
    REQ_OK(mk_pair(8, &s, &raw));

    RAW_SEND(raw, "0123456789ABC");
    CHECK_RC(cio_stream_readuntil(s, "\n", 1, buf, sizeof buf), CIO_ELIMITOVERRUN);
    CHECK_INT(cio_stream_partial(s), 13);
    CHECK_BYTES(buf, cio_stream_read(s, buf, sizeof buf), "0123456789ABC"); /* kept */

    RAW_SEND(raw, "0123456789\nzz");
    CHECK_RC(cio_stream_readuntil(s, "\n", 1, buf, sizeof buf), CIO_ELIMITOVERRUN);
    CHECK_INT(cio_stream_partial(s), 10);
    /* Again: same answer, still nothing consumed. */
    CHECK_RC(cio_stream_readuntil(s, "\n", 1, buf, sizeof buf), CIO_ELIMITOVERRUN);
    CHECK_BYTES(buf, cio_stream_readexactly(s, buf, 13), "0123456789\nzz");

    RAW_SEND(raw, "0123456789");
    CHECK_RC(cio_stream_readuntil(s, "\r\n", 2, buf, sizeof buf), CIO_ELIMITOVERRUN);
    CHECK_INT(cio_stream_partial(s), 9);
    CHECK_BYTES(buf, cio_stream_read(s, buf, sizeof buf), "0123456789");

    RAW_SEND(raw, "12345678;");
    CHECK_BYTES(buf, cio_stream_readuntil(s, ";", 1, buf, sizeof buf), "12345678;");
out:
    stream_finish(s);
    if (raw >= 0)
        close(raw);
    return 0;
}
static void t_readuntil_limit_keeps_buffer(void) { RUN(m_readuntil_limit); }

/* asyncio 3.13's tuple of separators. */
static int m_readuntil_any(void *arg, void **result)
{
    cio_stream_t *s = NULL;
    int raw = -1;
    cio_task_t *t = NULL;
    char buf[256];
    REQ_OK(mk_pair(0, &s, &raw));

    /* "XYZW" starts first but "Z" ends first: the earliest END wins. */
    const void *s1[] = {"XYZW", "Z"};
    const size_t l1[] = {4, 1};
    RAW_SEND(raw, "aXYZWb");
    CHECK_BYTES(buf, cio_stream_readuntil_any(s, s1, l1, 2, buf, sizeof buf), "aXYZ");
    CHECK_BYTES(buf, cio_stream_read(s, buf, sizeof buf), "Wb");

    const void *s2[] = {"\r\n", "\n"};
    const size_t l2[] = {2, 1};
    RAW_SEND(raw, "a\nb\r\nc");
    CHECK_BYTES(buf, cio_stream_readuntil_any(s, s2, l2, 2, buf, sizeof buf), "a\n");
    CHECK_BYTES(buf, cio_stream_readuntil_any(s, s2, l2, 2, buf, sizeof buf), "b\r\n");

    /* Waiting: a separator completed by a later send. */
    const void *s3[] = {"END", "\n\n"};
    const size_t l3[] = {3, 2};
    struct rd r = {.s = s, .op = OP_READUNTIL_ANY, .seps = s3, .seplens = l3, .nseps = 2};
    t = spawn(reader_task, &r);
    REQ(t);
    RAW_SEND(raw, "EN");
    CHECK_RC(cio_sleep(0.02), 0);
    CHECK_INT(r.done, 0);
    RAW_SEND(raw, "D\n\n");
    CHECK_RC(cio_await(t, NULL), 0);
    CHECK_BYTES(r.buf, r.rc, "cEND");
    CHECK_BYTES(buf, cio_stream_readuntil_any(s, s3, l3, 2, buf, sizeof buf), "\n\n");

    /* EOF first. */
    RAW_SEND(raw, "q\r");
    CHECK_RC(shutdown(raw, SHUT_WR), 0);
    CHECK_RC(cio_stream_readuntil_any(s, s2, l2, 2, buf, sizeof buf), CIO_EINCOMPLETE);
    CHECK_INT(cio_stream_partial(s), 2);
    CHECK(memcmp(buf, "q\r", 2) == 0);
out:
    task_finish(t);
    stream_finish(s);
    if (raw >= 0)
        close(raw);
    return 0;
}
static void t_readuntil_any(void) { RUN(m_readuntil_any); }

/* The limit with several separators (3.13 source): on a tie of ends the
 * shorter separator counts, so "0123456789AB" with ("89AB", "AB") and
 * limit 9 overruns at 10; when none is found, consumed = buflen + 1 -
 * the longest separator's length. */
static int m_readuntil_any_limit(void *arg, void **result)
{
    cio_stream_t *s = NULL;
    int raw = -1;
    char buf[256];
    REQ_OK(mk_pair(9, &s, &raw));

    const void *s1[] = {"89AB", "AB"};
    const size_t l1[] = {4, 2};
    RAW_SEND(raw, "0123456789AB");
    CHECK_RC(cio_stream_readuntil_any(s, s1, l1, 2, buf, sizeof buf), CIO_ELIMITOVERRUN);
    CHECK_INT(cio_stream_partial(s), 10);
    CHECK_RC(cio_stream_set_limit(s, 10), 0);
    CHECK_BYTES(buf, cio_stream_readuntil_any(s, s1, l1, 2, buf, sizeof buf), "0123456789AB");

    const void *s2[] = {"\n", "END!"};
    const size_t l2[] = {1, 4};
    CHECK_RC(cio_stream_set_limit(s, 4), 0);
    RAW_SEND(raw, "0123456789");
    CHECK_RC(cio_stream_readuntil_any(s, s2, l2, 2, buf, sizeof buf), CIO_ELIMITOVERRUN);
    CHECK_INT(cio_stream_partial(s), 7);
    CHECK_BYTES(buf, cio_stream_read(s, buf, sizeof buf), "0123456789");

    /* Bad separator sets: -EINVAL, nothing consumed. */
    RAW_SEND(raw, "keep\n");
    const void *s3[] = {"\n", ""};
    const size_t l3[] = {1, 0};
    CHECK_RC(cio_stream_readuntil_any(s, s3, l3, 2, buf, sizeof buf), -EINVAL);
    CHECK_RC(cio_stream_readuntil_any(s, s1, l1, 0, buf, sizeof buf), -EINVAL);
    CHECK_RC(cio_stream_readuntil_any(s, NULL, l1, 2, buf, sizeof buf), -EINVAL);
    CHECK_RC(cio_stream_readuntil_any(s, s1, NULL, 2, buf, sizeof buf), -EINVAL);
    const void *s4[] = {"\n", NULL};
    CHECK_RC(cio_stream_readuntil_any(s, s4, l2, 2, buf, sizeof buf), -EINVAL);
    CHECK_BYTES(buf, cio_stream_readuntil_any(s, s2, l2, 2, buf, sizeof buf), "keep\n");
out:
    stream_finish(s);
    if (raw >= 0)
        close(raw);
    return 0;
}
static void t_readuntil_any_limit(void) { RUN(m_readuntil_any_limit); }

/* ------------------------------------------------------------ bad arguments */

static int m_invalid_args(void *arg, void **result)
{
    cio_stream_t *s = NULL;
    int raw = -1;
    char buf[64];
    REQ_OK(mk_pair(0, &s, &raw));
    /* Data is buffered so that no call has a reason to wait. */
    RAW_SEND(raw, "x\n");

    CHECK_RC(cio_stream_readuntil(s, "", 0, buf, sizeof buf), -EINVAL);
    CHECK_RC(cio_stream_readuntil(s, NULL, 1, buf, sizeof buf), -EINVAL);
    CHECK_RC(cio_stream_readuntil(s, "\n", 1, NULL, sizeof buf), -EINVAL);
    CHECK_RC(cio_stream_read(s, NULL, 10), -EINVAL);
    CHECK_RC(cio_stream_read(s, buf, SIZE_MAX), -EINVAL);
    CHECK_RC(cio_stream_read(s, buf, (size_t)SSIZE_MAX + 1), -EINVAL);
    CHECK_RC(cio_stream_readexactly(s, NULL, 5), -EINVAL);
    CHECK_RC(cio_stream_readexactly(s, buf, SIZE_MAX), -EINVAL);
    CHECK_RC(cio_stream_readline(s, NULL, 10), -EINVAL);
    CHECK_RC(cio_stream_readline_ref(s, NULL), -EINVAL);
    CHECK_RC(cio_stream_read_all(s, NULL), -EINVAL);
    CHECK_RC(cio_stream_read(NULL, buf, 10), -EINVAL);
    CHECK_RC(cio_stream_readline(NULL, buf, 10), -EINVAL);
    CHECK_RC(cio_stream_write(s, NULL, 5), -EINVAL);
    CHECK_RC(cio_stream_write(s, buf, SIZE_MAX), -EINVAL);
    CHECK_RC(cio_stream_writev(s, NULL, 1), -EINVAL);
    struct iovec iov[1] = {{buf, 1}};
    CHECK_RC(cio_stream_writev(s, iov, -1), -EINVAL);
    CHECK_RC(cio_stream_write(NULL, "a", 1), -EINVAL);
    /* asyncio: ValueError when low > high. */
    CHECK_RC(cio_stream_set_write_buffer_limits(s, 100, 200), -EINVAL);
    size_t hi = 0, lo = 0;
    CHECK_RC(cio_stream_get_write_buffer_limits(s, &hi, &lo), 0);
    CHECK_INT(hi, 64 * 1024); /* asyncio's defaults, the refused pair not taken */
    CHECK_INT(lo, 16 * 1024);
    CHECK_RC(cio_stream_set_write_buffer_limits(s, 300, 0), 0);
    CHECK_RC(cio_stream_get_write_buffer_limits(s, &hi, &lo), 0);
    CHECK_INT(hi, 300);
    CHECK_INT(lo, 75); /* low defaults to high / 4 */
    CHECK_RC(cio_stream_set_write_buffer_limits(s, 0, 0), 0);
    CHECK_RC(cio_stream_get_write_buffer_limits(s, NULL, &lo), -EINVAL);
    CHECK_RC(cio_stream_get_write_buffer_limits(NULL, &hi, &lo), -EINVAL);
    CHECK_INT(cio_stream_write_buffer_size(s), 0);
    CHECK_RC(cio_stream_write(s, "", 0), 0); /* an empty write is fine */
    CHECK_INT(cio_stream_write_buffer_size(s), 0);
    /* None of it consumed anything. */
    CHECK_BYTES(buf, cio_stream_readline(s, buf, sizeof buf), "x\n");
out:
    stream_finish(s);
    if (raw >= 0)
        close(raw);
    return 0;
}
static void t_invalid_args(void) { RUN(m_invalid_args); }

/* ------------------------------------------------------------ flow control */

#define FC_CHUNK (1024 * 1024)
#define FC_CHUNKS 6

struct fc {
    size_t total, bad;
    ssize_t rc;
    int reads;
    cio_event_t done;
};

/* A slow reader: small reads, a sleep after each read during the first
 * MiB.  (A receive buffer shrunk to a few KiB would leave loopback TCP,
 * with its 64 KiB MSS, to the 200 ms persist timer: too slow to test.) */
static int h_slow_reader(cio_stream_t *s, void *arg)
{
    struct fc *f = arg;
    char buf[4096];
    for (;;) {
        ssize_t n = cio_stream_read(s, buf, sizeof buf);
        if (n <= 0) {
            f->rc = n;
            break;
        }
        f->bad += check_pattern(buf, (size_t)n, f->total, 7);
        f->total += (size_t)n;
        f->reads++;
        if (f->total < 1024 * 1024 && cio_sleep(0.0005) < 0)
            break;
    }
    cio_event_set(&f->done);
    return 0;
}

static int m_flow_control(void *arg, void **result)
{
    struct fc f = {0};
    cio_event_init(&f.done);
    cio_server_t *sv = NULL;
    cio_stream_t *c = NULL;
    char *chunk = malloc(FC_CHUNK);
    REQ(chunk);
    REQ_OK(cio_start_server(h_slow_reader, &f, "127.0.0.1", 0, NULL, &sv));
    REQ_OK(cio_open_connection("127.0.0.1", cio_server_port(sv), &c));
    set_bufsizes(cio_stream_fd(c), 4096, 0);

    size_t high = 64 * 1024, low = 16 * 1024; /* asyncio's defaults */
    for (int k = 0; k < FC_CHUNKS; k++) {
        if (k == FC_CHUNKS / 2) {
            high = 256 * 1024;
            low = 8 * 1024;
            REQ_OK(cio_stream_set_write_buffer_limits(c, high, low));
        }
        fill_pattern(chunk, FC_CHUNK, (size_t)k * FC_CHUNK, 7);
        if (k % 3 == 1) {
            struct iovec iov[3] = {{chunk, 1000}, {chunk + 1000, FC_CHUNK - 2000}, {chunk + FC_CHUNK - 1000, 1000}};
            REQ_OK(cio_stream_writev(c, iov, 3)); /* a chunk missing: the rest means nothing */
        } else {
            REQ_OK(cio_stream_write(c, chunk, FC_CHUNK));
        }
        /* The buffer is the stream's: scribbling on ours changes nothing. */
        memset(chunk, 0xEE, FC_CHUNK);
        size_t before = cio_stream_write_buffer_size(c);
        if (before <= high)
            FAILF("chunk %d: write_buffer_size %zu right after a %d-byte write, expected > %zu", k, before,
                  FC_CHUNK, high);
        int reads = f.reads;
        double t0 = now_s();
        int rc = cio_stream_drain(c);
        CHECK_RC(rc, 0);
        size_t after = cio_stream_write_buffer_size(c);
        if (after > low)
            FAILF("chunk %d: write_buffer_size %zu after drain, expected <= %zu", k, after, low);
        /* drain waited for the reader to take data. */
        if (f.reads <= reads)
            FAILF("chunk %d: drain returned without the reader running (%d reads before, %d after)", k, reads,
                  f.reads);
        CHECK(now_s() - t0 < 5);
        REQ(rc == 0);
    }
    CHECK_RC(cio_stream_close(c), 0);
    cio_timeout_t to;
    REQ_OK(cio_timeout_enter(&to, 10));
    CHECK_RC(cio_timeout_exit(&to, cio_event_wait(&f.done)), 0);
    CHECK_INT(f.total, (size_t)FC_CHUNK * FC_CHUNKS);
    CHECK_INT(f.bad, 0);
    CHECK_INT(f.rc, 0);
out:
    stream_finish(c);
    server_finish(sv);
    free(chunk);
    return 0;
}
static void t_write_drain_flow_control(void) { RUN(m_flow_control); }

/* ------------------------------------------------------------ close, abort */

#define CL_LEN (1024 * 1024)

static int m_close_flushes(void *arg, void **result)
{
    cio_stream_t *s = NULL;
    int raw = -1, err = 1;
    char *data = malloc(CL_LEN), *got = malloc(CL_LEN + 16), buf[16];
    const char *line;
    REQ(data && got);
    fill_pattern(data, CL_LEN, 0, 5);

    /* close(): the buffered data is still sent, then EOF. */
    REQ_OK(mk_pair(0, &s, &raw));
    set_bufsizes(cio_stream_fd(s), 4096, 0);
    set_bufsizes(raw, 0, 4096);
    CHECK_RC(cio_stream_write(s, data, CL_LEN), 0);
    CHECK(cio_stream_write_buffer_size(s) > 0);
    CHECK_RC(cio_stream_close(s), 0);
    CHECK_INT(cio_stream_is_closing(s), 1);
    CHECK_RC(cio_stream_write(s, "x", 1), CIO_ECLOSED);
    CHECK_RC(cio_stream_read(s, buf, sizeof buf), CIO_ECLOSED);
    CHECK_RC(cio_stream_readline(s, buf, sizeof buf), CIO_ECLOSED);
    CHECK_RC(cio_stream_readline_ref(s, &line), CIO_ECLOSED);
    CHECK_RC(cio_stream_readexactly(s, buf, 1), CIO_ECLOSED);
    CHECK_RC(cio_stream_close(s), 0); /* again: harmless */
    size_t n = raw_recv_all(raw, got, CL_LEN + 16, &err);
    CHECK_INT(n, CL_LEN);
    CHECK_INT(err, 0);
    CHECK_INT(check_pattern(got, n < CL_LEN ? n : CL_LEN, 0, 5), 0);
    CHECK_RC(cio_stream_wait_closed(s), 0);
    cio_unref(s);
    s = NULL;
    close(raw);
    raw = -1;

    /* The last unref without close: flushed and closed too. */
    REQ_OK(mk_pair(0, &s, &raw));
    set_bufsizes(cio_stream_fd(s), 4096, 0);
    set_bufsizes(raw, 0, 4096);
    CHECK_RC(cio_stream_write(s, data, CL_LEN / 2), 0);
    cio_unref(s);
    s = NULL;
    n = raw_recv_all(raw, got, CL_LEN + 16, &err);
    CHECK_INT(n, CL_LEN / 2);
    CHECK_INT(err, 0);
    CHECK_INT(check_pattern(got, n < CL_LEN / 2 ? n : CL_LEN / 2, 0, 5), 0);
    close(raw);
    raw = -1;

    /* abort(): the buffer is dropped, the peer sees the end at once. */
    REQ_OK(mk_pair(0, &s, &raw));
    set_bufsizes(cio_stream_fd(s), 4096, 0);
    set_bufsizes(raw, 0, 4096);
    CHECK_RC(cio_stream_write(s, data, CL_LEN), 0);
    CHECK_RC(cio_stream_abort(s), 0);
    CHECK_INT(cio_stream_is_closing(s), 1);
    CHECK_RC(cio_stream_write(s, "x", 1), CIO_ECLOSED);
    n = raw_recv_all(raw, got, CL_LEN + 16, &err);
    CHECK(n < CL_LEN);
    CHECK(err == 0 || err == -ECONNRESET);
    CHECK_INT(check_pattern(got, n < CL_LEN ? n : CL_LEN, 0, 5), 0);
    CHECK_RC(cio_stream_wait_closed(s), 0);
out:
    if (s)
        cio_stream_abort(s);
    cio_unref(s);
    if (raw >= 0)
        close(raw);
    free(data);
    free(got);
    return 0;
}
static void t_close_flushes_abort_drops(void) { RUN(m_close_flushes); }

/* A handler that writes a lot and returns without drain: the stream is
 * closed with its data flushed. */
#define HF_LEN (1024 * 1024 + 3)
static int h_write_and_return(cio_stream_t *s, void *arg)
{
    char *data = malloc(HF_LEN);
    if (!data)
        return -ENOMEM;
    fill_pattern(data, HF_LEN, 0, 11);
    int rc = cio_stream_write(s, data, HF_LEN);
    free(data);
    return rc;
}

static int m_handler_return_flushes(void *arg, void **result)
{
    cio_server_t *sv = NULL;
    cio_stream_t *c = NULL;
    char *got = NULL;
    REQ_OK(cio_start_server(h_write_and_return, NULL, "127.0.0.1", 0, NULL, &sv));
    REQ_OK(cio_open_connection("127.0.0.1", cio_server_port(sv), &c));
    ssize_t n = cio_stream_read_all(c, &got);
    CHECK_INT(n, HF_LEN);
    if (n == HF_LEN && got)
        CHECK_INT(check_pattern(got, HF_LEN, 0, 11), 0);
    if (got)
        cio_free(got);
out:
    stream_finish(c);
    server_finish(sv);
    return 0;
}
static void t_handler_return_flushes(void) { RUN(m_handler_return_flushes); }

/* ------------------------------------------------------------ half-close */

struct halfclose {
    ssize_t got;
    int write_rc;
};

/* Read to EOF, then answer with the reversed request. */
static int h_reverse(cio_stream_t *s, void *arg)
{
    struct halfclose *h = arg;
    char *data = NULL;
    h->got = cio_stream_read_all(s, &data);
    if (h->got < 0)
        return 0;
    char out[256];
    size_t n = (size_t)h->got < sizeof out ? (size_t)h->got : sizeof out;
    for (size_t i = 0; i < n; i++)
        out[i] = data[n - 1 - i];
    cio_free(data);
    h->write_rc = cio_stream_write(s, out, n);
    if (h->write_rc == 0)
        h->write_rc = cio_stream_drain(s);
    return 0;
}

static int m_write_eof(void *arg, void **result)
{
    struct halfclose h = {-1, -1};
    cio_server_t *sv = NULL;
    cio_stream_t *c = NULL;
    char *got = NULL;
    REQ_OK(cio_start_server(h_reverse, &h, "127.0.0.1", 0, NULL, &sv));
    REQ_OK(cio_open_connection("127.0.0.1", cio_server_port(sv), &c));
    CHECK_RC(cio_stream_write(c, "request-", 8), 0);
    CHECK_RC(cio_stream_write(c, "data", 4), 0);
    CHECK_INT(cio_stream_can_write_eof(c), 1);
    CHECK_RC(cio_stream_write_eof(c), 0);
    /* Writing after the half-close cannot work: it must not pretend to. */
    int rc = cio_stream_write(c, "late", 4);
    if (rc >= 0)
        FAILF("write after write_eof == %d, expected an error", rc);
    CHECK_INT(cio_stream_is_closing(c), 0);
    ssize_t n = cio_stream_read_all(c, &got);
    CHECK_BYTES(got, n, "atad-tseuqer");
    if (got)
        cio_free(got);
    CHECK_INT(h.got, 12);
    CHECK_RC(h.write_rc, 0);
out:
    stream_finish(c);
    server_finish(sv);
    return 0;
}
static void t_write_eof_half_close(void) { RUN(m_write_eof); }

/* ------------------------------------------------------------ peer errors */

/* The peer sends half a message, then resets: the data, then -ECONNRESET,
 * and the error stays. */
static int m_peer_reset_mid_message(void *arg, void **result)
{
    int lfd = -1, pfd = -1, port = 0;
    cio_stream_t *c = NULL;
    char buf[128], msg[50];
    fill_pattern(msg, sizeof msg, 0, 13);
    lfd = raw_listener(&port, 0);
    REQ(lfd >= 0);
    REQ_OK(cio_open_connection("127.0.0.1", port, &c));
    pfd = raw_accept(lfd);
    REQ(pfd >= 0);
    CHECK_RC(raw_send(pfd, msg, sizeof msg), 0);
    CHECK_RC(cio_sleep(0.02), 0);
    raw_reset(pfd);
    pfd = -1;
    size_t got = 0;
    ssize_t rc;
    double t0 = now_s();
    while ((rc = cio_stream_read(c, buf + got, sizeof buf - got)) > 0)
        got += (size_t)rc;
    CHECK(now_s() - t0 < 2);
    CHECK_INT(got, sizeof msg);
    CHECK(memcmp(buf, msg, got < sizeof msg ? got : sizeof msg) == 0);
    CHECK_RC(rc, -ECONNRESET);
    /* The error stays (asyncio's reader keeps its exception). */
    CHECK_RC(cio_stream_read(c, buf, sizeof buf), -ECONNRESET);
    CHECK_RC(cio_stream_readline(c, buf, sizeof buf), -ECONNRESET);
    /* The writer side reports the loss too. */
    rc = cio_stream_write(c, "x", 1);
    if (rc == 0)
        rc = cio_stream_drain(c);
    if (!is_conn_error((int)rc))
        FAILF("write/drain after a reset == %zd (%s), expected -EPIPE or -ECONNRESET", rc, cio_err_name((int)rc));
out:
    stream_finish(c);
    if (pfd >= 0)
        close(pfd);
    if (lfd >= 0)
        close(lfd);
    return 0;
}
static void t_peer_reset_mid_message(void) { RUN(m_peer_reset_mid_message); }

/* A drain waiting on a full buffer wakes with the error when the peer
 * resets; never a hang. */
static int m_drain_peer_reset(void *arg, void **result)
{
    int lfd = -1, pfd = -1, port = 0;
    cio_stream_t *c = NULL;
    cio_task_t *t = NULL;
    size_t len = 2 * 1024 * 1024;
    char *data = calloc(1, len), buf[16];
    REQ(data);
    lfd = raw_listener(&port, 4096);
    REQ(lfd >= 0);
    REQ_OK(cio_open_connection("127.0.0.1", port, &c));
    set_bufsizes(cio_stream_fd(c), 4096, 0);
    pfd = raw_accept(lfd);
    REQ(pfd >= 0);
    CHECK_RC(cio_stream_write(c, data, len), 0);
    struct rd r = {.s = c, .op = OP_DRAIN};
    t = spawn(reader_task, &r);
    REQ(t);
    CHECK_RC(cio_sleep(0.05), 0);
    CHECK_INT(r.done, 0); /* the peer reads nothing: drain waits */
    raw_reset(pfd);
    pfd = -1;
    double t0 = now_s();
    cio_await(t, NULL);
    CHECK(now_s() - t0 < 2);
    if (!is_conn_error((int)r.rc))
        FAILF("drain after a reset == %zd (%s), expected -EPIPE or -ECONNRESET", r.rc, cio_err_name((int)r.rc));
    /* Writes now fail with the connection's error; reads too. */
    int rc = cio_stream_write(c, "x", 1);
    if (!is_conn_error(rc))
        FAILF("write after a reset == %d (%s), expected -EPIPE or -ECONNRESET", rc, cio_err_name(rc));
    rc = (int)cio_stream_read(c, buf, sizeof buf);
    if (!is_conn_error(rc))
        FAILF("read after a reset == %d (%s), expected -EPIPE or -ECONNRESET", rc, cio_err_name(rc));
    rc = cio_stream_drain(c);
    if (!is_conn_error(rc))
        FAILF("second drain after a reset == %d (%s), expected -EPIPE or -ECONNRESET", rc, cio_err_name(rc));
out:
    task_finish(t);
    stream_finish(c);
    if (pfd >= 0)
        close(pfd);
    if (lfd >= 0)
        close(lfd);
    free(data);
    return 0;
}
static void t_drain_wakes_on_peer_reset(void) { RUN(m_drain_peer_reset); }

/* The peer closes (FIN): we read EOF, and writing on fails with an error
 * within a few rounds (the peer's kernel answers with a RST). */
static int m_drain_peer_closed(void *arg, void **result)
{
    int lfd = -1, pfd = -1, port = 0;
    cio_stream_t *c = NULL;
    static char data[65536]; /* not on the task's 64 KiB stack */
    char buf[16];
    memset(data, 'z', sizeof data);
    lfd = raw_listener(&port, 0);
    REQ(lfd >= 0);
    REQ_OK(cio_open_connection("127.0.0.1", port, &c));
    pfd = raw_accept(lfd);
    REQ(pfd >= 0);
    close(pfd);
    pfd = -1;
    CHECK_INT(cio_stream_read(c, buf, sizeof buf), 0);
    int rc = 0, i;
    for (i = 0; i < 200 && rc == 0; i++) {
        rc = cio_stream_write(c, data, sizeof data);
        if (rc == 0)
            rc = cio_stream_drain(c);
        if (rc == 0)
            rc = cio_sleep(0.001);
    }
    if (!is_conn_error(rc))
        FAILF("write/drain to a closed peer == %d (%s) after %d rounds, expected -EPIPE or -ECONNRESET", rc,
              cio_err_name(rc), i);
out:
    stream_finish(c);
    if (pfd >= 0)
        close(pfd);
    if (lfd >= 0)
        close(lfd);
    return 0;
}
static void t_drain_after_peer_closed(void) { RUN(m_drain_peer_closed); }

/* ------------------------------------------------------------ cancel, timeout */

static int m_cancel_read(void *arg, void **result)
{
    cio_stream_t *s = NULL;
    int raw = -1;
    cio_task_t *t = NULL;
    char buf[64];
    REQ_OK(mk_pair(0, &s, &raw));

    /* readexactly: the bytes that came before the cancel are not lost. */
    struct rd r1 = {.s = s, .op = OP_READEXACTLY, .n = 10};
    t = spawn(reader_task, &r1);
    REQ(t);
    CHECK_RC(cio_sleep(0.01), 0);
    RAW_SEND(raw, "abc");
    CHECK_RC(cio_sleep(0.01), 0);
    CHECK_INT(r1.done, 0);
    CHECK_INT(cio_task_cancel(t, NULL), 1);
    CHECK_RC(cio_await(t, NULL), -ECANCELED);
    CHECK_RC(r1.rc, -ECANCELED);
    cio_unref(t);
    t = NULL;
    RAW_SEND(raw, "defghij");
    CHECK_BYTES(buf, cio_stream_readexactly(s, buf, 10), "abcdefghij");

    /* readline: the partial line stays. */
    struct rd r2 = {.s = s, .op = OP_READLINE};
    t = spawn(reader_task, &r2);
    REQ(t);
    RAW_SEND(raw, "ab");
    CHECK_RC(cio_sleep(0.01), 0);
    CHECK_INT(cio_task_cancel(t, NULL), 1);
    CHECK_RC(cio_await(t, NULL), -ECANCELED);
    cio_unref(t);
    t = NULL;
    RAW_SEND(raw, "c\n");
    CHECK_BYTES(buf, cio_stream_readline(s, buf, sizeof buf), "abc\n");

    /* read with nothing buffered. */
    struct rd r3 = {.s = s, .op = OP_READ, .n = 100};
    t = spawn(reader_task, &r3);
    REQ(t);
    CHECK_RC(cio_sleep(0.01), 0);
    CHECK_INT(cio_task_cancel(t, NULL), 1);
    CHECK_RC(cio_await(t, NULL), -ECANCELED);
    cio_unref(t);
    t = NULL;
    RAW_SEND(raw, "z");
    CHECK_BYTES(buf, cio_stream_read(s, buf, sizeof buf), "z");

    /* readuntil with half the separator buffered. */
    struct rd r4 = {.s = s, .op = OP_READUNTIL, .sep = "##"};
    t = spawn(reader_task, &r4);
    REQ(t);
    RAW_SEND(raw, "x#");
    CHECK_RC(cio_sleep(0.01), 0);
    CHECK_INT(cio_task_cancel(t, NULL), 1);
    CHECK_RC(cio_await(t, NULL), -ECANCELED);
    cio_unref(t);
    t = NULL;
    RAW_SEND(raw, "#y");
    CHECK_BYTES(buf, cio_stream_readuntil(s, "##", 2, buf, sizeof buf), "x##");
    CHECK_BYTES(buf, cio_stream_read(s, buf, sizeof buf), "y");
out:
    task_finish(t);
    stream_finish(s);
    if (raw >= 0)
        close(raw);
    return 0;
}
static void t_cancel_blocked_read(void) { RUN(m_cancel_read); }

struct rl_call {
    cio_stream_t *s;
    char buf[64];
    ssize_t n;
};
static int rl_call_fn(void *arg, void **result)
{
    struct rl_call *c = arg;
    c->n = cio_stream_readline(c->s, c->buf, sizeof c->buf);
    return c->n < 0 ? (int)c->n : 0;
}

static int m_read_timeout(void *arg, void **result)
{
    cio_stream_t *s = NULL;
    int raw = -1;
    char buf[64];
    REQ_OK(mk_pair(0, &s, &raw));

    cio_timeout_t to;
    double t0 = now_s();
    REQ_OK(cio_timeout_enter(&to, 0.05));
    int rc = (int)cio_stream_read(s, buf, sizeof buf);
    rc = cio_timeout_exit(&to, rc);
    double dt = now_s() - t0;
    CHECK_RC(rc, -ETIMEDOUT);
    CHECK(dt >= 0.045 && dt < 3);
    RAW_SEND(raw, "ok");
    CHECK_BYTES(buf, cio_stream_read(s, buf, sizeof buf), "ok");

    /* readline under wait_for_call: the half line stays for the next call. */
    RAW_SEND(raw, "par");
    struct rl_call c = {.s = s};
    t0 = now_s();
    CHECK_RC(cio_wait_for_call(rl_call_fn, &c, 0.05, NULL), -ETIMEDOUT);
    dt = now_s() - t0;
    CHECK(dt >= 0.045 && dt < 3);
    RAW_SEND(raw, "tial\n");
    CHECK_BYTES(buf, cio_stream_readline(s, buf, sizeof buf), "partial\n");

    /* A timeout that does not expire changes nothing. */
    REQ_OK(cio_timeout_enter(&to, 5));
    RAW_SEND(raw, "quick\n");
    ssize_t n = cio_stream_readline(s, buf, sizeof buf);
    CHECK_RC(cio_timeout_exit(&to, n < 0 ? (int)n : 0), 0);
    CHECK_BYTES(buf, n, "quick\n");
out:
    stream_finish(s);
    if (raw >= 0)
        close(raw);
    return 0;
}
static void t_read_timeout(void) { RUN(m_read_timeout); }

/* A second reader while one waits: refused at once (asyncio: RuntimeError
 * "... called while another coroutine is already waiting for incoming
 * data"), and the first reader still gets the data. */
static int m_second_reader(void *arg, void **result)
{
    cio_stream_t *s = NULL;
    int raw = -1;
    cio_task_t *t = NULL;
    char buf[64];
    REQ_OK(mk_pair(0, &s, &raw));
    struct rd r = {.s = s, .op = OP_READ, .n = 100};
    t = spawn(reader_task, &r);
    REQ(t);
    CHECK_RC(cio_sleep(0.01), 0);
    cio_timeout_t to;
    REQ_OK(cio_timeout_enter(&to, 0.5));
    int rc = cio_timeout_exit(&to, (int)cio_stream_read(s, buf, sizeof buf));
    if (rc >= 0 || rc == -ETIMEDOUT || rc == -ECANCELED)
        FAILF("a second concurrent read == %d (%s), expected an error at once", rc, cio_err_name(rc));
    RAW_SEND(raw, "data");
    CHECK_RC(cio_await(t, NULL), 0);
    CHECK_BYTES(r.buf, r.rc, "data");
out:
    task_finish(t);
    stream_finish(s);
    if (raw >= 0)
        close(raw);
    return 0;
}
static void t_second_reader_refused(void) { RUN(m_second_reader); }

/* ------------------------------------------------------------ servers */

static int wait_closed_task(void *arg, void **result) { return cio_server_wait_closed(arg); }

static int m_server_close_keeps_clients(void *arg, void **result)
{
    struct srv st = {0};
    cio_server_t *sv = NULL;
    cio_stream_t *c1 = NULL, *c2 = NULL;
    cio_task_t *wc = NULL;
    char buf[16];
    REQ_OK(cio_start_server(h_echo, &st, "127.0.0.1", 0, NULL, &sv));
    int port = cio_server_port(sv);
    REQ_OK(cio_open_connection("127.0.0.1", port, &c1));
    CHECK_RC(echo_once(c1, "a"), 0);

    CHECK_RC(cio_server_close(sv), 0);
    CHECK_INT(cio_server_is_serving(sv), 0);
    /* No new connection is accepted. */
    int rc = cio_open_connection("127.0.0.1", port, &c2);
    if (rc == 0) {
        CHECK_RC(cio_sleep(0.1), 0);
        CHECK_INT(st.accepted, 1);
        cio_timeout_t to;
        REQ_OK(cio_timeout_enter(&to, 0.1));
        rc = cio_timeout_exit(&to, (int)cio_stream_read(c2, buf, sizeof buf));
        if (rc > 0)
            FAILF("a connection made after close got data");
        stream_finish(c2);
        c2 = NULL;
    } else {
        CHECK_RC(rc, -ECONNREFUSED);
    }
    /* The existing client goes on. */
    CHECK_RC(echo_once(c1, "still here"), 0);

    /* wait_closed returns only once that client is gone. */
    wc = spawn(wait_closed_task, sv);
    REQ(wc);
    CHECK_RC(cio_sleep(0.05), 0);
    CHECK_INT(cio_future_done(wc), 0);
    CHECK_RC(echo_once(c1, "b"), 0);
    CHECK_INT(cio_future_done(wc), 0);
    CHECK_RC(cio_stream_close(c1), 0);
    cio_timeout_t to;
    REQ_OK(cio_timeout_enter(&to, 3));
    CHECK_RC(cio_timeout_exit(&to, cio_await(wc, NULL)), 0);
    CHECK_INT(st.accepted, 1);
    CHECK_INT(st.finished, 1);
    CHECK_INT(st.active, 0);
out:
    task_finish(wc);
    stream_finish(c1);
    stream_finish(c2);
    server_finish(sv);
    return 0;
}
static void t_server_close_keeps_clients(void) { RUN(m_server_close_keeps_clients); }

/* A handler that waits in readline and records what it got. */
static int h_block_readline(cio_stream_t *s, void *arg)
{
    struct srv *st = arg;
    int i = st->accepted++;
    st->active++;
    char buf[64];
    ssize_t rc = cio_stream_readline(s, buf, sizeof buf);
    if (i < 8)
        st->rcs[i] = rc;
    st->active--;
    st->finished++;
    return 0;
}

static int close_clients_case(int abort_them)
{
    struct srv st = {0};
    cio_server_t *sv = NULL;
    cio_stream_t *c[3] = {NULL, NULL, NULL};
    char buf[16];
    for (int i = 0; i < 8; i++)
        st.rcs[i] = 12345;
    REQ_OK(cio_start_server(h_block_readline, &st, "127.0.0.1", 0, NULL, &sv));
    for (int i = 0; i < 3; i++)
        REQ_OK(cio_open_connection("127.0.0.1", cio_server_port(sv), &c[i]));
    WAIT_FOR(st.accepted == 3 || loop_err, 3); /* a connection the server could not take: reported */
    REQ_NO_LOOP_ERR();
    REQ(st.accepted == 3);
    CHECK_RC(cio_server_close(sv), 0);
    CHECK_RC(cio_sleep(0.02), 0);
    CHECK_INT(st.active, 3); /* close alone leaves them be */
    if (abort_them)
        CHECK_RC(cio_server_abort_clients(sv), 0);
    else
        CHECK_RC(cio_server_close_clients(sv), 0);
    cio_timeout_t to;
    REQ_OK(cio_timeout_enter(&to, 3));
    CHECK_RC(cio_timeout_exit(&to, cio_server_wait_closed(sv)), 0);
    CHECK_INT(st.finished, 3);
    for (int i = 0; i < 3; i++)
        CHECK_RC(st.rcs[i], CIO_ECLOSED);
    for (int i = 0; i < 3; i++) {
        int rc = (int)cio_stream_read(c[i], buf, sizeof buf);
        if (abort_them) {
            if (rc != 0 && rc != -ECONNRESET)
                FAILF("client %d after abort_clients: read == %d (%s), expected 0 or -ECONNRESET", i, rc,
                      cio_err_name(rc));
        } else {
            CHECK_INT(rc, 0);
        }
    }
out:
    for (int i = 0; i < 3; i++)
        stream_finish(c[i]);
    server_finish(sv);
    return 0;
}

static int m_close_clients(void *arg, void **result) { return close_clients_case(0); }
static int m_abort_clients(void *arg, void **result) { return close_clients_case(1); }
static void t_server_close_clients(void) { RUN(m_close_clients); }
static void t_server_abort_clients(void) { RUN(m_abort_clients); }

static int serve_task(void *arg, void **result) { return cio_server_serve_forever(arg); }

static int m_serve_forever(void *arg, void **result)
{
    struct srv st = {0};
    cio_server_t *sv = NULL;
    cio_stream_t *c = NULL, *c2 = NULL;
    cio_task_t *t = NULL;
    cio_server_opts_t o = {.delay_start = 1};
    REQ_OK(cio_start_server(h_echo, &st, "127.0.0.1", 0, &o, &sv));
    int port = cio_server_port(sv);
    CHECK(port > 0);
    CHECK_INT(cio_server_is_serving(sv), 0);
    t = spawn(serve_task, sv);
    REQ(t);
    CHECK_RC(cio_sleep(0.02), 0);
    CHECK_INT(cio_server_is_serving(sv), 1);
    REQ_OK(cio_open_connection("127.0.0.1", port, &c));
    CHECK_RC(echo_once(c, "served"), 0);
    CHECK_INT(cio_future_done(t), 0);
    /* Cancelled, serve_forever closes the server and then, as asyncio
     * 3.12.1+, waits for the connections still open. */
    CHECK_INT(cio_task_cancel(t, NULL), 1);
    CHECK_RC(cio_sleep(0.02), 0);
    CHECK_INT(cio_server_is_serving(sv), 0);
    CHECK_INT(cio_future_done(t), 0);
    int rc = cio_open_connection("127.0.0.1", port, &c2);
    CHECK_RC(rc, -ECONNREFUSED);
    /* The server is closed; its existing client still works. */
    CHECK_RC(echo_once(c, "after"), 0);
    stream_finish(c);
    c = NULL;
    CHECK_RC(cio_await(t, NULL), -ECANCELED);
    cio_timeout_t to;
    REQ_OK(cio_timeout_enter(&to, 3));
    CHECK_RC(cio_timeout_exit(&to, cio_server_wait_closed(sv)), 0);
    CHECK_INT(st.accepted, 1);
    CHECK_INT(st.finished, 1);
out:
    task_finish(t);
    stream_finish(c);
    stream_finish(c2);
    server_finish(sv);
    return 0;
}
static void t_serve_forever_cancel(void) { RUN(m_serve_forever); }

/* start_serving after delay_start, and the server's own limit. */
struct limits {
    ssize_t rc1, rc2;
    char line[16];
    cio_event_t done;
};
static int h_limit(cio_stream_t *s, void *arg)
{
    struct limits *l = arg;
    cio_stream_write(s, "123456789\nok\n", 13);
    char buf[64];
    l->rc1 = cio_stream_readline(s, buf, sizeof buf);
    l->rc2 = cio_stream_readline(s, l->line, sizeof l->line);
    cio_event_set(&l->done);
    return 0;
}

static int m_limit_options(void *arg, void **result)
{
    struct limits l = {0};
    cio_event_init(&l.done);
    cio_server_t *sv = NULL;
    cio_stream_t *c = NULL;
    char buf[64];
    cio_server_opts_t so = {.limit = 8, .delay_start = 1};
    REQ_OK(cio_start_server(h_limit, &l, "127.0.0.1", 0, &so, &sv));
    CHECK_INT(cio_server_is_serving(sv), 0);
    CHECK_RC(cio_server_start_serving(sv), 0);
    CHECK_INT(cio_server_is_serving(sv), 1);
    cio_conn_opts_t co = {.limit = 8};
    REQ_OK(cio_open_connection_ex("127.0.0.1", cio_server_port(sv), &co, &c));
    CHECK_RC(cio_stream_write(c, "abcdefghi\nyo\n", 13), 0);
    CHECK_RC(cio_stream_readline(c, buf, sizeof buf), CIO_ELIMITOVERRUN);
    CHECK_BYTES(buf, cio_stream_readline(c, buf, sizeof buf), "ok\n");
    REQ_NO_LOOP_ERR(); /* the server could not take the connection: no handler to wait for */
    cio_timeout_t to;
    REQ_OK(cio_timeout_enter(&to, 3));
    CHECK_RC(cio_timeout_exit(&to, cio_event_wait(&l.done)), 0);
    CHECK_RC(l.rc1, CIO_ELIMITOVERRUN);
    CHECK_BYTES(l.line, l.rc2, "yo\n");
out:
    stream_finish(c);
    server_finish(sv);
    return 0;
}
static void t_limit_options(void) { RUN(m_limit_options); }

/* ------------------------------------------------------------ Unix sockets */

static int m_unix(void *arg, void **result)
{
    struct srv st = {0};
    cio_server_t *sv = NULL;
    cio_stream_t *c = NULL;
    char dir[] = "/tmp/cio-test-stream-XXXXXX";
    char path[128], missing[128];
    struct stat sb;
    int have_dir = mkdtemp(dir) != NULL;
    REQ(have_dir);
    snprintf(path, sizeof path, "%s/srv.sock", dir);
    REQ(strlen(path) < sizeof ((struct sockaddr_un *)0)->sun_path);
    snprintf(missing, sizeof missing, "%s/missing.sock", dir);

    /* A stale socket file: bound, never listened on, left behind. */
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQ(fd >= 0);
    struct sockaddr_un ua = {.sun_family = AF_UNIX};
    memcpy(ua.sun_path, path, strlen(path) + 1); /* short: checked above */
    int brc = bind(fd, (struct sockaddr *)&ua, sizeof ua);
    close(fd);
    REQ(brc == 0);
    CHECK_RC(cio_open_unix_connection(path, NULL, &c), -ECONNREFUSED);
    CHECK_RC(cio_open_unix_connection(missing, NULL, &c), -ENOENT);
    c = NULL;

    int rc = cio_start_unix_server(h_echo, &st, path, NULL, &sv);
    CHECK_RC(rc, 0);
    REQ(rc == 0);
    CHECK(stat(path, &sb) == 0 && S_ISSOCK(sb.st_mode));
    CHECK_INT(cio_server_is_serving(sv), 1);
    REQ_OK(cio_open_unix_connection(path, NULL, &c));
    CHECK_RC(echo_once(c, "over a unix socket\n"), 0);
    CHECK_INT(cio_stream_can_write_eof(c), 1);
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    CHECK_RC(cio_stream_peername(c, &ss, &len), 0);
    CHECK_INT(ss.ss_family, AF_UNIX);
    CHECK_RC(cio_stream_write_eof(c), 0);
    char buf[8];
    CHECK_INT(cio_stream_read(c, buf, sizeof buf), 0);
    stream_finish(c);
    c = NULL;
    CHECK_RC(cio_server_close(sv), 0);
    /* The socket file goes with the server. */
    errno = 0;
    CHECK(stat(path, &sb) < 0 && errno == ENOENT);
    cio_timeout_t to;
    REQ_OK(cio_timeout_enter(&to, 3));
    CHECK_RC(cio_timeout_exit(&to, cio_server_wait_closed(sv)), 0);
    CHECK_INT(st.finished, 1);
    cio_unref(sv);
    sv = NULL;

    /* no_cleanup_socket keeps it. */
    cio_server_opts_t o = {.no_cleanup_socket = 1};
    REQ_OK(cio_start_unix_server(h_echo, &st, path, &o, &sv));
    CHECK_RC(cio_server_close(sv), 0);
    CHECK_RC(cio_server_wait_closed(sv), 0);
    cio_unref(sv);
    sv = NULL;
    CHECK(stat(path, &sb) == 0 && S_ISSOCK(sb.st_mode));
    unlink(path);

    /* A regular file at the path is not a stale socket: left alone. */
    fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    REQ(fd >= 0);
    close(fd);
    rc = cio_start_unix_server(h_echo, &st, path, NULL, &sv);
    CHECK_RC(rc, -EADDRINUSE);
    if (rc == 0)
        server_finish(sv);
    sv = NULL;
    CHECK(stat(path, &sb) == 0 && S_ISREG(sb.st_mode));
    unlink(path);
out:
    stream_finish(c);
    server_finish(sv);
    if (have_dir) {
        unlink(path);
        rmdir(dir);
    }
    return 0;
}
static void t_unix_server(void) { RUN(m_unix); }

/* ------------------------------------------------------------ many clients */

#define NCLI 200
#define CLI_BYTES 3000

struct cli {
    int port, id, ok, rc;
};

static int client_task(void *arg, void **result)
{
    struct cli *c = arg;
    cio_stream_t *s = NULL;
    char out[CLI_BYTES], in[CLI_BYTES];
    fill_pattern(out, CLI_BYTES, 0, (unsigned)c->id);
    int rc = cio_open_connection("127.0.0.1", c->port, &s);
    if (rc < 0)
        goto done;
    for (size_t off = 0; off < CLI_BYTES; off += 1000) {
        rc = cio_stream_write(s, out + off, 1000);
        if (rc == 0)
            rc = cio_yield();
        if (rc < 0)
            goto done;
    }
    rc = cio_stream_drain(s);
    if (rc < 0)
        goto done;
    ssize_t n = cio_stream_readexactly(s, in, CLI_BYTES);
    if (n < 0) {
        rc = (int)n;
        goto done;
    }
    c->ok = n == CLI_BYTES && memcmp(in, out, CLI_BYTES) == 0;
    rc = cio_stream_close(s);
    if (rc == 0)
        rc = cio_stream_wait_closed(s);
done:
    c->rc = rc;
    cio_unref(s);
    return 0;
}

static int m_many_clients(void *arg, void **result)
{
    struct srv st = {0};
    cio_server_t *sv = NULL;
    static struct cli cl[NCLI];
    static cio_task_t *tasks[NCLI];
    int ntasks = 0;
    cio_server_opts_t o = {.backlog = 512};
    REQ_OK(cio_start_server(h_echo, &st, "127.0.0.1", 0, &o, &sv));
    int port = cio_server_port(sv);
    for (int i = 0; i < NCLI; i++) {
        cl[i] = (struct cli){.port = port, .id = i + 100, .rc = 1};
        tasks[i] = spawn(client_task, &cl[i]);
        REQ(tasks[i]);
        ntasks++;
    }
    CHECK_RC(cio_gather(tasks, NCLI, NULL, NULL, 0), 0);
    int ok = 0, firstbad = -1;
    for (int i = 0; i < NCLI; i++) {
        if (cl[i].ok && cl[i].rc == 0)
            ok++;
        else if (firstbad < 0)
            firstbad = i;
    }
    CHECK_INT(ok, NCLI);
    if (firstbad >= 0)
        FAILF("client %d: rc %d (%s), data %s", firstbad, cl[firstbad].rc, cio_err_name(cl[firstbad].rc),
              cl[firstbad].ok ? "ok" : "wrong");
    cio_timeout_t to;
    REQ_OK(cio_timeout_enter(&to, 5));
    CHECK_RC(cio_server_close(sv), 0);
    CHECK_RC(cio_timeout_exit(&to, cio_server_wait_closed(sv)), 0);
    CHECK_INT(st.accepted, NCLI);
    CHECK_INT(st.finished, NCLI);
out:
    for (int i = 0; i < ntasks; i++)
        task_finish(tasks[i]);
    server_finish(sv);
    return 0;
}
static void t_many_clients(void) { RUN(m_many_clients); }

/* A client task cancelled before its first step never runs the handler,
 * which is what releases the connection: the server still closes it (the
 * peer reads EOF), and its wait_closed returns, as when a handler ran. */
static int m_client_task_never_runs(void *arg, void **result)
{
    (void)arg;
    (void)result;
    struct srv st = {0};
    cio_server_t *sv = NULL;
    cio_stream_t *c = NULL;
    cio_loop_t *loop = NULL;
    cio_get_running_loop(&loop);
    REQ_OK(cio_start_server(h_echo, &st, "127.0.0.1", 0, NULL, &sv));
    REQ_OK(cio_open_connection("127.0.0.1", cio_server_port(sv), &c));
    /* The accept queues the client task's first step after this task's
     * next one: it is seen here before it starts. */
    cio_task_t *me = cio_current_task(), *all[8];
    int cancelled = 0;
    for (int i = 0; i < 2000 && !cancelled; i++) {
        int n = cio_all_tasks(loop, all, 8);
        for (int k = 0; k < n && k < 8; k++)
            if (all[k] != me && cio_task_cancel(all[k], NULL) == 1)
                cancelled++;
        if (!cancelled)
            REQ_OK(cio_sleep(0));
    }
    CHECK_INT(cancelled, 1);
    char buf[8];
    cio_timeout_t to;
    REQ_OK(cio_timeout_enter(&to, 5.0));
    ssize_t got = cio_stream_read(c, buf, sizeof buf);
    CHECK_RC(cio_timeout_exit(&to, got < 0 ? (int)got : 0), 0);
    CHECK_INT(got, 0); /* EOF: the server closed it */
    CHECK_INT(st.accepted, 0); /* the handler never ran */
out:
    stream_finish(c);
    server_finish(sv); /* wait_closed returns: the connection was let go */
    return 0;
}
static void t_client_task_never_runs(void) { RUN(m_client_task_never_runs); }

/* ------------------------------------------------------------ connect */

static int m_connect_errors(void *arg, void **result)
{
    cio_stream_t *c = NULL;
    int port = free_port();
    REQ(port > 0);
    double t0 = now_s();
    CHECK_RC(cio_open_connection("127.0.0.1", port, &c), -ECONNREFUSED);
    CHECK(c == NULL);
    c = NULL;
    cio_conn_opts_t o = {.family = AF_INET};
    CHECK_RC(cio_open_connection_ex("127.0.0.1", port, &o, &c), -ECONNREFUSED);
    c = NULL;
    CHECK(now_s() - t0 < 3);
    /* "invalid." is reserved: it never resolves. */
    int rc = cio_open_connection("no-such-host.invalid", 80, &c);
    if (rc != CIO_ENONAME && rc != CIO_EDNSFAIL && rc != CIO_EDNSAGAIN)
        FAILF("open_connection(no-such-host.invalid) == %d (%s), expected CIO_ENONAME", rc, cio_err_name(rc));
    c = NULL;
    CHECK_RC(cio_open_connection("127.0.0.1", -1, &c), -EINVAL);
    c = NULL;
    CHECK_RC(cio_open_connection("127.0.0.1", 65536, &c), -EINVAL);
    c = NULL;
    CHECK_RC(cio_open_connection("127.0.0.1", 80, NULL), -EINVAL);
out:
    if (c) {
        FAILF("a stream was handed out on failure");
        stream_finish(c);
    }
    return 0;
}
static void t_connect_errors(void) { RUN(m_connect_errors); }

/* cio_stream_from_fd on a connected TCP socket: it becomes the stream's. */
static int m_from_fd_tcp(void *arg, void **result)
{
    int lfd = -1, pfd = -1, fd = -1, port = 0, err = 1;
    cio_stream_t *s = NULL;
    char buf[64];
    lfd = raw_listener(&port, 0);
    REQ(lfd >= 0);
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQ(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQ(connect(fd, (struct sockaddr *)&a, sizeof a) == 0); /* loopback: completes at once */
    set_nonblock(fd);
    pfd = raw_accept(lfd);
    REQ(pfd >= 0);
    int rc = cio_stream_from_fd(fd, NULL, &s);
    CHECK_RC(rc, 0);
    REQ(rc == 0);
    int owned = fd;
    fd = -1;
    CHECK_INT(cio_stream_fd(s), owned);
    RAW_SEND(pfd, "from raw\n");
    CHECK_BYTES(buf, cio_stream_readline(s, buf, sizeof buf), "from raw\n");
    CHECK_RC(cio_stream_write(s, "from stream", 11), 0);
    CHECK_RC(cio_stream_drain(s), 0);
    CHECK_RC(cio_stream_close(s), 0);
    size_t n = raw_recv_all(pfd, buf, sizeof buf, &err);
    CHECK_BYTES(buf, n, "from stream");
    CHECK_INT(err, 0);
    CHECK_RC(cio_stream_wait_closed(s), 0);
    cio_unref(s);
    s = NULL;
    /* Closed with the stream. */
    errno = 0;
    CHECK(fcntl(owned, F_GETFD) < 0 && errno == EBADF);
out:
    stream_finish(s);
    if (fd >= 0)
        close(fd);
    if (pfd >= 0)
        close(pfd);
    if (lfd >= 0)
        close(lfd);
    return 0;
}
static void t_stream_from_fd_tcp(void) { RUN(m_from_fd_tcp); }

/* ------------------------------------------------------------ sock= */

/* A blocking TCP socket bound to 127.0.0.1:0, listening if asked; *port
 * gets its port. */
static int bound_tcp(int *port, int do_listen)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || (do_listen && listen(fd, 16) < 0) ||
        getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    *port = ntohs(a.sin_port);
    return fd;
}

/* A blocking TCP socket connected to 127.0.0.1:port (the kernel completes
 * the handshake from the listener's backlog). */
static int connected_tcp(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    return fd;
}

static int fd_is_open(int fd)
{
    return fcntl(fd, F_GETFD) >= 0;
}

static int fd_is_nonblocking(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl >= 0 && (fl & O_NONBLOCK);
}

/* asyncio's sock=: start_server on a socket the test bound and listened
 * (the server reports its port and fd, made it non-blocking) echoes to an
 * open_connection_ex on a TCP socket the test connected itself; then
 * open_unix_connection adopts one end of a socketpair.  Bytes both ways,
 * and each fd is closed with the object that took it. */
static int m_sock_adopt(void *arg, void **result)
{
    struct srv st = {0};
    cio_server_t *sv = NULL;
    cio_stream_t *c = NULL;
    int lfd = -1, cfd = -1, pair[2] = {-1, -1}, port = 0, err = 1;
    char buf[64];
    lfd = bound_tcp(&port, 1);
    REQ(lfd >= 0);
    cio_server_opts_t so = {.has_sock = 1, .sock = lfd};
    int rc = cio_start_server(h_echo, &st, NULL, 0, &so, &sv);
    CHECK_RC(rc, 0);
    REQ(rc == 0);
    int lowned = lfd;
    lfd = -1;
    CHECK_INT(cio_server_port(sv), port);
    int fds[2] = {-1, -1};
    CHECK_INT(cio_server_sockets(sv, fds, 2), 1);
    CHECK_INT(fds[0], lowned);
    REQ(fd_is_nonblocking(lowned)); /* else accepting would block the loop */
    CHECK_INT(cio_server_is_serving(sv), 1);

    cfd = connected_tcp(port);
    REQ(cfd >= 0);
    cio_conn_opts_t co = {.has_sock = 1, .sock = cfd};
    rc = cio_open_connection_ex(NULL, 0, &co, &c);
    CHECK_RC(rc, 0);
    REQ(rc == 0);
    int cowned = cfd;
    cfd = -1;
    CHECK_INT(cio_stream_fd(c), cowned);
    REQ(fd_is_nonblocking(cowned));
    CHECK_RC(echo_once(c, "over adopted sockets\n"), 0);
    CHECK_RC(echo_once(c, "and once more\n"), 0);
    stream_finish(c);
    c = NULL;
    CHECK(!fd_is_open(cowned));

    REQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) == 0);
    set_nonblock(pair[1]);
    co.sock = pair[0];
    rc = cio_open_unix_connection(NULL, &co, &c);
    CHECK_RC(rc, 0);
    REQ(rc == 0);
    int powned = pair[0];
    pair[0] = -1;
    RAW_SEND(pair[1], "to the stream\n");
    CHECK_BYTES(buf, cio_stream_readline(c, buf, sizeof buf), "to the stream\n");
    CHECK_RC(cio_stream_write(c, "to the raw end", 14), 0);
    CHECK_RC(cio_stream_drain(c), 0);
    CHECK_RC(cio_stream_close(c), 0);
    size_t n = raw_recv_all(pair[1], buf, sizeof buf, &err);
    CHECK_BYTES(buf, n, "to the raw end");
    CHECK_INT(err, 0);
    stream_finish(c);
    c = NULL;
    CHECK(!fd_is_open(powned));

    server_finish(sv);
    sv = NULL;
    CHECK(!fd_is_open(lowned));
    CHECK_INT(st.accepted, 1);
    CHECK_INT(st.finished, 1);
    CHECK_INT(st.last_rc, 0);
out:
    stream_finish(c);
    server_finish(sv);
    if (lfd >= 0)
        close(lfd);
    if (cfd >= 0)
        close(cfd);
    if (pair[0] >= 0)
        close(pair[0]);
    if (pair[1] >= 0)
        close(pair[1]);
    return 0;
}
static void t_sock_adopt(void) { RUN(m_sock_adopt); }

/* start_unix_server on a Unix socket the test only bound: cio listens on
 * it, serves, and removes its file at close (asyncio 3.13's cleanup of the
 * given socket's path). */
static int m_sock_unix_server(void *arg, void **result)
{
    struct srv st = {0};
    cio_server_t *sv = NULL;
    cio_stream_t *c = NULL;
    char dir[] = "/tmp/cio-test-stream-XXXXXX";
    char path[128];
    struct stat sb;
    int have_dir = mkdtemp(dir) != NULL, fd = -1;
    REQ(have_dir);
    snprintf(path, sizeof path, "%s/adopted.sock", dir);
    REQ(strlen(path) < sizeof ((struct sockaddr_un *)0)->sun_path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQ(fd >= 0);
    struct sockaddr_un ua = {.sun_family = AF_UNIX};
    memcpy(ua.sun_path, path, strlen(path) + 1); /* short: checked above */
    REQ(bind(fd, (struct sockaddr *)&ua, sizeof ua) == 0);
    cio_server_opts_t so = {.has_sock = 1, .sock = fd};
    int rc = cio_start_unix_server(h_echo, &st, NULL, &so, &sv);
    CHECK_RC(rc, 0);
    REQ(rc == 0);
    int owned = fd;
    fd = -1;
    CHECK_INT(cio_server_port(sv), 0);
    REQ_OK(cio_open_unix_connection(path, NULL, &c));
    CHECK_RC(echo_once(c, "over an adopted unix listener\n"), 0);
    stream_finish(c);
    c = NULL;
    CHECK(stat(path, &sb) == 0 && S_ISSOCK(sb.st_mode));
    server_finish(sv);
    sv = NULL;
    CHECK(!fd_is_open(owned));
    errno = 0;
    CHECK(stat(path, &sb) < 0 && errno == ENOENT);
    CHECK_INT(st.finished, 1);
out:
    stream_finish(c);
    server_finish(sv);
    if (fd >= 0)
        close(fd);
    if (have_dir) {
        unlink(path);
        rmdir(dir);
    }
    return 0;
}
static void t_sock_unix_server(void) { RUN(m_sock_unix_server); }

/* Refused sockets, each left open and the caller's: a host, port or path
 * with it, a sock without has_sock, the wrong type or family, a closed fd,
 * a pipe, a socket the server cannot listen on, one the loop already has.
 * REFUSED lets go of what a call made by mistake, so the case still ends. */
#define REFUSED(call, want)                 \
    do {                                    \
        CHECK_RC(call, want);               \
        if (c) {                            \
            cio_stream_abort(c);            \
            cio_unref(c);                   \
            c = NULL;                       \
        }                                   \
        if (sv) {                           \
            cio_server_close(sv);           \
            cio_unref(sv);                  \
            sv = NULL;                      \
        }                                   \
    } while (0)

static int never_called(void *arg)
{
    FAILF("a reader callback ran");
    return 0;
}

static int m_sock_refused(void *arg, void **result)
{
    struct srv st = {0};
    cio_server_t *sv = NULL, *other = NULL;
    cio_stream_t *c = NULL;
    cio_loop_t *loop = NULL;
    int lfd = -1, cfd = -1, ufd = -1, pfd[2] = {-1, -1}, port = 0;
    REQ_OK(cio_get_running_loop(&loop));
    lfd = bound_tcp(&port, 1);
    cfd = connected_tcp(port);
    ufd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQ(lfd >= 0 && cfd >= 0 && ufd >= 0);
    REQ(pipe2(pfd, O_CLOEXEC) == 0);

    cio_server_opts_t so = {.has_sock = 1, .sock = lfd};
    REFUSED(cio_start_server(h_echo, &st, "127.0.0.1", 0, &so, &sv), -EINVAL);
    REFUSED(cio_start_server(h_echo, &st, NULL, port, &so, &sv), -EINVAL);
    REFUSED(cio_start_unix_server(h_echo, &st, "/tmp/x.sock", &so, &sv), -EINVAL);
    REFUSED(cio_start_unix_server(h_echo, &st, NULL, &so, &sv), -EINVAL); /* not AF_UNIX */
    const char *hosts[] = {"127.0.0.1", NULL};
    so.hosts = hosts;
    REFUSED(cio_start_server(h_echo, &st, NULL, 0, &so, &sv), -EINVAL);
    so.hosts = NULL;
    so.reuse_port = 1;
    REFUSED(cio_start_server(h_echo, &st, NULL, 0, &so, &sv), -EINVAL);
    so = (cio_server_opts_t){.sock = lfd}; /* has_sock forgotten: not taken for "no socket" */
    REFUSED(cio_start_server(h_echo, &st, "127.0.0.1", 0, &so, &sv), -EINVAL);
    so = (cio_server_opts_t){.has_sock = 1, .sock = ufd};
    REFUSED(cio_start_server(h_echo, &st, NULL, 0, &so, &sv), -EINVAL);
    so.sock = cfd; /* connected: listen() refuses */
    REFUSED(cio_start_server(h_echo, &st, NULL, 0, &so, &sv), -EINVAL);
    so.sock = pfd[0];
    REFUSED(cio_start_server(h_echo, &st, NULL, 0, &so, &sv), -ENOTSOCK);
    so.sock = -1;
    REFUSED(cio_start_server(h_echo, &st, NULL, 0, &so, &sv), -EBADF);

    cio_conn_opts_t co = {.has_sock = 1, .sock = cfd};
    REFUSED(cio_open_connection_ex("127.0.0.1", 0, &co, &c), -EINVAL);
    REFUSED(cio_open_connection_ex(NULL, port, &co, &c), -EINVAL);
    REFUSED(cio_open_unix_connection("/tmp/x.sock", &co, &c), -EINVAL);
    REFUSED(cio_open_unix_connection(NULL, &co, &c), -EINVAL); /* not AF_UNIX */
    REFUSED(cio_stream_from_fd(cfd, &co, &c), -EINVAL);       /* two sockets */
    co.local_port = 1;
    REFUSED(cio_open_connection_ex(NULL, 0, &co, &c), -EINVAL);
    co = (cio_conn_opts_t){.sock = cfd}; /* has_sock forgotten */
    REFUSED(cio_open_connection_ex("127.0.0.1", port, &co, &c), -EINVAL);
    co = (cio_conn_opts_t){.has_sock = 1, .sock = ufd};
    REFUSED(cio_open_connection_ex(NULL, 0, &co, &c), -EINVAL);
    co.sock = pfd[1];
    REFUSED(cio_open_connection_ex(NULL, 0, &co, &c), -ENOTSOCK);
    co.sock = -1;
    REFUSED(cio_open_connection_ex(NULL, 0, &co, &c), -EBADF);

    /* A socket the user watches with add_reader is not the stream's to take. */
    REQ_OK(cio_loop_add_reader(loop, cfd, never_called, NULL));
    co.sock = cfd;
    REFUSED(cio_open_connection_ex(NULL, 0, &co, &c), CIO_EINVALSTATE);
    CHECK_INT(cio_loop_remove_reader(loop, cfd), 1);

    /* Every refused fd is still open, and still blocking. */
    CHECK(fd_is_open(lfd) && fd_is_open(cfd) && fd_is_open(ufd) && fd_is_open(pfd[0]) && fd_is_open(pfd[1]));
    CHECK(!fd_is_nonblocking(lfd));
    CHECK(!fd_is_nonblocking(cfd));
    CHECK(!fd_is_nonblocking(ufd));

    /* A closed fd: an error, not a crash. */
    int dead = dup(ufd);
    REQ(dead >= 0);
    close(dead);
    so = (cio_server_opts_t){.has_sock = 1, .sock = dead};
    REFUSED(cio_start_server(h_echo, &st, NULL, 0, &so, &sv), -EBADF);
    co = (cio_conn_opts_t){.has_sock = 1, .sock = dead};
    REFUSED(cio_open_connection_ex(NULL, 0, &co, &c), -EBADF);

    /* A socket a server of this loop already has. */
    so = (cio_server_opts_t){.has_sock = 1, .sock = lfd};
    REQ_OK(cio_start_server(h_echo, &st, NULL, 0, &so, &other));
    int owned = lfd;
    lfd = -1;
    REFUSED(cio_start_server(h_echo, &st, NULL, 0, &so, &sv), CIO_EINVALSTATE);
    co.sock = owned;
    REFUSED(cio_open_connection_ex(NULL, 0, &co, &c), CIO_EINVALSTATE);
    CHECK(fd_is_open(owned));
    CHECK_INT(cio_server_is_serving(other), 1);
out:
    if (loop && cfd >= 0)
        cio_loop_remove_reader(loop, cfd);
    stream_finish(c);
    server_finish(sv);
    server_finish(other);
    int fds[] = {lfd, cfd, ufd, pfd[0], pfd[1]};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    return 0;
}
#undef REFUSED
static void t_sock_refused(void) { RUN(m_sock_refused); }
/* ------------------------------------------------------------ pipes */

/* These cases come last: a write pipe makes cio ignore SIGPIPE for the rest
 * of the process (as subprocess pipes do), and the cases above check that
 * cio's socket sends never raise it. */

/* A pipe, both ends close-on-exec and blocking. */
static int mk_pipe(int p[2])
{
    if (pipe2(p, O_CLOEXEC) == 0)
        return 0;
    FAILF("pipe2: %s", strerror(errno));
    p[0] = p[1] = -1;
    return -1;
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* Open, and still blocking: as the caller left it. */
static int fd_untouched(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl >= 0 && !(fl & O_NONBLOCK);
}

/* A task writing through a write pipe stream: head, then len bytes of data
 * in 64 KiB writes, each drained, then close and wait_closed.  On an error
 * it aborts, so that the reader sees the end. */
struct pw {
    cio_stream_t *s;
    const char *head;
    const char *data;
    size_t len;
    size_t maxbuf; /* the most the stream held at once */
    int rc;
};

static int pipe_writer(void *arg, void **result)
{
    struct pw *w = arg;
    int rc = cio_stream_write(w->s, w->head, strlen(w->head));
    for (size_t off = 0; off < w->len && rc == 0; off += 64 * 1024) {
        size_t k = w->len - off < 64 * 1024 ? w->len - off : 64 * 1024;
        rc = cio_stream_write(w->s, w->data + off, k);
        if (cio_stream_write_buffer_size(w->s) > w->maxbuf)
            w->maxbuf = cio_stream_write_buffer_size(w->s);
        if (rc == 0)
            rc = cio_stream_drain(w->s);
    }
    if (rc == 0)
        rc = cio_stream_close(w->s);
    if (rc == 0)
        rc = cio_stream_wait_closed(w->s);
    if (rc < 0)
        cio_stream_abort(w->s);
    w->rc = rc;
    return rc;
}

/* A pipe's two ends as streams: what a task writes (a head, then 1 MiB in
 * drained 64 KiB writes; the pipe holds 64 KiB, the rest waits in the
 * stream) is read back exactly with readline, readuntil, readexactly and
 * read, then EOF when the writer closes (read 0, at_eof).  The writing
 * calls are refused on the read end, the reading ones on the write end; the
 * fds are the streams'.  On a second pipe write_eof is the close: the
 * reader gets the bytes, then EOF. */
static int m_pipe_streams(void *arg, void **result)
{
    int p[2] = {-1, -1}, q[2] = {-1, -1}, rfd = -1, wfd = -1;
    cio_stream_t *r = NULL, *w = NULL, *r2 = NULL, *w2 = NULL;
    cio_task_t *t = NULL;
    const size_t len = 1024 * 1024;
    char *data = malloc(len), *got = malloc(len + 1), buf[64];
    REQ(data && got);
    fill_pattern(data, len, 0, 7);
    REQ(mk_pipe(p) == 0);
    REQ_OK(cio_stream_from_read_pipe(p[0], 0, &r));
    rfd = p[0];
    p[0] = -1;
    REQ_OK(cio_stream_from_write_pipe(p[1], &w));
    wfd = p[1];
    p[1] = -1;
    CHECK_INT(cio_stream_fd(r), rfd);
    CHECK_INT(cio_stream_fd(w), wfd);
    CHECK(fcntl(rfd, F_GETFL) & O_NONBLOCK);
    CHECK_INT(cio_stream_can_write_eof(r), 0);
    CHECK_INT(cio_stream_can_write_eof(w), 1);
    CHECK_RC(cio_stream_write(r, "x", 1), -ENOTSUP);
    struct iovec v = {"x", 1};
    CHECK_RC(cio_stream_writev(r, &v, 1), -ENOTSUP);
    CHECK_RC(cio_stream_drain(r), -ENOTSUP);
    CHECK_RC(cio_stream_write_eof(r), -ENOTSUP);
    CHECK_RC(cio_stream_set_write_buffer_limits(r, 0, 0), -ENOTSUP);
    CHECK_RC(cio_stream_read(w, buf, sizeof buf), -ENOTSUP);
    CHECK_RC(cio_stream_readline(w, buf, sizeof buf), -ENOTSUP);

    struct pw pw = {.s = w, .head = "line one\nfield|rest", .data = data, .len = len};
    t = spawn(pipe_writer, &pw);
    REQ(t);
    CHECK_BYTES(buf, cio_stream_readline(r, buf, sizeof buf), "line one\n");
    CHECK_BYTES(buf, cio_stream_readuntil(r, "|", 1, buf, sizeof buf), "field|");
    CHECK_BYTES(buf, cio_stream_readexactly(r, buf, 4), "rest");
    size_t n = 0;
    ssize_t k;
    while ((k = cio_stream_read(r, got + n, len + 1 - n)) > 0)
        n += (size_t)k;
    CHECK_INT(k, 0);
    REQ(k == 0);
    CHECK_INT(n, len);
    CHECK_INT(check_pattern(got, n, 0, 7), 0);
    CHECK_INT(cio_stream_read(r, buf, sizeof buf), 0);
    CHECK_INT(cio_stream_at_eof(r), 1);
    CHECK_RC(cio_await(t, NULL), 0);
    CHECK_RC(pw.rc, 0);
    CHECK(pw.maxbuf > 0); /* the pipe was full: the stream kept the rest */
    CHECK_RC(cio_stream_close(r), 0);
    CHECK_RC(cio_stream_wait_closed(r), 0);
    cio_unref(r);
    r = NULL;
    errno = 0;
    CHECK(fcntl(rfd, F_GETFD) < 0 && errno == EBADF); /* closed with the streams */
    errno = 0;
    CHECK(fcntl(wfd, F_GETFD) < 0 && errno == EBADF);

    REQ(mk_pipe(q) == 0);
    REQ_OK(cio_stream_from_read_pipe(q[0], 0, &r2));
    q[0] = -1;
    REQ_OK(cio_stream_from_write_pipe(q[1], &w2));
    q[1] = -1;
    /* More than the pipe holds: most of it is still buffered at write_eof,
     * which closes at once all the same (asyncio's is_closing is True). */
    static unsigned char big[300 * 1024];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (unsigned char)(i * 7 + i / 251);
    CHECK_RC(cio_stream_write(w2, big, sizeof big), 0);
    CHECK_RC(cio_stream_write_eof(w2), 0);
    CHECK_INT(cio_stream_is_closing(w2), 1);
    CHECK_RC(cio_stream_write(w2, "d", 1), CIO_ECLOSED);
    size_t got2 = 0, bad = 0;
    ssize_t n2;
    while ((n2 = cio_stream_read(r2, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < n2; i++)
            bad += got2 + (size_t)i >= sizeof big || buf[i] != (char)big[got2 + (size_t)i];
        got2 += (size_t)n2;
    }
    CHECK_INT(n2, 0);
    CHECK_INT(got2, sizeof big);
    CHECK_INT(bad, 0);
    CHECK_RC(cio_stream_wait_closed(w2), 0);
out:
    task_finish(t);
    stream_finish(r);
    stream_finish(w);
    stream_finish(r2);
    stream_finish(w2);
    close_fd(&p[0]);
    close_fd(&p[1]);
    close_fd(&q[0]);
    close_fd(&q[1]);
    free(data);
    free(got);
    return 0;
}
static void t_pipe_streams(void) { RUN(m_pipe_streams); }

/* A write pipe stream whose reader goes away: once a write has met the closed
 * pipe, writes return -EPIPE (SIGPIPE ignored: the process lives on), and so do
 * the writes, drains and wait_closed after it; a drain waiting with 1 MiB
 * buffered returns -EPIPE when the reader closes, at once. */
static int m_pipe_stream_reader_gone(void *arg, void **result)
{
    int p[2] = {-1, -1}, q[2] = {-1, -1};
    cio_stream_t *w = NULL, *w2 = NULL;
    cio_task_t *t = NULL;
    const size_t len = 1024 * 1024;
    char *data = calloc(1, len);
    REQ(data);
    REQ(mk_pipe(p) == 0);
    REQ_OK(cio_stream_from_write_pipe(p[1], &w));
    p[1] = -1;
    close_fd(&p[0]);
    /* The write is gathered and leaves at the end of the iteration, where it
     * meets the closed pipe; from then on, writes and drains see -EPIPE. */
    CHECK_RC(cio_stream_write(w, "x", 1), 0);
    CHECK_RC(cio_yield(), 0);
    CHECK_RC(cio_stream_write(w, "x", 1), -EPIPE);
    CHECK_RC(cio_stream_drain(w), -EPIPE);
    CHECK_INT(cio_stream_is_closing(w), 1);
    CHECK_RC(cio_stream_wait_closed(w), -EPIPE);

    REQ(mk_pipe(q) == 0);
    REQ_OK(cio_stream_from_write_pipe(q[1], &w2));
    q[1] = -1;
    CHECK_RC(cio_stream_write(w2, data, len), 0);
    CHECK(cio_stream_write_buffer_size(w2) > 0);
    struct rd r = {.s = w2, .op = OP_DRAIN};
    t = spawn(reader_task, &r);
    REQ(t);
    CHECK_RC(cio_sleep(0.05), 0);
    CHECK_INT(r.done, 0); /* nobody reads: drain waits */
    close_fd(&q[0]);
    double t0 = now_s();
    cio_await(t, NULL);
    CHECK(now_s() - t0 < 2);
    CHECK_RC(r.rc, -EPIPE);
    CHECK_RC(cio_stream_write(w2, "x", 1), -EPIPE);
out:
    task_finish(t);
    stream_finish(w);
    stream_finish(w2);
    close_fd(&p[0]);
    close_fd(&p[1]);
    close_fd(&q[0]);
    close_fd(&q[1]);
    free(data);
    return 0;
}
static void t_pipe_stream_reader_gone(void) { RUN(m_pipe_stream_reader_gone); }

/* What the pipe stream calls refuse, the fd left open and as it was: NULL
 * out (-EINVAL), a negative or closed fd and the wrong end of a pipe
 * (-EBADF), a regular file or a directory (-EINVAL, asyncio's ValueError),
 * /dev/null, which epoll cannot watch (-EPERM, not left non-blocking); no
 * loop: CIO_ENOLOOP. */
static int m_pipe_stream_bad_args(void *arg, void **result)
{
    int p[2] = {-1, -1}, f = -1, d = -1, n = -1;
    cio_stream_t *s = NULL;
    REQ(mk_pipe(p) == 0);
    CHECK_RC(cio_stream_from_read_pipe(p[0], 0, NULL), -EINVAL);
    CHECK_RC(cio_stream_from_write_pipe(p[1], NULL), -EINVAL);
    CHECK_RC(cio_stream_from_read_pipe(-1, 0, &s), -EBADF);
    CHECK_RC(cio_stream_from_write_pipe(-1, &s), -EBADF);
    CHECK_RC(cio_stream_from_read_pipe(p[1], 0, &s), -EBADF);
    CHECK_RC(cio_stream_from_write_pipe(p[0], &s), -EBADF);
    CHECK(fd_untouched(p[0]) && fd_untouched(p[1]));

    char path[] = "/tmp/cio-pipe-XXXXXX";
    f = mkostemp(path, O_CLOEXEC);
    REQ(f >= 0);
    unlink(path);
    CHECK_RC(cio_stream_from_read_pipe(f, 0, &s), -EINVAL);
    CHECK_RC(cio_stream_from_write_pipe(f, &s), -EINVAL);
    CHECK(fd_untouched(f));
    d = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    REQ(d >= 0);
    CHECK_RC(cio_stream_from_read_pipe(d, 0, &s), -EINVAL);
    CHECK(fd_untouched(d));
    n = open("/dev/null", O_RDWR | O_CLOEXEC);
    REQ(n >= 0);
    CHECK_RC(cio_stream_from_read_pipe(n, 0, &s), -EPERM);
    CHECK_RC(cio_stream_from_write_pipe(n, &s), -EPERM);
    CHECK(fd_untouched(n));
    int gone = p[0];
    close_fd(&p[0]);
    CHECK_RC(cio_stream_from_read_pipe(gone, 0, &s), -EBADF);
out:
    if (s) {
        FAILF("a stream was handed out on failure");
        stream_finish(s);
    }
    close_fd(&p[0]);
    close_fd(&p[1]);
    close_fd(&f);
    close_fd(&d);
    close_fd(&n);
    return 0;
}
static void t_pipe_stream_bad_args(void)
{
    cio_stream_t *s = NULL;
    CHECK_RC(cio_stream_from_read_pipe(0, 0, &s), CIO_ENOLOOP);
    CHECK_RC(cio_stream_from_write_pipe(1, &s), CIO_ENOLOOP);
    CHECK(s == NULL);
    RUN(m_pipe_stream_bad_args);
}

static const struct test_case cases[] = {
    TEST(t_echo_tcp),
    TEST(t_read_returns_available),
    TEST(t_read_all_to_eof),
    TEST(t_readexactly),
    TEST(t_readline_basics),
    TEST(t_readline_limit),
    TEST(t_readline_cap_enobufs),
    TEST(t_readline_ref_iterator),
    TEST(t_readuntil),
    TEST(t_readuntil_limit_keeps_buffer),
    TEST(t_readuntil_any),
    TEST(t_readuntil_any_limit),
    TEST(t_write_drain_flow_control),
    TEST(t_close_flushes_abort_drops),
    TEST(t_handler_return_flushes),
    TEST(t_write_eof_half_close),
    TEST(t_peer_reset_mid_message),
    TEST(t_drain_wakes_on_peer_reset),
    TEST(t_drain_after_peer_closed),
    TEST(t_cancel_blocked_read),
    TEST(t_read_timeout),
    TEST(t_second_reader_refused),
    TEST(t_server_close_keeps_clients),
    TEST(t_server_close_clients),
    TEST(t_server_abort_clients),
    TEST(t_serve_forever_cancel),
    TEST(t_limit_options),
    TEST(t_unix_server),
    TEST(t_many_clients),
    TEST(t_client_task_never_runs),
    TEST(t_connect_errors),
    TEST(t_stream_from_fd_tcp),
    TEST(t_sock_adopt),
    TEST(t_sock_unix_server),
    TEST(t_sock_refused),
    TEST(t_invalid_args),
    TEST(t_pipe_streams),
    TEST(t_pipe_stream_reader_gone),
    TEST(t_pipe_stream_bad_args),
};

int main(int argc, char **argv) { return run_tests(argc, argv, cases, NCASES(cases)); }
