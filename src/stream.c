/* Streams: asyncio's StreamReader and StreamWriter as one object over a
 * connection (src/net/conn.c).
 *
 * A task reads by pulling: it takes what is buffered, or receives from the
 * socket itself, and waits for the next edge only after the socket said it
 * has nothing.  read(n) and readexactly receive straight into the caller's
 * buffer when nothing is buffered.  The stream's own buffer exists only while
 * it holds data a separator search has not consumed: a fill receives into
 * the loop's scratch buffer and keeps just what arrived, and an empty buffer
 * is freed before the task waits, so an idle connection holds none.
 *
 * readuntil is asyncio 3.13's algorithm, separator tuples included, with the
 * same LimitOverrunError `consumed` and IncompleteReadError rules. */
#include "net/net.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct cio_stream_s stream_t;


void cio_free(void *p)
{
    cio__free(p);
}

static int stream_check(cio_stream_t *s)
{
    return cio__conn_check(s, CIO__CONN_STREAM);
}

static int stream_in_task(void)
{
    if (cio__tls.task)
        return 0;
    return cio__tls.running ? CIO_ENOTASK : CIO_ENOLOOP;
}

/* ------------------------------------------------------------ creating */

stream_t *cio__stream_new(cio_loop_t *loop, int fd, size_t limit, int *rc)
{
    stream_t *s = (stream_t *)cio__conn_new(loop, fd, CIO__CONN_STREAM, sizeof *s, rc);
    if (s)
        s->limit = limit ? limit : CIO_STREAM_LIMIT;
    return s;
}

/* Wrap a connected fd.  On failure an fd of our own (close_fd) is closed;
 * the caller's stays open, a failed handshake included (keep_fd). */
static int wrap(int fd, const cio_conn_opts_t *opts, const char *hostname, int close_fd, cio_stream_t **out)
{
    int rc;
    stream_t *s = cio__stream_new(cio__tls.running, fd, opts ? opts->limit : 0, &rc);
    if (!s) {
        if (close_fd)
            close(fd);
        return rc;
    }
    if (opts && opts->tls) {
        s->t.keep_fd = !close_fd;
        rc = cio__tls_start(&s->t, opts->tls, hostname, opts->tls_handshake_timeout, opts->tls_shutdown_timeout);
        if (rc < 0) {
            cio__conn_abort(&s->t);
            cio__conn_unref(&s->t);
            return rc;
        }
        s->t.keep_fd = 0;
    }
    *out = s;
    return 0;
}

int cio_open_connection_ex(const char *host, int port, const cio_conn_opts_t *opts, cio_stream_t **out)
{
    if (!out)
        return -EINVAL;
    *out = NULL;
    int rc = stream_in_task();
    if (rc < 0)
        return rc;
    int fd, given = cio__conn_sock(opts, host || port, 0, &fd);
    if (given < 0)
        return given;
    if (!given && (rc = cio__connect_tcp(host, port, opts, &fd)) < 0)
        return rc;
    return wrap(fd, opts, opts && opts->server_hostname ? opts->server_hostname : host, !given, out);
}

int cio_open_connection(const char *host, int port, cio_stream_t **out)
{
    return cio_open_connection_ex(host, port, NULL, out);
}

int cio_open_unix_connection(const char *path, const cio_conn_opts_t *opts, cio_stream_t **out)
{
    if (!out)
        return -EINVAL;
    *out = NULL;
    int rc = stream_in_task();
    if (rc < 0)
        return rc;
    int fd, given = cio__conn_sock(opts, path != NULL, 1, &fd);
    if (given < 0)
        return given;
    if (!given && (rc = cio__connect_unix(path, &fd)) < 0)
        return rc;
    return wrap(fd, opts, opts ? opts->server_hostname : NULL, !given, out);
}

int cio_stream_from_fd(int fd, const cio_conn_opts_t *opts, cio_stream_t **out)
{
    if (!out)
        return -EINVAL;
    *out = NULL;
    if (!cio__tls.running)
        return CIO_ENOLOOP;
    if (opts && opts->tls && !cio__tls.task)
        return CIO_ENOTASK;
    if (opts && (opts->has_sock || opts->sock))
        return -EINVAL; /* a second socket */
    int rc = cio__sock_check(fd, SOCK_STREAM, 0);
    if (rc < 0)
        return rc;
    (void)fcntl(fd, F_SETFD, FD_CLOEXEC); /* the library's now: not inherited */
    return wrap(fd, opts, opts ? opts->server_hostname : NULL, 0, out);
}

