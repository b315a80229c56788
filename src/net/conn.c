/* Connections: the one object under streams, protocol transports and
 * datagram endpoints.
 *
 * The socket is registered once, edge-triggered, for both directions.  The
 * I/O callback never runs user code: for a stream it flushes the write
 * buffer and wakes the task waiting to read or write; for a protocol or a
 * datagram endpoint it records the events and queues the connection's event
 * callback, which reads and calls the protocol from the ready queue.
 *
 * `readable` remembers an edge not yet read to the end: a read shorter than
 * asked (with no hang-up seen) or EAGAIN clears it, and the next edge sets
 * it, so a reader waits without first paying for a recv that returns EAGAIN.
 *
 * Writes are gathered: what a connection is asked to write during one loop
 * iteration is appended to its write buffer, and the connection is queued
 * for the end of the iteration (phase_flush), where the whole buffer leaves
 * in one sendmsg/writev.  A write that makes CIO__WRITE_NOW bytes pending
 * goes out at once instead, with what is pending, in one writev and without
 * copying it.  What the socket does not take is kept (wblocked) and flushed
 * on the next write edge.  Above the high water mark the writer is paused
 * (pause_writing, or drain waits) until the buffer is back at the low one.
 *
 * Reads are fair: a protocol gets one read of at most CIO__READ_MAX bytes
 * per iteration (its event callback queues itself again while the socket
 * has more), and a stream reads its socket at most once per iteration
 * (rd_turn, src/stream.c), as asyncio's selector loop reads each ready
 * socket once per iteration.
 *
 * Close flushes first (state CLOSING, the loop holding a reference), then
 * finish_close() drops the registration and the fd and wakes every waiter;
 * a protocol's connection_lost follows from the ready queue, exactly once.
 *
 * A pipe end (is_pipe) has one direction: read(2) or writev(2) instead of
 * recv and sendmsg, write_eof is its close, and on a write end an error or
 * hang-up means the reader is gone. */
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#define CONN_HIGH (64 * 1024)
#define PROTO_HINT (64 * 1024)

static void conn_io(struct cio__io *io, uint32_t ev);
static void conn_evcb(struct cio__cb *cb);
static void conn_lostcb(struct cio__cb *cb);
static void conn_flushcb(struct cio__cb *cb);
static void finish_close(cio_transport_t *c, int err);
static void conn_wake_all(struct cio__wlist *l);

int cio__conn_check(const void *p, int kind)
{
    const struct cio_transport_s *c = p;
    if (!c)
        return -EINVAL;
    uint32_t want = kind == CIO__CONN_STREAM ? CIO__MAGIC_STREAM : CIO__MAGIC_TRANSPORT;
    if (c->obj.magic != want || c->obj.refs == 0)
        return -EINVAL;
    if (c->loop != cio__tls.running)
        return cio__tls.running ? CIO_EWRONGLOOP : CIO_ENOLOOP;
    return 0;
}

/* The fd is made non-blocking, last: on failure it is left as it was (its
 * close-on-exec flag is the caller's business: a pipe such as stdout may be
 * meant for children). */
cio_transport_t *cio__conn_new(cio_loop_t *loop, int fd, int kind, size_t size, int *rc)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0) {
        *rc = -errno;
        return NULL;
    }
    cio_transport_t *c = cio__calloc(size);
    if (!c) {
        *rc = -ENOMEM;
        return NULL;
    }
    if ((*rc = cio__fd_claim(loop, fd)) < 0) {
        cio__free(c);
        return NULL;
    }
    c->obj.magic = kind == CIO__CONN_STREAM ? CIO__MAGIC_STREAM : CIO__MAGIC_TRANSPORT;
    c->obj.refs = 1;
    c->loop = loop;
    c->kind = (uint8_t)kind;
    c->fd = fd;
    c->io.fd = fd;
    c->io.events = CIO__IO_READ | CIO__IO_WRITE | CIO__IO_EDGE;
    c->io.cb = conn_io;
    c->high = CONN_HIGH;
    c->low = CONN_HIGH / 4;
    c->evcb.run = conn_evcb;
    c->lostcb.run = conn_lostcb;
    c->flushcb.run = conn_flushcb;
    c->readable = 0; /* until the first poll says so: a read goes through the loop first, as asyncio's */
    c->dq_tail = &c->dq_head;
    if ((*rc = cio__io_add(loop, &c->io)) < 0) {
        cio__fd_release(loop, fd);
        cio__free(c);
        return NULL;
    }
    if (!(fl & O_NONBLOCK) && fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
        *rc = -errno;
        cio__io_del(loop, &c->io);
        cio__fd_release(loop, fd);
        cio__free(c);
        return NULL;
    }
    c->registered = 1;
    loop->nobjs++;
    return c;
}

