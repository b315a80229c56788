/* Transports and protocols: the public face of a connection driven by
 * callbacks (the machinery is in conn.c, servers in server.c, datagrams in
 * dgram.c).  connection_made has run when a create call returns. */
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

static int transport_check(cio_transport_t *t)
{
    return cio__conn_check(t, CIO__CONN_PROTO);
}

/* Wrap a connected fd as a protocol transport; TLS first when asked.  On
 * failure an fd of our own (own) is closed; the caller's stays open, a
 * failed handshake included (keep_fd). */
static int make(const cio_protocol_t *p, void *ud, int fd, const cio_conn_opts_t *opts, const char *hostname,
                int sync_made, int own, cio_transport_t **out)
{
    int rc;
    cio_transport_t *c = cio__conn_new(cio__tls.running, fd, CIO__CONN_PROTO, sizeof *c, &rc);
    if (!c) {
        if (own)
            close(fd);
        return rc;
    }
    c->proto = p;
    c->ud = ud;
    if (opts && opts->tls) {
        c->keep_fd = !own;
        rc = cio__tls_start(c, opts->tls, hostname, opts->tls_handshake_timeout, opts->tls_shutdown_timeout);
        if (rc < 0) {
            cio__conn_abort(c);
            cio__conn_unref(c);
            return rc;
        }
        c->keep_fd = 0;
    }
    cio__conn_start_proto(c);
    if (sync_made) {
        c->made = 1;
        if (p->connection_made)
            p->connection_made(c, ud);
    }
    *out = c;
    return 0;
}

static int transport_in_task(void)
{
    if (cio__tls.task)
        return 0;
    return cio__tls.running ? CIO_ENOTASK : CIO_ENOLOOP;
}

int cio_create_connection(const cio_protocol_t *p, void *ud, const char *host, int port,
                          const cio_conn_opts_t *opts, cio_transport_t **out)
{
    if (!out)
        return -EINVAL;
    *out = NULL;
    if (!p)
        return -EINVAL;
    int rc = transport_in_task();
    if (rc < 0)
        return rc;
    int fd, given = cio__conn_sock(opts, host || port, 0, &fd);
    if (given < 0)
        return given;
    if (!given && (rc = cio__connect_tcp(host, port, opts, &fd)) < 0)
        return rc;
    return make(p, ud, fd, opts, opts && opts->server_hostname ? opts->server_hostname : host, 1, !given, out);
}

int cio_create_unix_connection(const cio_protocol_t *p, void *ud, const char *path, const cio_conn_opts_t *opts,
                               cio_transport_t **out)
{
    if (!out)
        return -EINVAL;
    *out = NULL;
    if (!p)
        return -EINVAL;
    int rc = transport_in_task();
    if (rc < 0)
        return rc;
    int fd, given = cio__conn_sock(opts, path != NULL, 1, &fd);
    if (given < 0)
        return given;
    if (!given && (rc = cio__connect_unix(path, &fd)) < 0)
        return rc;
    return make(p, ud, fd, opts, opts ? opts->server_hostname : NULL, 1, !given, out);
}

int cio_connect_accepted_socket(const cio_protocol_t *p, void *ud, int fd, const cio_conn_opts_t *opts,
                                cio_transport_t **out)
{
    if (!out)
        return -EINVAL;
    *out = NULL;
    if (!p)
        return -EINVAL;
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
    return make(p, ud, fd, opts, opts ? opts->server_hostname : NULL, 0, 0, out);
}

/* asyncio's _UnixReadPipeTransport / _UnixWritePipeTransport: a connection
 * with one direction (read(2) or writev(2) on the fd, see conn.c).  The fd
 * stays the caller's on failure. */
static int connect_pipe(const cio_protocol_t *p, void *ud, int fd, int dir, cio_transport_t **out)
{
    if (!out)
        return -EINVAL;
    *out = NULL;
    if (!p)
        return -EINVAL;
    if (!cio__tls.running)
        return CIO_ENOLOOP;
    int rc = cio__pipe_check(fd, dir);
    if (rc < 0)
        return rc;
    if (dir == CIO__PIPE_WRITE)
        cio__ignore_sigpipe(); /* a gone reader is -EPIPE, not the end of the process */
    cio_transport_t *c = cio__conn_new(cio__tls.running, fd, CIO__CONN_PROTO, sizeof *c, &rc);
    if (!c)
        return rc;
    c->is_pipe = (uint8_t)dir;
    c->proto = p;
    c->ud = ud;
    cio__conn_start_proto(c);
    /* asyncio's connect_*_pipe returns once connection_made has run. */
    c->made = 1;
    if (p->connection_made)
        p->connection_made(c, ud);
    *out = c;
    return 0;
}

int cio_connect_read_pipe(const cio_protocol_t *p, void *ud, int fd, cio_transport_t **out)
{
    return connect_pipe(p, ud, fd, CIO__PIPE_READ, out);
}

int cio_connect_write_pipe(const cio_protocol_t *p, void *ud, int fd, cio_transport_t **out)
{
    return connect_pipe(p, ud, fd, CIO__PIPE_WRITE, out);
}

/* The writing calls on a pipe's read end, and the reading ones on its write
 * end: -ENOTSUP. */
static int transport_wr_check(cio_transport_t *t)
{
    int rc = transport_check(t);
    if (rc < 0)
        return rc;
    return t->is_pipe == CIO__PIPE_READ ? -ENOTSUP : 0;
}

