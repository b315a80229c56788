/* Datagram endpoints (asyncio's create_datagram_endpoint): UDP, or AF_UNIX
 * datagrams.  Reading and the queue of datagrams the socket would not take
 * are driven from the connection's event callback (src/net/conn.c); a send
 * error goes to error_received and the endpoint stays open, as asyncio. */
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define DGRAM_READS 16
#define DGRAM_MAX 65536

struct cio__dgram {
    struct cio__dgram *next;
    struct sockaddr_storage addr;
    socklen_t addrlen;
    size_t len;
    char data[];
};

void cio__dgram_free_queue(cio_transport_t *c)
{
    struct cio__dgram *d = c->dq_head, *n;
    for (; d; d = n) {
        n = d->next;
        cio__free(d);
    }
    c->dq_head = NULL;
    c->dq_tail = &c->dq_head;
    c->wlen = 0;
}

static void error_received(cio_transport_t *c, int err)
{
    if (c->proto->error_received)
        c->proto->error_received(c, err, c->ud);
}

/* Send one datagram: 0, -EAGAIN or -errno. */
static int send_one(cio_transport_t *c, const void *buf, size_t n, const struct sockaddr *addr, socklen_t alen)
{
    for (;;) {
        ssize_t r = sendto(c->fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL, addr, alen);
        if (r >= 0)
            return 0;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return -EAGAIN;
        return -errno;
    }
}

static void flush_queue(cio_transport_t *c)
{
    struct cio__dgram *d;
    while ((d = c->dq_head)) {
        int rc = send_one(c, d->data, d->len, d->addrlen ? (struct sockaddr *)&d->addr : NULL, d->addrlen);
        if (rc == -EAGAIN)
            return;
        c->dq_head = d->next;
        if (!c->dq_head)
            c->dq_tail = &c->dq_head;
        c->wlen -= d->len;
        cio__free(d);
        if (rc < 0) {
            error_received(c, rc);
            if (c->state == CIO__CLOSED)
                return;
        }
    }
    cio__conn_after_progress(c);
    if (c->state == CIO__CLOSING && !c->dq_head)
        cio__conn_finish_close(c, 0);
}

void cio__dgram_event(cio_transport_t *c, uint32_t ev)
{
    if (c->state == CIO__CLOSED)
        return;
    if ((ev & CIO__IO_WRITE) && c->dq_head) {
        flush_queue(c);
        if (c->state == CIO__CLOSED)
            return;
    }
    if (!c->readable || c->rpaused || c->state != CIO__OPEN)
        return;
    char *buf = cio__loop_scratch(c->loop);
    if (!buf) {
        cio__conn_fail(c, -ENOMEM);
        return;
    }
    for (int i = 0; i < DGRAM_READS; i++) {
        struct sockaddr_storage ss;
        socklen_t alen = sizeof ss;
        ssize_t n = recvfrom(c->fd, buf, DGRAM_MAX, MSG_DONTWAIT, (struct sockaddr *)&ss, &alen);
        if (n < 0) {
            int e = errno;
            if (e == EINTR)
                continue;
            if (e == EAGAIN || e == EWOULDBLOCK) {
                c->readable = 0;
                return;
            }
            error_received(c, -e); /* e.g. ECONNREFUSED from an ICMP error */
        } else if (c->proto->datagram_received) {
            c->proto->datagram_received(c, buf, (size_t)n, alen ? (struct sockaddr *)&ss : NULL, alen, c->ud);
        }
        if (c->state != CIO__OPEN || c->rpaused)
            return;
    }
    /* More may be waiting: after the others' turn. */
    if (!c->evq) {
        c->evq = 1;
        c->obj.refs++;
        cio__loop_schedule(c->loop, &c->evcb);
    }
}

int cio__dgram_sendto(cio_transport_t *c, const void *buf, size_t n, const struct sockaddr *addr, socklen_t alen)
{
    if ((!buf && n) || (addr && (alen == 0 || alen > sizeof(struct sockaddr_storage))) || (!addr && alen))
        return -EINVAL;
    if (n > DGRAM_MAX)
        return -EMSGSIZE;
    if (c->err)
        return c->err;
    if (c->user_closed || c->state != CIO__OPEN)
        return CIO_ECLOSED;
    if (!addr) {
        struct sockaddr_storage ss;
        socklen_t l = sizeof ss;
        if (getpeername(c->fd, (struct sockaddr *)&ss, &l) < 0)
            return -EDESTADDRREQ; /* not connected: an address is needed */
    }
    if (!c->dq_head) {
        int rc = send_one(c, buf, n, addr, alen);
        if (rc == 0)
            return 0;
        if (rc != -EAGAIN) {
            error_received(c, rc);
            return 0;
        }
    }
    struct cio__dgram *d = cio__malloc(sizeof *d + n);
    if (!d)
        return -ENOMEM;
    d->next = NULL;
    d->len = n;
    d->addrlen = addr ? alen : 0;
    if (addr)
        memcpy(&d->addr, addr, alen);
    if (n)
        memcpy(d->data, buf, n);
    *c->dq_tail = d;
    c->dq_tail = &d->next;
    c->wlen += n;
    if (!c->wpaused && c->wlen > c->high) {
        c->wpaused = 1;
        if (c->proto->pause_writing)
            c->proto->pause_writing(c, c->ud);
    }
    return 0;
}

/* ------------------------------------------------------------ creating */