/* A pipe end in one direction; the fd stays the caller's on failure. */
static int from_pipe(int fd, size_t limit, int dir, cio_stream_t **out)
{
    if (!out)
        return -EINVAL;
    *out = NULL;
    if (!cio__tls.running)
        return CIO_ENOLOOP;
    int rc = cio__pipe_check(fd, dir);
    if (rc < 0)
        return rc;
    if (dir == CIO__PIPE_WRITE)
        cio__ignore_sigpipe(); /* a gone reader is -EPIPE, not the end of the process */
    stream_t *s = cio__stream_new(cio__tls.running, fd, limit, &rc);
    if (!s)
        return rc;
    s->t.is_pipe = (uint8_t)dir;
    *out = s;
    return 0;
}

int cio_stream_from_read_pipe(int fd, size_t limit, cio_stream_t **out)
{
    return from_pipe(fd, limit, CIO__PIPE_READ, out);
}

int cio_stream_from_write_pipe(int fd, cio_stream_t **out)
{
    return from_pipe(fd, 0, CIO__PIPE_WRITE, out);
}

/* ------------------------------------------------------------- reading */

static int rd_begin(stream_t *s)
{
    int rc = stream_check(s);
    if (rc < 0)
        return rc;
    if ((rc = stream_in_task()) < 0)
        return rc;
    if (s->t.is_pipe == CIO__PIPE_WRITE)
        return -ENOTSUP; /* a pipe's write end has nothing to read */
    if (s->reading)
        return CIO_EINVALSTATE; /* asyncio: "another coroutine is already waiting" */
    if (s->t.user_closed)
        return CIO_ECLOSED;
    if (s->t.err)
        return s->t.err;
    return 0;
}

/* Why no more data can come, or 0. */
static int rd_status(stream_t *s)
{
    if (s->t.user_closed)
        return CIO_ECLOSED;
    if (s->t.err)
        return s->t.err;
    if (s->t.state == CIO__CLOSED && !s->t.eof)
        return CIO_ECLOSED;
    return 0;
}

static void consume(stream_t *s, size_t n)
{
    s->roff += n;
    s->rlen -= n;
    if (!s->rlen)
        s->roff = 0;
}

/* Whether a read must wait before it can go on (for an edge, or its turn). */
static inline bool rd_must_wait(ssize_t r)
{
    return r == -EAGAIN || r == CIO__WANT_WRITE || r == CIO__WANT_TURN;
}

/* Receive into buf (a socket transfer): > 0, 0 at EOF, a code of
 * rd_must_wait, or an error (the connection then failed).  Fairness: the
 * socket is read at most once per loop iteration, at most CIO__READ_MAX
 * bytes; a read that needs it again waits for the next iteration
 * (CIO__WANT_TURN), as asyncio's reader waits for the next data_received. */
static ssize_t rd_recv(stream_t *s, void *buf, size_t n)
{
    cio_transport_t *c = &s->t;
    if (!c->readable)
        return -EAGAIN;
    uint64_t turn = c->loop->iteration + 1;
    if (c->rd_turn == turn)
        return CIO__WANT_TURN;
    c->rd_turn = turn;
    ssize_t r = cio__conn_recv(c, buf, n < CIO__READ_MAX ? n : CIO__READ_MAX);
    if (r >= 0 || r == -EAGAIN || r == CIO__WANT_WRITE)
        return r;
    cio__conn_fail(c, (int)r);
    return r;
}

/* Wait for the socket (after rd_recv said -EAGAIN or WANT_WRITE), or for
 * the next iteration (WANT_TURN). */
static int rd_wait(stream_t *s, ssize_t why)
{
    if (why == CIO__WANT_TURN)
        return cio_yield();
    if (!s->rlen && s->rbuf) {
        cio__free(s->rbuf);
        s->rbuf = NULL;
        s->rcap = s->roff = 0;
    }
    return cio__conn_wait(&s->t, why == CIO__WANT_WRITE ? 1 : 0);
}

/* Append n bytes to the buffer, which grows with what arrives (doubling,
 * exactly what is needed the first time): a parked partial line holds
 * about its own size, not the limit. */