int cio__pipe_check(int fd, int dir)
{
    if (fd < 0)
        return -EBADF;
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -errno;
    /* asyncio's pipe transports take pipes, sockets and character devices
     * only (a regular file is always "ready": epoll refuses it). */
    if (!S_ISFIFO(st.st_mode) && !S_ISSOCK(st.st_mode) && !S_ISCHR(st.st_mode))
        return -EINVAL;
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0)
        return -errno;
    int acc = fl & O_ACCMODE;
    if ((dir == CIO__PIPE_READ && acc == O_WRONLY) || (dir == CIO__PIPE_WRITE && acc == O_RDONLY))
        return -EBADF; /* the other end of the pipe: read(2) or write(2) would say so */
    return 0;
}

void cio__conn_free(cio_transport_t *c)
{
    cio__tls_free_conn(c);
    if (c->kind == CIO__CONN_DGRAM)
        cio__dgram_free_queue(c);
    if (c->kind == CIO__CONN_STREAM) {
        cio__free(((struct cio_stream_s *)c)->rbuf);
        cio__free(((struct cio_stream_s *)c)->exc_msg);
    }
    cio__free(c->wbuf);
    c->loop->nobjs--;
    c->obj.magic = CIO__MAGIC_DEAD;
    cio__free(c);
}

int cio__conn_unref(cio_transport_t *c)
{
    if (--c->obj.refs > 0)
        return 0;
    if (c->state == CIO__OPEN && (c->wlen || c->dq_head) && !c->err) {
        /* The last reference gone with data still buffered: close
         * gracefully, the loop keeping the connection until it is out. */
        c->user_closed = 1;
        c->state = CIO__CLOSING;
        c->flushref = 1;
        c->obj.refs = 1;
        return 0;
    }
    if (c->state != CIO__CLOSED) {
        c->user_closed = 1;
        c->obj.refs = 1; /* finish_close may queue callbacks that need it */
        finish_close(c, 0);
        if (--c->obj.refs > 0)
            return 0;
    }
    cio__conn_free(c);
    return 0;
}

static void conn_wake_all(struct cio__wlist *l)
{
    while (cio__wlist_wake_first(l))
        ;
}

/* --------------------------------------------------------- transfers */

ssize_t cio__conn_recv(cio_transport_t *c, void *buf, size_t n)
{
    if (c->fd < 0)
        return c->err ? c->err : CIO_ECLOSED;
    if (c->ssl) {
        /* A record at a time, until n bytes or the socket has no more: one
         * read's budget is bytes, as for a plain socket. */
        size_t got = 0;
        for (;;) {
            ssize_t r = cio__tls_read(c, (char *)buf + got, n - got);
            if (r > 0) {
                got += (size_t)r;
                if (got < n)
                    continue;
                return (ssize_t)got;
            }
            if (r == CIO__WANT_READ || r == CIO__WANT_WRITE)
                c->readable = 0;
            if (got)
                return (ssize_t)got; /* the rest (EOF, an error) is seen by the next read */
            if (r == CIO__WANT_WRITE)
                return CIO__WANT_WRITE;
            if (r == 0)
                c->eof = 1;
            return r;
        }
    }
    for (;;) {
        ssize_t r = c->is_pipe ? read(c->fd, buf, n) : recv(c->fd, buf, n, MSG_DONTWAIT);
        if (r > 0) {
            if ((size_t)r < n && !c->hup)
                c->readable = 0;
            return r;
        }
        if (r == 0) {
            if (n)
                c->eof = 1;
            return 0;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            c->readable = 0;
            return -EAGAIN;
        }
        return -errno;
    }
}