static int resolve(const char *host, int port, int family, int passive, struct addrinfo **res)
{
    if (port < 0 || port > 65535)
        return -EINVAL;
    char ps[16];
    snprintf(ps, sizeof ps, "%d", port);
    struct addrinfo hints = {.ai_family = family, .ai_socktype = SOCK_DGRAM, .ai_flags = passive ? AI_PASSIVE : 0};
    return cio_getaddrinfo(host, ps, &hints, res);
}

static int unix_addr(const char *path, struct sockaddr_un *sa)
{
    memset(sa, 0, sizeof *sa);
    sa->sun_family = AF_UNIX;
    if (!*path)
        return -EINVAL;
    if (strlen(path) >= sizeof sa->sun_path)
        return -ENAMETOOLONG;
    strcpy(sa->sun_path, path);
    return 0;
}

static int open_unix(const cio_dgram_opts_t *o, int *fdp)
{
    struct sockaddr_un la, ra;
    int rc;
    if (o->local_path && (rc = unix_addr(o->local_path, &la)) < 0)
        return rc;
    if (o->remote_path && (rc = unix_addr(o->remote_path, &ra)) < 0)
        return rc;
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (o->local_path) {
        struct stat st;
        if (stat(o->local_path, &st) == 0 && S_ISSOCK(st.st_mode))
            unlink(o->local_path);
        if (bind(fd, (struct sockaddr *)&la, sizeof la) < 0)
            goto fail;
    }
    if (o->remote_path && connect(fd, (struct sockaddr *)&ra, sizeof ra) < 0)
        goto fail;
    *fdp = fd;
    return 0;
fail:
    rc = -errno;
    close(fd);
    return rc;
}

static int open_udp(const cio_dgram_opts_t *o, int *fdp)
{
    struct addrinfo *lres = NULL, *rres = NULL;
    int rc = 0, family = o->family;
    if (family && family != AF_INET && family != AF_INET6)
        return -EINVAL;
    int have_local = o->local_host || o->local_port;
    if (o->remote_host && (rc = resolve(o->remote_host, o->remote_port, family, 0, &rres)) < 0)
        return rc;
    if (!o->remote_host && o->remote_port)
        return -EINVAL;
    if (rres)
        family = rres->ai_family;
    if (have_local && (rc = resolve(o->local_host, o->local_port, family, 1, &lres)) < 0)
        goto out;
    if (!family)
        family = lres ? lres->ai_family : 0;
    if (!family) {
        rc = -EINVAL; /* nothing says which family */
        goto out;
    }
    int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        rc = -errno;
        goto out;
    }
    int one = 1;
    if (o->reuse_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0)
        goto fail;
    if (o->allow_broadcast && setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof one) < 0)
        goto fail;
    if (lres) {
        struct addrinfo *ai = lres;
        while (ai && ai->ai_family != family)
            ai = ai->ai_next;
        if (!ai) {
            errno = EAFNOSUPPORT;
            goto fail;
        }
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0)
            goto fail;
    }
    if (rres && connect(fd, rres->ai_addr, rres->ai_addrlen) < 0)
        goto fail;
    *fdp = fd;
    rc = 0;
    goto out;
fail:
    rc = -errno;
    close(fd);
out:
    if (lres)
        freeaddrinfo(lres);
    if (rres)
        freeaddrinfo(rres);
    return rc;
}

/* The caller's socket (asyncio's sock=): a datagram socket, and nothing
 * given that would shape a socket of our own (asyncio's "socket modifier
 * keyword arguments can not be used when sock is specified"). */
static int adopt(const cio_dgram_opts_t *o)
{
    if (!o->has_sock || o->local_host || o->local_port || o->remote_host || o->remote_port || o->local_path ||
        o->remote_path || o->family || o->reuse_port || o->allow_broadcast)
        return -EINVAL;
    int rc = cio__sock_check(o->sock, SOCK_DGRAM, 0);
    if (rc < 0)
        return rc;
    (void)fcntl(o->sock, F_SETFD, FD_CLOEXEC); /* the library's now: not inherited */
    return 0;
}

int cio_create_datagram_endpoint(const cio_protocol_t *p, void *ud, const cio_dgram_opts_t *opts,
                                 cio_transport_t **out)
{
    if (!out)
        return -EINVAL;
    *out = NULL;
    if (!p || !opts)
        return -EINVAL;
    int rc;
    cio_loop_t *loop = cio__running_loop(&rc);
    if (!loop)
        return rc;
    int fd, given = opts->has_sock || opts->sock;
    if (given) {
        if ((rc = adopt(opts)) < 0)
            return rc;
        fd = opts->sock;
    } else {
        int is_unix = opts->local_path || opts->remote_path || opts->family == AF_UNIX;
        if (is_unix && (opts->local_host || opts->remote_host || opts->local_port || opts->remote_port))
            return -EINVAL;
        if ((rc = is_unix ? open_unix(opts, &fd) : open_udp(opts, &fd)) < 0)
            return rc;
    }
    cio_transport_t *c = cio__conn_new(loop, fd, CIO__CONN_DGRAM, sizeof *c, &rc);
    if (!c) {
        if (!given)
            close(fd); /* the caller's stays open */
        return rc;
    }
    c->proto = p;
    c->ud = ud;
    c->made = 1;
    cio__conn_start_proto(c);
    if (p->connection_made)
        p->connection_made(c, ud);
    *out = c;
    return 0;
}