static int rd_append(stream_t *s, const char *data, size_t n)
{
    if (s->roff + s->rlen + n > s->rcap) {
        if (s->roff) {
            memmove(s->rbuf, s->rbuf + s->roff, s->rlen);
            s->roff = 0;
        }
        if (s->rlen + n > s->rcap) {
            size_t cap = s->rlen ? s->rcap * 2 : 0;
            if (cap < s->rlen + n)
                cap = s->rlen + n;
            char *b = s->rlen ? cio__realloc(s->rbuf, cap) : cio__malloc(cap);
            if (!b)
                return -ENOMEM;
            if (!s->rlen)
                cio__free(s->rbuf);
            s->rbuf = b;
            s->rcap = cap;
        }
    }
    memcpy(s->rbuf + s->roff + s->rlen, data, n);
    s->rlen += n;
    return 0;
}

/* More data into the buffer: the count, 0 at EOF, or an error.  The socket
 * is read into the loop's scratch buffer and what arrived is kept. */
static ssize_t fill(stream_t *s)
{
    cio_transport_t *c = &s->t;
    for (;;) {
        int rc = rd_status(s);
        if (rc < 0)
            return rc;
        if (c->eof)
            return 0;
        char *scratch = cio__loop_scratch(c->loop);
        if (!scratch)
            return -ENOMEM;
        ssize_t r = rd_recv(s, scratch, CIO__SCRATCH);
        if (r > 0) {
            if (rd_append(s, scratch, (size_t)r) < 0) {
                /* The bytes received are lost: so is the connection
                 * (asyncio's fatal error), or a later read would wait for
                 * them forever. */
                cio__conn_fail(c, -ENOMEM);
                return -ENOMEM;
            }
            return r;
        }
        if (r == 0)
            return 0;
        if (!rd_must_wait(r))
            return r;
        if ((rc = rd_wait(s, r)) < 0)
            return rc;
    }
}

ssize_t cio_stream_read(cio_stream_t *s, void *buf, size_t n)
{
    int rc = rd_begin(s);
    if (rc < 0)
        return rc;
    if ((!buf && n) || n > SSIZE_MAX)
        return -EINVAL;
    if (!n)
        return 0;
    if (s->rlen) {
        size_t m = s->rlen < n ? s->rlen : n;
        memcpy(buf, s->rbuf + s->roff, m);
        consume(s, m);
        return (ssize_t)m;
    }
    s->reading = 1;
    ssize_t r;
    for (;;) {
        if ((r = rd_status(s)) < 0)
            break;
        if (s->t.eof) {
            r = 0;
            break;
        }
        r = rd_recv(s, buf, n);
        if (r >= 0 || !rd_must_wait(r))
            break;
        if ((r = rd_wait(s, r)) < 0)
            break;
    }
    s->reading = 0;
    return r;
}

ssize_t cio_stream_read_ref(cio_stream_t *s, size_t max, const void **data)
{
    if (!data)
        return -EINVAL;
    *data = "";
    int rc = rd_begin(s);
    if (rc < 0)
        return rc;
    if (max > SSIZE_MAX)
        return -EINVAL;
    if (!max)
        return 0;
    if (!s->rlen) {
        s->reading = 1;
        ssize_t r = fill(s);
        s->reading = 0;
        if (r <= 0)
            return r;
    }
    size_t m = s->rlen < max ? s->rlen : max;
    *data = s->rbuf + s->roff;
    consume(s, m); /* the bytes stay in place until the next call */
    return (ssize_t)m;
}

ssize_t cio_stream_read_all(cio_stream_t *s, char **data)
{
    if (!data)
        return -EINVAL;
    *data = NULL;
    int rc = rd_begin(s);
    if (rc < 0)
        return rc;
    s->reading = 1;
    ssize_t r;
    while ((r = fill(s)) > 0)
        ;
    s->reading = 0;
    if (r < 0)
        return r;
    size_t n = s->rlen;
    char *out = cio__malloc(n + 1);
    if (!out)
        return -ENOMEM;
    if (n)
        memcpy(out, s->rbuf + s->roff, n);
    out[n] = 0;
    consume(s, n);
    *data = out;
    return (ssize_t)n;
}