/* Send from iov without blocking: bytes sent, -EAGAIN or -errno. */
static ssize_t conn_send(cio_transport_t *c, const struct iovec *iov, int iovcnt)
{
    if (c->ssl) {
        /* SSL_write in partial mode writes a record at a time: go on until
         * the socket refuses (only then will an edge say it has room). */
        size_t done = 0;
        for (int i = 0; i < iovcnt; i++) {
            size_t off = 0;
            while (off < iov[i].iov_len) {
                ssize_t n = cio__tls_write(c, (const char *)iov[i].iov_base + off, iov[i].iov_len - off);
                if (n == CIO__WANT_READ || n == CIO__WANT_WRITE)
                    return done ? (ssize_t)done : -EAGAIN;
                if (n < 0)
                    return done ? (ssize_t)done : n;
                done += (size_t)n;
                off += (size_t)n;
            }
        }
        return (ssize_t)done;
    }
    struct msghdr m = {.msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)iovcnt};
    for (;;) {
        ssize_t n = c->is_pipe ? writev(c->fd, iov, iovcnt) : sendmsg(c->fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n >= 0)
            return n;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return -EAGAIN;
        return -errno;
    }
}

static void do_shutdown(cio_transport_t *c)
{
    if (c->shut_wr == 1 && !c->wlen && c->fd >= 0) {
        c->shut_wr = 2;
        shutdown(c->fd, SHUT_WR);
    }
}

/* The buffer went down: resume the writer at the low-water mark. */
void cio__conn_after_progress(cio_transport_t *c)
{
    if (c->wpaused && c->wlen <= c->low) {
        c->wpaused = 0;
        if (c->kind != CIO__CONN_STREAM && c->proto && c->proto->resume_writing)
            c->proto->resume_writing(c, c->ud);
        conn_wake_all(&c->drainq);
    }
}

/* Send what is buffered, in one call unless the socket takes it only in
 * part (then it is full: wblocked, and the next write edge goes on).
 * Returns 0, or the error that failed the connection.  May finish a close
 * (the connection stays allocated). */
static int conn_flush(cio_transport_t *c)
{
    while (c->wlen) {
        struct iovec v = {c->wbuf + c->woff, c->wlen};
        ssize_t n = conn_send(c, &v, 1);
        if (n == -EAGAIN) {
            c->wblocked = 1;
            break;
        }
        if (n < 0) {
            cio__conn_fail(c, (int)n);
            return (int)n;
        }
        c->woff += (size_t)n;
        c->wlen -= (size_t)n;
        if (c->wlen) {
            c->wblocked = 1;
            break;
        }
    }
    if (!c->wlen) {
        /* An idle connection holds no write buffer. */
        cio__free(c->wbuf);
        c->wbuf = NULL;
        c->woff = c->wcap = 0;
    }
    cio__conn_after_progress(c);
    if (c->state == CIO__CLOSED)
        return c->err;
    if (!c->wlen) {
        do_shutdown(c);
        if (c->state == CIO__CLOSING)
            finish_close(c, 0);
    }
    return 0;
}

/* The end of the iteration: what was written during it leaves together. */
static void conn_flushcb(struct cio__cb *cb)
{
    cio_transport_t *c = cio__container_of(cb, cio_transport_t, flushcb);
    c->flushq = 0;
    if (c->state != CIO__CLOSED && c->wlen && !c->wblocked && c->fd >= 0)
        conn_flush(c);
    cio__conn_unref(c);
}

int cio__conn_flush_all(cio_transport_t *c)
{
    while (c->wlen) {
        int rc = c->wblocked ? cio__conn_wait(c, 1) : conn_flush(c);
        if (rc < 0)
            return rc;
        if (c->state == CIO__CLOSED)
            return c->err ? c->err : CIO_ECLOSED;
    }
    return 0;
}