static int transport_rd_check(cio_transport_t *t)
{
    int rc = transport_check(t);
    if (rc < 0)
        return rc;
    return t->is_pipe == CIO__PIPE_WRITE ? -ENOTSUP : 0;
}

int cio_transport_write(cio_transport_t *t, const void *buf, size_t n)
{
    int rc = transport_wr_check(t);
    if (rc < 0)
        return rc;
    if (!buf && n)
        return -EINVAL;
    if (t->wr_busy)
        return CIO_EINVALSTATE; /* asyncio: "unable to write; sendfile is in progress" */
    if (t->kind == CIO__CONN_DGRAM)
        return cio__dgram_sendto(t, buf, n, NULL, 0);
    struct iovec v = {(void *)buf, n};
    return cio__conn_write(t, &v, 1);
}

int cio_transport_writev(cio_transport_t *t, const struct iovec *iov, int iovcnt)
{
    int rc = transport_wr_check(t);
    if (rc < 0)
        return rc;
    if (t->kind == CIO__CONN_DGRAM)
        return -ENOTSUP;
    if (t->wr_busy)
        return CIO_EINVALSTATE;
    return cio__conn_write(t, iov, iovcnt);
}

int cio_transport_sendto(cio_transport_t *t, const void *buf, size_t n, const struct sockaddr *addr,
                         socklen_t addrlen)
{
    int rc = transport_check(t);
    if (rc < 0)
        return rc;
    if (t->kind != CIO__CONN_DGRAM)
        return -ENOTSUP;
    return cio__dgram_sendto(t, buf, n, addr, addrlen);
}

int cio_transport_write_eof(cio_transport_t *t)
{
    int rc = transport_wr_check(t);
    return rc < 0 ? rc : cio__conn_write_eof(t);
}

int cio_transport_can_write_eof(cio_transport_t *t)
{
    int rc = transport_check(t);
    return rc < 0 ? rc : (!t->ssl && t->kind != CIO__CONN_DGRAM && t->is_pipe != CIO__PIPE_READ);
}

int cio_transport_close(cio_transport_t *t)
{
    int rc = transport_check(t);
    return rc < 0 ? rc : cio__conn_close(t);
}

int cio_transport_abort(cio_transport_t *t)
{
    int rc = transport_check(t);
    return rc < 0 ? rc : cio__conn_abort(t);
}

int cio_transport_is_closing(cio_transport_t *t)
{
    int rc = transport_check(t);
    return rc < 0 ? rc : (t->user_closed || t->state != CIO__OPEN);
}

int cio_transport_pause_reading(cio_transport_t *t)
{
    int rc = transport_rd_check(t);
    return rc < 0 ? rc : cio__conn_pause_reading(t);
}

int cio_transport_resume_reading(cio_transport_t *t)
{
    int rc = transport_rd_check(t);
    return rc < 0 ? rc : cio__conn_resume_reading(t);
}

int cio_transport_is_reading(cio_transport_t *t)
{
    int rc = transport_check(t);
    return rc < 0 ? rc
                  : (t->state == CIO__OPEN && !t->user_closed && !t->rpaused && t->is_pipe != CIO__PIPE_WRITE);
}

int cio_transport_set_write_buffer_limits(cio_transport_t *t, size_t high, size_t low)
{
    int rc = transport_wr_check(t);
    return rc < 0 ? rc : cio__conn_set_limits(t, high, low);
}

int cio_transport_get_write_buffer_limits(cio_transport_t *t, size_t *high, size_t *low)
{
    int rc = transport_wr_check(t);
    if (rc < 0)
        return rc;
    if (!high || !low)
        return -EINVAL;
    *high = t->high;
    *low = t->low;
    return 0;
}

size_t cio_transport_get_write_buffer_size(cio_transport_t *t)
{
    return transport_check(t) < 0 ? 0 : t->wlen;
}

int cio_transport_fd(cio_transport_t *t)
{
    int rc = transport_check(t);
    if (rc < 0)
        return rc;
    return t->fd >= 0 ? t->fd : CIO_ECLOSED;
}

int cio_transport_peername(cio_transport_t *t, struct sockaddr_storage *addr, socklen_t *len)
{
    int rc = transport_check(t);
    return rc < 0 ? rc : cio__conn_addr(t, 1, addr, len);
}

int cio_transport_sockname(cio_transport_t *t, struct sockaddr_storage *addr, socklen_t *len)
{
    int rc = transport_check(t);
    return rc < 0 ? rc : cio__conn_addr(t, 0, addr, len);
}

void *cio_transport_get_ud(cio_transport_t *t)
{
    return transport_check(t) < 0 ? NULL : t->ud;
}

int cio_transport_set_ud(cio_transport_t *t, void *ud)
{
    int rc = transport_check(t);
    if (rc < 0)
        return rc;
    t->ud = ud;
    return 0;
}

int cio__net_unref(void *obj)
{
    struct cio__obj *o = obj;
    switch (o->magic) {
    case CIO__MAGIC_STREAM:
    case CIO__MAGIC_TRANSPORT:
        return cio__conn_unref(obj);
    case CIO__MAGIC_SERVER:
        return cio__server_unref(obj);
    case CIO__MAGIC_TLS:
        return cio__tls_unref(obj);
    default:
        return -EINVAL;
    }
}