/* Put bytes back in front of the buffer (a cancelled readexactly). */
static void unread(stream_t *s, const void *data, size_t n)
{
    if (!n)
        return;
    char *b = cio__malloc(n + s->rlen);
    if (!b) {
        /* Out of memory: the bytes are lost, and so is the connection (a
         * later read would wait for them forever). */
        cio__conn_fail(&s->t, -ENOMEM);
        return;
    }
    memcpy(b, data, n);
    if (s->rlen)
        memcpy(b + n, s->rbuf + s->roff, s->rlen);
    cio__free(s->rbuf);
    s->rbuf = b;
    s->roff = 0;
    s->rlen += n;
    s->rcap = s->rlen;
}

ssize_t cio_stream_readexactly(cio_stream_t *s, void *buf, size_t n)
{
    int rc = rd_begin(s);
    if (rc < 0)
        return rc;
    if ((!buf && n) || n > SSIZE_MAX)
        return -EINVAL;
    size_t got = s->rlen < n ? s->rlen : n;
    if (got) {
        memcpy(buf, s->rbuf + s->roff, got);
        consume(s, got);
    }
    s->reading = 1;
    ssize_t r = 0;
    while (got < n) {
        if ((r = rd_status(s)) < 0)
            break;
        if (s->t.eof) {
            s->partial = got;
            r = CIO_EINCOMPLETE;
            break;
        }
        r = rd_recv(s, (char *)buf + got, n - got);
        if (r > 0) {
            got += (size_t)r;
            continue;
        }
        if (r == 0)
            continue; /* EOF: reported above */
        if (!rd_must_wait(r))
            break;
        if ((r = rd_wait(s, r)) < 0)
            break;
    }
    s->reading = 0;
    if (got == n)
        return (ssize_t)n;
    if (r == -ECANCELED)
        unread(s, buf, got); /* nothing is lost to a cancel */
    return r;
}

/* Find the earliest match of any separator, receiving until there is one:
 * 0 with *end (the match's end), CIO_EINCOMPLETE at EOF, CIO_ELIMITOVERRUN
 * with s->partial = asyncio's `consumed`, or an error. */
static int scan(stream_t *s, const void *const *seps, const size_t *lens, size_t nseps, size_t *end)
{
    size_t minl = SIZE_MAX, maxl = 0;
    for (size_t i = 0; i < nseps; i++) {
        if (lens[i] < minl)
            minl = lens[i];
        if (lens[i] > maxl)
            maxl = lens[i];
    }
    size_t offset = 0;
    for (;;) {
        size_t buflen = s->rlen;
        if (buflen >= offset && buflen - offset >= minl) {
            const char *b = s->rbuf + s->roff;
            size_t best_end = SIZE_MAX, best_start = 0;
            for (size_t i = 0; i < nseps; i++) {
                const char *p = memmem(b + offset, buflen - offset, seps[i], lens[i]);
                /* The earliest end wins; on a tie the shorter separator
                 * (asyncio sorts them by length). */
                if (p && ((size_t)(p - b) + lens[i] < best_end ||
                          ((size_t)(p - b) + lens[i] == best_end && (size_t)(p - b) > best_start))) {
                    best_start = (size_t)(p - b);
                    best_end = best_start + lens[i];
                }
            }
            if (best_end != SIZE_MAX) {
                if (best_start > s->limit) {
                    s->partial = best_start;
                    return CIO_ELIMITOVERRUN;
                }
                *end = best_end;
                return 0;
            }
            offset = buflen + 1 > maxl ? buflen + 1 - maxl : 0;
            if (offset > s->limit) {
                s->partial = offset;
                return CIO_ELIMITOVERRUN;
            }
        }
        if (s->t.eof) {
            *end = buflen;
            return CIO_EINCOMPLETE;
        }
        ssize_t r = fill(s);
        if (r < 0)
            return (int)r;
    }
}

static int seps_check(const void *const *seps, const size_t *lens, size_t nseps)
{
    if (!seps || !lens || !nseps)
        return -EINVAL;
    for (size_t i = 0; i < nseps; i++)
        if (!seps[i] || !lens[i])
            return -EINVAL;
    return 0;
}

