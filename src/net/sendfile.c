/* loop.sendfile on transports and streams (asyncio's base_events.sendfile).
 *
 * A plain socket connection sends with sendfile(2) once its write buffer is
 * flushed (nothing buffered may be overtaken), waiting for the socket's
 * write edge when it is full.  Anything sendfile(2) refuses, and TLS, goes the
 * fallback way: the file read with pread into a buffer and written through
 * the connection's own write path, with drain's flow control.  As asyncio,
 * the file's position is left at offset + the bytes sent, and the
 * connection's own writes are refused while a sendfile runs. */
#include "net.h"

#include <errno.h>
#include <sys/sendfile.h>
#include <unistd.h>

#define FALLBACK_CHUNK (64 * 1024)
#define NATIVE_MAX 0x7ffff000

static int conn_gone(cio_transport_t *c)
{
    if (c->err)
        return c->err;
    return c->user_closed || c->state != CIO__OPEN ? CIO_ECLOSED : 0;
}

/* Wait until the write buffer is below its low-water mark (drain). */
static int wait_drained(cio_transport_t *c)
{
    while (c->wpaused) {
        int rc = conn_gone(c);
        if (rc < 0)
            return rc;
        struct cio__waiter w;
        cio__wlist_push(&c->drainq, &w, cio__tls.task);
        if ((rc = cio__waiter_suspend(cio__tls.task, &w)) < 0)
            return rc;
    }
    return conn_gone(c);
}

/* One chunk the fallback way: 0 (sent), 1 at the end of the file, or an
 * error.  *buf is allocated on first use. */
static int fallback_chunk(cio_transport_t *c, int file, int64_t offset, int64_t count, int64_t *sent, char **buf)
{
    if (!*buf && !(*buf = cio__malloc(FALLBACK_CHUNK)))
        return -ENOMEM;
    size_t want = FALLBACK_CHUNK;
    if (count && (uint64_t)(count - *sent) < want)
        want = (size_t)(count - *sent);
    ssize_t r;
    do
        r = pread(file, *buf, want, (off_t)(offset + *sent));
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return -errno;
    if (r == 0)
        return 1;
    struct iovec v = {*buf, (size_t)r};
    int rc = cio__conn_write(c, &v, 1);
    if (rc < 0)
        return rc;
    *sent += r;
    return wait_drained(c);
}

/* sendfile(2) while nothing is buffered: 0 when done (the count or the end
 * of the file reached), 1 when sendfile refuses this file (the fallback
 * from now on), 2 when bytes are buffered (a chunk the fallback way keeps
 * their order), or an error. */
static int native(cio_transport_t *c, int file, int64_t offset, int64_t count, int64_t *sent)
{
    int rc;
    while (!count || *sent < count) {
        if ((rc = conn_gone(c)) < 0)
            return rc;
        if (c->wlen)
            return 2;
        off_t off = (off_t)(offset + *sent);
        size_t want = NATIVE_MAX;
        if (count && (uint64_t)(count - *sent) < want)
            want = (size_t)(count - *sent);
        ssize_t r = sendfile(c->fd, file, &off, want);
        if (r > 0) {
            *sent += r;
            continue;
        }
        if (r == 0)
            return 0; /* end of file */
        int e = errno;
        if (e == EINTR)
            continue;
        if (e == EAGAIN || e == EWOULDBLOCK) {
            if ((rc = cio__conn_wait(c, 1)) < 0)
                return rc;
            continue;
        }
        if (e == EINVAL || e == ENOSYS || e == EOVERFLOW || e == ESPIPE)
            return 1;
        if (e == EBADF)
            return -e; /* the file's fault: the connection stays */
        cio__conn_fail(c, -e);
        return -e;
    }
    return 0;
}

int64_t cio__conn_sendfile(cio_transport_t *c, int file, int64_t offset, int64_t count)
{
    if (!cio__tls.task)
        return cio__tls.running ? CIO_ENOTASK : CIO_ENOLOOP;
    if (c->kind == CIO__CONN_DGRAM || c->is_pipe)
        return -ENOTSUP; /* asyncio: "sendfile is not supported for transport" */
    if (file < 0)
        return -EBADF;
    if (offset < 0 || count < 0)
        return -EINVAL;
    if (c->wr_busy)
        return CIO_EINVALSTATE;
    int rc = conn_gone(c);
    if (rc < 0)
        return rc;
    c->wr_busy = 1;
    c->obj.refs++;
    int64_t sent = 0;
    int native_ok = !c->ssl; /* TLS: the fallback, as asyncio's */
    char *buf = NULL;
    /* asyncio's native path starts once the write buffer is empty. */
    if (native_ok && c->wlen)
        rc = cio__conn_flush_all(c);
    while (rc == 0 && (!count || sent < count)) {
        if (native_ok && !c->wlen) {
            rc = native(c, file, offset, count, &sent);
            if (rc == 1) {
                native_ok = 0; /* sendfile(2) refuses this file */
                rc = 0;
                continue;
            }
            if (rc != 2)
                break;
        }
        rc = fallback_chunk(c, file, offset, count, &sent, &buf);
        if (rc != 0)
            break;
    }
    cio__free(buf);
    c->wr_busy = 0;
    if (sent > 0)
        (void)lseek(file, (off_t)(offset + sent), SEEK_SET);
    cio__conn_unref(c);
    if (rc == 1)
        rc = 0;
    return rc < 0 ? rc : sent;
}

int64_t cio_transport_sendfile(cio_transport_t *t, int file, int64_t offset, int64_t count)
{
    int rc = cio__conn_check(t, CIO__CONN_PROTO);
    return rc < 0 ? rc : cio__conn_sendfile(t, file, offset, count);
}

int64_t cio_stream_sendfile(cio_stream_t *s, int file, int64_t offset, int64_t count)
{
    int rc = cio__conn_check(s, CIO__CONN_STREAM);
    return rc < 0 ? rc : cio__conn_sendfile(&s->t, file, offset, count);
}