static void queue_flush(cio_transport_t *c)
{
    if (!c->flushq) {
        c->flushq = 1;
        c->obj.refs++;
        cio__loop_at_flush(c->loop, &c->flushcb);
    }
}

static int wbuf_append(cio_transport_t *c, const struct iovec *iov, int iovcnt, size_t skip, size_t total)
{
    size_t need = c->wlen + (total - skip);
    if (c->woff && c->woff + need > c->wcap) {
        memmove(c->wbuf, c->wbuf + c->woff, c->wlen);
        c->woff = 0;
    }
    if (c->woff + need > c->wcap) {
        size_t cap = c->wcap ? c->wcap : 4096;
        while (cap < c->woff + need)
            cap *= 2;
        char *b = cio__realloc(c->wbuf, cap);
        if (!b)
            return -ENOMEM;
        c->wbuf = b;
        c->wcap = cap;
    }
    char *dst = c->wbuf + c->woff + c->wlen;
    for (int i = 0; i < iovcnt; i++) {
        size_t len = iov[i].iov_len;
        const char *src = iov[i].iov_base;
        if (skip >= len) {
            skip -= len;
            continue;
        }
        memcpy(dst, src + skip, len - skip);
        dst += len - skip;
        c->wlen += len - skip;
        skip = 0;
    }
    return 0;
}

int cio__conn_write(cio_transport_t *c, const struct iovec *iov, int iovcnt)
{
    if (iovcnt < 0 || (!iov && iovcnt))
        return -EINVAL;
    size_t total = 0;
    for (int i = 0; i < iovcnt; i++) {
        if (!iov[i].iov_base && iov[i].iov_len)
            return -EINVAL;
        if (iov[i].iov_len > SIZE_MAX / 2 - total)
            return -EINVAL;
        total += iov[i].iov_len;
    }
    if (c->err)
        return c->err;
    if (c->user_closed || c->shut_wr || c->state != CIO__OPEN)
        return CIO_ECLOSED;
    if (!total)
        return 0;
    size_t done = 0;
    if (!c->wblocked && c->wlen + total >= CIO__WRITE_NOW) {
        /* Big enough to go now: what is pending first, then iov, in one
         * call, the caller's bytes not copied. */
        struct iovec v[64];
        int k = 0;
        if (c->wlen)
            v[k++] = (struct iovec){c->wbuf + c->woff, c->wlen};
        for (int i = 0; i < iovcnt && k < 64; i++)
            if (iov[i].iov_len)
                v[k++] = iov[i];
        ssize_t n = conn_send(c, v, k);
        if (n < 0 && n != -EAGAIN) {
            cio__conn_fail(c, (int)n);
            return (int)n;
        }
        if (n > 0) {
            size_t from_buf = (size_t)n < c->wlen ? (size_t)n : c->wlen;
            c->woff += from_buf;
            c->wlen -= from_buf;
            done = (size_t)n - from_buf;
            if (!c->wlen) {
                cio__free(c->wbuf);
                c->wbuf = NULL;
                c->woff = c->wcap = 0;
            }
            cio__conn_after_progress(c);
        }
        if (done == total && !c->wlen)
            return 0;
        size_t offered = 0;
        for (int i = 0; i < k; i++)
            offered += v[i].iov_len;
        if (n < 0 || (size_t)n < offered)
            c->wblocked = 1; /* the socket is full: the write edge goes on */
    }
    if (done < total) {
        int rc = wbuf_append(c, iov, iovcnt, done, total);
        if (rc < 0 && !done && !c->wlen && !c->wblocked) {
            /* No memory to gather it: it goes now, as a write did before
             * writes were gathered, and only what the socket refuses needs
             * room. */
            ssize_t n = conn_send(c, iov, iovcnt > IOV_MAX ? IOV_MAX : iovcnt);
            if (n < 0 && n != -EAGAIN) {
                cio__conn_fail(c, (int)n);
                return (int)n;
            }
            if (n > 0)
                done = (size_t)n;
            if (done == total)
                return 0;
            c->wblocked = 1;
            rc = wbuf_append(c, iov, iovcnt, done, total);
        }
        if (rc < 0) {
            /* Part of this write already left: the stream would have a
             * hole, so the connection fails, as a lost read fails it. */
            if (done)
                cio__conn_fail(c, rc);
            return rc;
        }
    }
    if (!c->wblocked)
        queue_flush(c);
    if (!c->wpaused && c->wlen > c->high) {
        c->wpaused = 1;
        if (c->kind != CIO__CONN_STREAM && c->proto && c->proto->pause_writing)
            c->proto->pause_writing(c, c->ud);
    }
    return 0;
}