ssize_t cio_stream_readuntil_any(cio_stream_t *s, const void *const *seps, const size_t *seplens, size_t nseps,
                                 void *buf, size_t cap)
{
    int rc = rd_begin(s);
    if (rc < 0)
        return rc;
    if ((rc = seps_check(seps, seplens, nseps)) < 0 || (!buf && cap))
        return -EINVAL;
    size_t end = 0;
    s->reading = 1;
    rc = scan(s, seps, seplens, nseps, &end);
    s->reading = 0;
    if (rc < 0 && rc != CIO_EINCOMPLETE)
        return rc;
    if (end > cap)
        return -ENOBUFS;
    if (end)
        memcpy(buf, s->rbuf + s->roff, end);
    consume(s, end);
    if (rc == CIO_EINCOMPLETE) {
        s->partial = end;
        return rc;
    }
    return (ssize_t)end;
}

ssize_t cio_stream_readuntil(cio_stream_t *s, const void *sep, size_t seplen, void *buf, size_t cap)
{
    const void *seps[1] = {sep};
    return cio_stream_readuntil_any(s, seps, &seplen, 1, buf, cap);
}

/* readline's search: the line's length (its bytes at the buffer's front,
 * not yet consumed), 0 at EOF, or an error (over the limit: the line or
 * the buffer discarded, as asyncio). */
static ssize_t line_scan(stream_t *s)
{
    static const size_t one = 1;
    const void *nl[1] = {"\n"};
    size_t end = 0;
    s->reading = 1;
    int rc = scan(s, nl, &one, 1, &end);
    s->reading = 0;
    if (rc == CIO_ELIMITOVERRUN) {
        size_t consumed = s->partial;
        if (consumed < s->rlen && s->rbuf[s->roff + consumed] == '\n')
            consume(s, consumed + 1);
        else
            consume(s, s->rlen);
        return rc;
    }
    if (rc < 0 && rc != CIO_EINCOMPLETE)
        return rc;
    return (ssize_t)end;
}

ssize_t cio_stream_readline(cio_stream_t *s, char *buf, size_t cap)
{
    int rc = rd_begin(s);
    if (rc < 0)
        return rc;
    if (!buf && cap)
        return -EINVAL;
    ssize_t n = line_scan(s);
    if (n <= 0)
        return n;
    if ((size_t)n > cap)
        return -ENOBUFS;
    memcpy(buf, s->rbuf + s->roff, (size_t)n);
    consume(s, (size_t)n);
    if ((size_t)n < cap)
        buf[n] = 0;
    return n;
}

ssize_t cio_stream_readline_ref(cio_stream_t *s, const char **line)
{
    if (!line)
        return -EINVAL;
    *line = "";
    int rc = rd_begin(s);
    if (rc < 0)
        return rc;
    ssize_t n = line_scan(s);
    if (n <= 0)
        return n;
    *line = s->rbuf + s->roff;
    consume(s, (size_t)n); /* the bytes stay in place until the next call */
    return n;
}

size_t cio_stream_partial(cio_stream_t *s)
{
    if (!s || s->t.obj.magic != CIO__MAGIC_STREAM)
        return 0;
    return s->partial;
}

int cio_stream_at_eof(cio_stream_t *s)
{
    int rc = stream_check(s);
    if (rc < 0)
        return rc;
    return s->t.eof && !s->rlen;
}

int cio_stream_set_limit(cio_stream_t *s, size_t limit)
{
    int rc = stream_check(s);
    if (rc < 0)
        return rc;
    s->limit = limit ? limit : CIO_STREAM_LIMIT;
    return 0;
}

/* ------------------------------------------------------------- writing */

/* A stream that can be written: not a pipe's read end. */
static int stream_wr_check(cio_stream_t *s)
{
    int rc = stream_check(s);
    if (rc < 0)
        return rc;
    return s->t.is_pipe == CIO__PIPE_READ ? -ENOTSUP : 0;
}

int cio_stream_write(cio_stream_t *s, const void *buf, size_t n)
{
    int rc = stream_wr_check(s);
    if (rc < 0)
        return rc;
    if (!buf && n)
        return -EINVAL;
    struct iovec v = {(void *)buf, n};
    return cio__conn_write(&s->t, &v, 1);
}

int cio_stream_writev(cio_stream_t *s, const struct iovec *iov, int iovcnt)
{
    int rc = stream_wr_check(s);
    if (rc < 0)
        return rc;
    return cio__conn_write(&s->t, iov, iovcnt);
}

int cio_stream_drain(cio_stream_t *s)
{
    int rc = stream_wr_check(s);
    if (rc < 0)
        return rc;
    if ((rc = stream_in_task()) < 0)
        return rc;
    cio_transport_t *c = &s->t;
    for (;;) {
        if (c->err)
            return c->err;
        if (c->user_closed || c->state == CIO__CLOSED)
            return CIO_ECLOSED;
        if (!c->wpaused)
            return 0;
        struct cio__waiter w;
        cio__wlist_push(&c->drainq, &w, cio__tls.task);
        if ((rc = cio__waiter_suspend(cio__tls.task, &w)) < 0)
            return rc;
    }
}

int cio_stream_set_write_buffer_limits(cio_stream_t *s, size_t high, size_t low)
{
    int rc = stream_wr_check(s);
    return rc < 0 ? rc : cio__conn_set_limits(&s->t, high, low);
}

int cio_stream_get_write_buffer_limits(cio_stream_t *s, size_t *high, size_t *low)
{
    int rc = stream_wr_check(s);
    if (rc < 0)
        return rc;
    if (!high || !low)
        return -EINVAL;
    *high = s->t.high;
    *low = s->t.low;
    return 0;
}

size_t cio_stream_write_buffer_size(cio_stream_t *s)
{
    return stream_check(s) < 0 ? 0 : s->t.wlen;
}

int cio_stream_write_eof(cio_stream_t *s)
{
    int rc = stream_wr_check(s);
    return rc < 0 ? rc : cio__conn_write_eof(&s->t);
}

int cio_stream_can_write_eof(cio_stream_t *s)
{
    int rc = stream_check(s);
    return rc < 0 ? rc : (!s->t.ssl && s->t.is_pipe != CIO__PIPE_READ);
}

/* ----------------------------------------------------------- lifecycle */

int cio_stream_close(cio_stream_t *s)
{
    int rc = stream_check(s);
    return rc < 0 ? rc : cio__conn_close(&s->t);
}

int cio_stream_abort(cio_stream_t *s)
{
    int rc = stream_check(s);
    return rc < 0 ? rc : cio__conn_abort(&s->t);
}

int cio_stream_wait_closed(cio_stream_t *s)
{
    int rc = stream_check(s);
    if (rc < 0)
        return rc;
    if ((rc = stream_in_task()) < 0)
        return rc;
    cio_transport_t *c = &s->t;
    while (c->state != CIO__CLOSED) {
        struct cio__waiter w;
        cio__wlist_push(&c->closeq, &w, cio__tls.task);
        if ((rc = cio__waiter_suspend(cio__tls.task, &w)) < 0)
            return rc;
    }
    return c->err;
}

int cio_stream_is_closing(cio_stream_t *s)
{
    int rc = stream_check(s);
    return rc < 0 ? rc : (s->t.user_closed || s->t.state != CIO__OPEN);
}

int cio_stream_fd(cio_stream_t *s)
{
    int rc = stream_check(s);
    if (rc < 0)
        return rc;
    return s->t.fd >= 0 ? s->t.fd : CIO_ECLOSED;
}

int cio_stream_peername(cio_stream_t *s, struct sockaddr_storage *addr, socklen_t *len)
{
    int rc = stream_check(s);
    return rc < 0 ? rc : cio__conn_addr(&s->t, 1, addr, len);
}

int cio_stream_sockname(cio_stream_t *s, struct sockaddr_storage *addr, socklen_t *len)
{
    int rc = stream_check(s);
    return rc < 0 ? rc : cio__conn_addr(&s->t, 0, addr, len);
}

int cio_stream_start_tls(cio_stream_t *s, cio_tls_t *tls, const char *server_hostname, double handshake_timeout)
{
    int rc = stream_check(s);
    if (rc < 0)
        return rc;
    if ((rc = stream_in_task()) < 0)
        return rc;
    if (!tls)
        return -EINVAL;
    if (s->t.is_pipe)
        return -ENOTSUP; /* one direction only */
    if (s->t.user_closed || s->t.state != CIO__OPEN)
        return s->t.err ? s->t.err : CIO_ECLOSED;
    if (s->t.ssl || s->reading || s->rlen)
        return CIO_EINVALSTATE; /* already TLS, or plain bytes still buffered */
    if ((rc = cio__conn_flush_all(&s->t)) < 0) /* what was written in plain goes first */
        return rc;
    return cio__tls_start(&s->t, tls, server_hostname, handshake_timeout, 0); /* the default close wait */
}