int cio__conn_set_limits(cio_transport_t *c, size_t high, size_t low)
{
    if (!high)
        high = low ? 4 * low : CONN_HIGH;
    if (!low)
        low = high / 4;
    if (low > high)
        return -EINVAL;
    c->high = high;
    c->low = low;
    if (!c->wpaused && c->wlen > c->high && c->state == CIO__OPEN) {
        c->wpaused = 1;
        if (c->kind != CIO__CONN_STREAM && c->proto && c->proto->pause_writing)
            c->proto->pause_writing(c, c->ud);
    } else if (c->wpaused && c->wlen <= c->low) {
        cio__conn_after_progress(c);
    }
    return 0;
}

/* Wait for an edge in one direction (0 read, 1 write), from a task. */
int cio__conn_wait(cio_transport_t *c, int dir)
{
    struct cio__task *t = cio__tls.task;
    if (!t)
        return cio__tls.running ? CIO_ENOTASK : CIO_ENOLOOP;
    if (c->state == CIO__CLOSED)
        return c->err ? c->err : CIO_ECLOSED;
    struct cio__waiter w;
    cio__wlist_push(dir ? &c->wq : &c->rq, &w, t);
    return cio__waiter_suspend(t, &w);
}

/* ------------------------------------------------------------- close */

/* The TLS close exchange (asyncio's SSL shutdown): our close_notify goes
 * out, and the fd stays open, the loop holding the connection, until the
 * peer's arrives, the peer goes away, or tls_shutdown_timeout (30 s)
 * passes, which fails the connection with -ETIMEDOUT.  Closing the socket
 * before the peer has stopped sending would answer its last records with a
 * reset, which may destroy what we sent last before the peer reads it. */
static void tls_close_timeout(struct cio__timer *tm)
{
    cio_transport_t *c = cio__container_of(tm, cio_transport_t, tls_timer);
    finish_close(c, -ETIMEDOUT);
}

static void tls_close_step(cio_transport_t *c)
{
    int r = cio__tls_close_step(c);
    if (r != 0)
        finish_close(c, 0); /* over: an error here only ends the wait */
}

/* Returns 1 when the close now waits for the peer (finish_close runs again
 * when the exchange is over), 0 to close at once. */
static int tls_close_begin(cio_transport_t *c)
{
    if (c->tls_closing || !c->registered)
        return 0;
    c->tls_closing = 1;
    c->tls_timer.idx = CIO__TIMER_NONE;
    if (cio__tls_close_step(c) != 0)
        return 0; /* over at once, or impossible */
    double secs = c->tls_shutdown_timeout > 0 ? c->tls_shutdown_timeout : 30.0;
    int64_t ns = 0;
    if (cio__double_to_ns(secs, &ns) < 0)
        ns = INT64_MAX / 4; /* too far to be a deadline: none in practice */
    if (cio__heap_reserve(&c->loop->timers, 1) < 0)
        return 0; /* no memory for the deadline: close now, our close_notify sent */
    c->tls_timer.fire = tls_close_timeout;
    c->tls_timer.when = cio__now_ns() + ns;
    cio__heap_push(&c->loop->timers, &c->tls_timer);
    c->state = CIO__CLOSING;
    if (!c->flushref) {
        c->flushref = 1; /* the loop's reference until the exchange is over */
        c->obj.refs++;
    }
    conn_wake_all(&c->rq);
    conn_wake_all(&c->wq);
    conn_wake_all(&c->drainq);
    return 1;
}

static void finish_close(cio_transport_t *c, int err)
{
    if (c->state == CIO__CLOSED)
        return;
    if (err && !c->err)
        c->err = err;
    if (c->ssl && !c->tls_quiet && !c->err && c->fd >= 0 && tls_close_begin(c))
        return;
    if (c->tls_closing == 1 && c->tls_timer.idx != CIO__TIMER_NONE)
        cio__heap_remove(&c->loop->timers, &c->tls_timer);
    c->tls_closing = 2;
    c->state = CIO__CLOSED;
    if (c->registered) {
        cio__io_del(c->loop, &c->io);
        c->registered = 0;
    }
    if (c->fd >= 0) {
        cio__fd_release(c->loop, c->fd);
        if (c->ssl && !c->tls_quiet && !c->err)
            cio__tls_shutdown(c);
        if (!c->keep_fd)
            close(c->fd);
        c->fd = -1;
    }
    cio__free(c->wbuf);
    c->wbuf = NULL;
    c->wlen = c->woff = c->wcap = 0;
    conn_wake_all(&c->rq);
    conn_wake_all(&c->wq);
    conn_wake_all(&c->drainq);
    conn_wake_all(&c->closeq);
    if (c->kind == CIO__CONN_DGRAM)
        cio__dgram_free_queue(c);
    if (c->server && c->kind == CIO__CONN_STREAM && !((struct cio_stream_s *)c)->owner)
        cio__server_detach(c); /* a client task still running detaches when it ends */
    if (c->life || c->flushref || (c->server && c->kind != CIO__CONN_STREAM)) {
        c->obj.refs++;
        cio__loop_schedule(c->loop, &c->lostcb);
    }
}

static void conn_lostcb(struct cio__cb *cb)
{
    cio_transport_t *c = cio__container_of(cb, cio_transport_t, lostcb);
    if (c->proto && c->made && !c->lost) {
        c->lost = 1;
        if (c->proto->connection_lost)
            c->proto->connection_lost(c, c->err, c->ud);
    }
    if (c->server)
        cio__server_detach(c);
    c->obj.refs -= (uint32_t)(c->life + c->flushref);
    c->life = c->flushref = 0;
    cio__conn_unref(c);
}

void cio__conn_finish_close(cio_transport_t *c, int err)
{
    finish_close(c, err);
}

void cio__conn_fail(cio_transport_t *c, int err)
{
    if (!c->err)
        c->err = err;
    c->wlen = 0;
    finish_close(c, err);
}

int cio__conn_close(cio_transport_t *c)
{
    if (c->user_closed)
        return 0;
    c->user_closed = 1;
    if (c->state != CIO__OPEN)
        return 0;
    if ((c->wlen || c->dq_head) && !c->err) {
        c->state = CIO__CLOSING;
        c->flushref = 1;
        c->obj.refs++;
        conn_wake_all(&c->rq); /* a blocked reader sees CIO_ECLOSED */
        return 0;
    }
    finish_close(c, 0);
    return 0;
}

int cio__conn_abort(cio_transport_t *c)
{
    c->user_closed = 1;
    c->wlen = 0;
    if (c->state == CIO__CLOSED)
        return 0;
    if (c->fd >= 0 && c->kind != CIO__CONN_DGRAM && !c->is_pipe) {
        /* A reset, not a FIN, as asyncio's abort on a socket with linger 0 would be. */
        struct linger l = {1, 0};
        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    }
    /* No close_notify on abort.  The SSL object stays until the free: the
     * TLS extra info outlives the connection, as asyncio's. */
    c->tls_quiet = 1;
    finish_close(c, 0);
    return 0;
}

int cio__conn_write_eof(cio_transport_t *c)
{
    if (c->err)
        return c->err;
    if (c->user_closed || c->state != CIO__OPEN)
        return CIO_ECLOSED;
    if (c->ssl || c->kind == CIO__CONN_DGRAM)
        return -ENOTSUP;
    if (c->is_pipe)
        return cio__conn_close(c); /* a pipe's EOF is its close, closing at once, as asyncio's */
    if (c->shut_wr)
        return 0;
    c->shut_wr = 1;
    do_shutdown(c);
    return 0;
}

int cio__conn_addr(cio_transport_t *c, int peer, struct sockaddr_storage *addr, socklen_t *len)
{
    if (!addr)
        return -EINVAL;
    if (c->fd < 0)
        return c->err ? c->err : CIO_ECLOSED;
    socklen_t l = sizeof *addr;
    int r = peer ? getpeername(c->fd, (struct sockaddr *)addr, &l) : getsockname(c->fd, (struct sockaddr *)addr, &l);
    if (r < 0)
        return -errno;
    if (len)
        *len = l;
    return 0;
}

/* ------------------------------------------------------- events */

static void conn_io(struct cio__io *io, uint32_t ev)
{
    cio_transport_t *c = cio__container_of(io, cio_transport_t, io);
    if (c->tls_closing == 1) {
        tls_close_step(c); /* closed: nothing else reads or writes */
        return;
    }
    if (ev & (CIO__IO_HUP | CIO__IO_ERROR))
        c->hup = 1;
    if (ev & CIO__IO_READ)
        c->readable = 1;
    /* Tasks waiting on the socket: a stream's reader or drainer, or the
     * TLS handshake of any kind of connection. */
    if (ev & CIO__IO_WRITE) {
        c->wblocked = 0;
        if (c->kind == CIO__CONN_STREAM && c->wlen)
            conn_flush(c);
        conn_wake_all(&c->wq);
    }
    if (ev & CIO__IO_READ)
        conn_wake_all(&c->rq);
    if (c->kind == CIO__CONN_STREAM || !c->life)
        return; /* a protocol not started yet (handshaking) gets no events */
    c->pending |= ev;
    if (!c->evq) {
        c->evq = 1;
        c->obj.refs++;
        cio__loop_schedule(c->loop, &c->evcb);
    }
}

static void queue_ev(cio_transport_t *c)
{
    if (!c->evq && c->state != CIO__CLOSED) {
        c->evq = 1;
        c->obj.refs++;
        cio__loop_schedule(c->loop, &c->evcb);
    }
}

static void proto_eof(cio_transport_t *c)
{
    int keep = 0;
    if (c->proto->eof_received)
        keep = c->proto->eof_received(c, c->ud);
    if (c->ssl || c->is_pipe)
        keep = 0; /* asyncio's read pipe transport closes at EOF whatever the protocol says */
    if (!keep && c->state == CIO__OPEN)
        cio__conn_close(c);
}

/* One read of at most CIO__READ_MAX bytes per iteration: while the socket
 * has more, the event callback comes back in the next iteration, after
 * everything else that is ready (asyncio reads a ready socket once per
 * iteration). */
static void proto_read(cio_transport_t *c)
{
    const cio_protocol_t *p = c->proto;
    void *buf;
    size_t size;
    if (p->get_buffer) {
        size = 0;
        buf = p->get_buffer(c, PROTO_HINT, &size, c->ud);
        if (c->state != CIO__OPEN)
            return;
        if (!buf || !size) {
            cio__loop_report(c->loop, "get_buffer() returned an empty buffer", -ENOBUFS, NULL, NULL, NULL);
            cio__conn_fail(c, -ENOBUFS);
            return;
        }
        if (size > CIO__READ_MAX)
            size = CIO__READ_MAX;
    } else {
        buf = cio__loop_scratch(c->loop);
        size = CIO__SCRATCH;
        if (!buf) {
            cio__conn_fail(c, -ENOMEM);
            return;
        }
    }
    ssize_t n = cio__conn_recv(c, buf, size);
    if (n == -EAGAIN || n == CIO__WANT_WRITE)
        return;
    if (n < 0) {
        cio__conn_fail(c, (int)n);
        return;
    }
    if (n == 0) {
        proto_eof(c);
        return;
    }
    if (p->get_buffer) {
        if (p->buffer_updated)
            p->buffer_updated(c, (size_t)n, c->ud);
    } else if (p->data_received) {
        p->data_received(c, buf, (size_t)n, c->ud);
    }
    if (c->state == CIO__OPEN && !c->rpaused && c->readable)
        queue_ev(c); /* more to read: after the others' turn */
}

static void proto_event(cio_transport_t *c, uint32_t ev)
{
    if (c->state == CIO__CLOSED)
        return;
    if (!c->made) {
        c->made = 1;
        if (c->proto->connection_made)
            c->proto->connection_made(c, c->ud);
        if (c->state == CIO__CLOSED)
            return;
    }
    if ((ev & CIO__IO_WRITE) && c->wlen) {
        conn_flush(c);
        if (c->state == CIO__CLOSED)
            return;
    }
    if (c->is_pipe == CIO__PIPE_WRITE) {
        /* Nothing to read: an error or hang-up on a write end means the
         * reader is gone (asyncio's "reader trick").  With data still
         * buffered it is a broken pipe; without, a clean close, as
         * asyncio's. */
        if (c->hup && c->wlen)
            cio__conn_fail(c, -EPIPE);
        else if (c->hup)
            finish_close(c, 0);
        return;
    }
    if (c->readable && !c->rpaused && !c->eof && c->state == CIO__OPEN)
        proto_read(c);
}

static void conn_evcb(struct cio__cb *cb)
{
    cio_transport_t *c = cio__container_of(cb, cio_transport_t, evcb);
    c->evq = 0;
    uint32_t ev = c->pending;
    c->pending = 0;
    if (c->kind == CIO__CONN_DGRAM)
        cio__dgram_event(c, ev);
    else
        proto_event(c, ev);
    cio__conn_unref(c);
}

void cio__conn_start_proto(cio_transport_t *c)
{
    if (!c->life) {
        c->life = 1;
        c->obj.refs++;
    }
    queue_ev(c);
}

int cio__conn_pause_reading(cio_transport_t *c)
{
    if (c->state == CIO__OPEN)
        c->rpaused = 1;
    return 0;
}

int cio__conn_resume_reading(cio_transport_t *c)
{
    if (!c->rpaused)
        return 0;
    c->rpaused = 0;
    if (c->readable)
        queue_ev(c);
    return 0;
}

/* ------------------------------------------------------- connecting */

void cio__sock_setup(int fd, int tcp)
{
    if (tcp) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
}

int cio__sock_check(int fd, int type, int unix_only)
{
    if (fd < 0)
        return -EBADF;
    int t, family;
    socklen_t len = sizeof t;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &t, &len) < 0)
        return -errno;
    len = sizeof family;
    if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &family, &len) < 0)
        return -errno;
    if (t != type || (unix_only && family != AF_UNIX))
        return -EINVAL;
    return family;
}

int cio__conn_sock(const cio_conn_opts_t *o, int given, int unix_only, int *fd)
{
    if (!o || (!o->has_sock && !o->sock))
        return 0;
    /* A sock without has_sock is taken for a forgotten flag, not ignored.
     * TLS needs the name to verify, which no host supplies here ("" says
     * none, as asyncio's server_hostname=''). */
    if (!o->has_sock || given || o->local_host || o->local_port || o->family || (o->tls && !o->server_hostname))
        return -EINVAL;
    int family = cio__sock_check(o->sock, SOCK_STREAM, unix_only);
    if (family < 0)
        return family;
    cio__sock_setup(o->sock, family == AF_INET || family == AF_INET6);
    (void)fcntl(o->sock, F_SETFD, FD_CLOEXEC); /* the library's now: not inherited */
    *fd = o->sock;
    return 1;
}

int cio__connect_unix(const char *path, int *fdp)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (!path || !*path)
        return -EINVAL;
    if (strlen(path) >= sizeof sa.sun_path)
        return -ENAMETOOLONG;
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int rc = cio_sock_connect(fd, (struct sockaddr *)&sa, sizeof sa);
    if (rc < 0) {
        close(fd);
        return rc;
    }
    *fdp = fd;
    return 0;
}
