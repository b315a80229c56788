/* Servers: listening sockets that accept into streams (a client task per
 * connection, asyncio's start_server) or protocol transports (create_server).
 *
 * A listener is registered edge-triggered; its event queues an accept
 * callback that accepts until EAGAIN (at most ACCEPT_BATCH per turn, then it
 * queues itself again).  Running out of descriptors is reported and
 * accepting pauses for a second, as asyncio does.
 *
 * The server counts its connections; wait_closed returns once it is closed
 * and the last of them is gone (asyncio 3.12.1+).  The server object lives
 * while the user, a waiting task or a client task holds a reference, or a
 * connection still counts. */
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define ACCEPT_BATCH 64
#define ACCEPT_RETRY_NS 1000000000LL
#define DEFAULT_BACKLOG 100

struct listener {
    struct cio__io io;
    struct cio_server_s *sv;
    struct cio__cb cb;
    struct cio__timer retry;
    uint8_t queued, registered;
    int fd;
};

struct cio_server_s {
    struct cio__obj obj;
    cio_loop_t *loop;
    struct listener *ls;
    int nls;
    int port;
    cio_client_fn *fn; /* streams */
    void *arg;
    const cio_protocol_t *proto; /* protocols */
    void *ud;
    size_t limit;
    size_t stack_size;
    struct cio_tls_s *tls;
    double hs_timeout;
    double shut_timeout; /* TLS: tls_shutdown_timeout */
    int keep_alive;
    uint8_t serving, closed, forever, is_unix, cleanup;
    char *path;
    dev_t dev;
    ino_t ino;
    cio_transport_t *clients;
    size_t nclients;
    struct cio__wlist waitq; /* wait_closed and serve_forever */
};

static void server_free(cio_server_t *sv)
{
    if (sv->tls)
        cio__tls_unref(sv->tls);
    cio__free(sv->ls);
    cio__free(sv->path);
    sv->loop->nobjs--;
    sv->obj.magic = CIO__MAGIC_DEAD;
    cio__free(sv);
}

int cio__server_unref(cio_server_t *sv)
{
    if (--sv->obj.refs > 0)
        return 0;
    if (!sv->closed)
        cio_server_close(sv);
    if (!sv->nclients)
        server_free(sv);
    return 0;
}

static void server_wake_all(struct cio__wlist *l)
{
    while (cio__wlist_wake_first(l))
        ;
}

void cio__server_detach(cio_transport_t *c)
{
    cio_server_t *sv = c->server;
    if (!sv)
        return;
    if (c->sv_prev)
        c->sv_prev->sv_next = c->sv_next;
    else
        sv->clients = c->sv_next;
    if (c->sv_next)
        c->sv_next->sv_prev = c->sv_prev;
    c->server = NULL;
    c->sv_prev = c->sv_next = NULL;
    if (--sv->nclients == 0) {
        server_wake_all(&sv->waitq);
        if (!sv->obj.refs)
            server_free(sv);
    }
}

static void attach(cio_server_t *sv, cio_transport_t *c)
{
    c->server = sv;
    c->sv_prev = NULL;
    c->sv_next = sv->clients;
    if (sv->clients)
        sv->clients->sv_prev = c;
    sv->clients = c;
    sv->nclients++;
}

static int server_check(cio_server_t *sv)
{
    if (!sv || sv->obj.magic != CIO__MAGIC_SERVER || !sv->obj.refs)
        return -EINVAL;
    if (sv->loop != cio__tls.running)
        return cio__tls.running ? CIO_EWRONGLOOP : CIO_ENOLOOP;
    return 0;
}

/* ------------------------------------------------------------ clients */

/* A task given an accepted connection may end without its body having run
 * (cancelled before it started, or no memory for its stack), and the body
 * is what releases the connection.  So the task is watched: a done callback,
 * queued as any (at the latest when the loop closes), releases what the
 * body would have.  The watch holds a reference to the connection, so it
 * runs safely after a body that did run. */
static void client_never_ran(struct cio__cb *cb)
{
    cio_transport_t *c = cio__container_of(CIO__FCB_OF_CB(cb), cio_transport_t, task_watch);
    if (!c->task_ran) {
        struct cio_stream_s *s = (struct cio_stream_s *)c;
        cio_server_t *sv = s->owner;
        s->owner = NULL;
        s->task = NULL;
        cio__conn_close(c);
        if (c->state == CIO__CLOSED)
            cio__server_detach(c);
        cio__conn_unref(c); /* the body's */
        cio__server_unref(sv);
    }
    cio__conn_unref(c); /* the watch's */
}

static void handshake_never_ran(struct cio__cb *cb)
{
    cio_transport_t *c = cio__container_of(CIO__FCB_OF_CB(cb), cio_transport_t, task_watch);
    if (!c->task_ran) {
        cio__conn_abort(c);
        cio__conn_unref(c); /* the body's */
    }
    cio__conn_unref(c); /* the watch's */
}

static void watch_task(cio_transport_t *c, cio_task_t *t, void (*never_ran)(struct cio__cb *))
{
    memset(&c->task_watch, 0, sizeof c->task_watch);
    c->task_watch.cb.run = never_ran;
    c->obj.refs++;
    cio__future_add_reg(t, &c->task_watch.reg);
}

static int client_main(void *arg, void **result)
{
    struct cio_stream_s *s = arg;
    cio_server_t *sv = s->owner;
    int rc;
    s->t.task_ran = 1;
    if (sv->tls && (rc = cio__tls_start(&s->t, sv->tls, NULL, sv->hs_timeout, sv->shut_timeout)) < 0) {
        if (sv->loop->debug)
            cio__loop_report(sv->loop, "TLS handshake failed", rc, cio_tls_last_error(), NULL, NULL);
    } else if ((rc = sv->fn(s, sv->arg)) < 0 && rc != -ECANCELED) {
        cio__loop_report(sv->loop, "Unhandled error in client_connected_cb", rc, NULL,
                         (cio_future_t *)cio_current_task(), NULL);
    }
    s->owner = NULL;
    s->task = NULL;
    cio__conn_close(&s->t);
    if (s->t.state == CIO__CLOSED)
        cio__server_detach(&s->t); /* else when the flush ends */
    cio__conn_unref(&s->t);
    cio__server_unref(sv);
    return 0;
}

static int proto_handshake(void *arg, void **result)
{
    cio_transport_t *c = arg;
    cio_server_t *sv = c->server;
    c->task_ran = 1;
    int rc = sv ? cio__tls_start(c, sv->tls, NULL, sv->hs_timeout, sv->shut_timeout) : CIO_ECLOSED;
    if (rc == 0 && c->state == CIO__OPEN)
        cio__conn_start_proto(c);
    else
        cio__conn_abort(c);
    cio__conn_unref(c);
    return 0;
}

static void accepted(cio_server_t *sv, int fd)
{
    int rc;
    if (!sv->is_unix)
        cio__sock_setup(fd, 1);
    if (sv->keep_alive) {
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
    }
    if (sv->fn) {
        struct cio_stream_s *s = cio__stream_new(sv->loop, fd, sv->limit, &rc);
        if (!s)
            goto fail;
        cio_task_opts_t o = {.stack_size = sv->stack_size};
        cio_task_t *t;
        s->owner = sv;
        if ((rc = cio_loop_create_task(sv->loop, client_main, s, &o, &t)) < 0) {
            s->owner = NULL;
            cio__conn_abort(&s->t);
            cio__conn_unref(&s->t);
            cio__loop_report(sv->loop, "Error creating a client task", rc, NULL, NULL, NULL);
            return;
        }
        watch_task(&s->t, t, client_never_ran);
        s->task = t; /* pending: the loop keeps it */
        cio_unref(t);
        sv->obj.refs++; /* the client task's */
        attach(sv, &s->t);
        return;
    }
    cio_transport_t *c = cio__conn_new(sv->loop, fd, CIO__CONN_PROTO, sizeof *c, &rc);
    if (!c)
        goto fail;
    c->proto = sv->proto;
    c->ud = sv->ud;
    attach(sv, c);
    if (sv->tls) {
        cio_task_t *t;
        if ((rc = cio_loop_create_task(sv->loop, proto_handshake, c, NULL, &t)) < 0) {
            cio__conn_abort(c);
            cio__conn_unref(c);
            cio__loop_report(sv->loop, "Error creating a TLS handshake task", rc, NULL, NULL, NULL);
            return;
        }
        watch_task(c, t, handshake_never_ran);
        cio_unref(t);
        return; /* the task owns the creation reference */
    }
    cio__conn_start_proto(c);
    cio__conn_unref(c); /* the loop's life reference keeps it */
    return;
fail:
    close(fd);
    cio__loop_report(sv->loop, "Error accepting a connection", rc, NULL, NULL, NULL);
}

static void listener_arm(struct listener *l);

static void retry_fire(struct cio__timer *tm)
{
    struct listener *l = cio__container_of(tm, struct listener, retry);
    if (l->sv->serving && !l->sv->closed)
        listener_arm(l);
}

static void accept_cb(struct cio__cb *cb)
{
    struct listener *l = cio__container_of(cb, struct listener, cb);
    cio_server_t *sv = l->sv;
    l->queued = 0;
    for (int i = 0; i < ACCEPT_BATCH && sv->serving && !sv->closed && l->fd >= 0; i++) {
        int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            accepted(sv, fd);
            continue;
        }
        int e = errno;
        if (e == EAGAIN || e == EWOULDBLOCK)
            goto out;
        if (e == EINTR || e == ECONNABORTED || e == EPROTO || e == EPERM)
            continue;
        /* EMFILE, ENFILE, ENOBUFS, ENOMEM: stop for a while. */
        cio__loop_report(sv->loop, "socket.accept() out of system resource", -e, NULL, NULL, NULL);
        /* Without room for the retry timer the listener stays watched: the
         * next connection's readiness retries, rather than never. */
        if (cio__heap_reserve(&sv->loop->timers, 1) == 0) {
            if (l->registered) {
                cio__io_del(sv->loop, &l->io);
                l->registered = 0;
            }
            l->retry.when = cio__now_ns() + ACCEPT_RETRY_NS;
            l->retry.fire = retry_fire;
            cio__heap_push(&sv->loop->timers, &l->retry);
        }
        goto out;
    }
    if (sv->serving && !sv->closed && l->fd >= 0 && !l->queued) {
        l->queued = 1; /* more may be waiting: after the others' turn */
        sv->obj.refs++;
        cio__loop_schedule(sv->loop, &l->cb);
    }
out:
    cio__server_unref(sv);
}

static void listener_io(struct cio__io *io, uint32_t ev)
{
    struct listener *l = cio__container_of(io, struct listener, io);
    if (!l->queued) {
        l->queued = 1;
        l->sv->obj.refs++;
        cio__loop_schedule(l->sv->loop, &l->cb);
    }
}

static void listener_arm(struct listener *l)
{
    if (l->registered || l->fd < 0)
        return;
    l->io.fd = l->fd;
    l->io.events = CIO__IO_READ | CIO__IO_EDGE;
    l->io.cb = listener_io;
    if (cio__io_add(l->sv->loop, &l->io) == 0)
        l->registered = 1;
}

/* ------------------------------------------------------------ creating */

static int add_listener(cio_server_t *sv, int fd);

static int listen_on(cio_server_t *sv, const struct sockaddr *sa, socklen_t len, int type, const cio_server_opts_t *o)
{
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int one = 1;
    if (sa->sa_family != AF_UNIX) {
        if (!o->no_reuse_address)
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (o->reuse_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) {
            int e = -errno;
            close(fd);
            return e;
        }
        if (sa->sa_family == AF_INET6)
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    }
    (void)type;
    if (bind(fd, sa, len) < 0 || listen(fd, o->backlog > 0 ? o->backlog : DEFAULT_BACKLOG) < 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    int rc = add_listener(sv, fd);
    if (rc < 0)
        close(fd);
    return rc;
}

/* fd listens: the server takes it (it closes it from now on).  On failure
 * it is still the caller's, open. */
static int add_listener(cio_server_t *sv, int fd)
{
    int rc = cio__fd_claim(sv->loop, fd);
    if (rc < 0)
        return rc;
    struct listener *ls = cio__realloc(sv->ls, (size_t)(sv->nls + 1) * sizeof *ls);
    if (!ls) {
        cio__fd_release(sv->loop, fd);
        return -ENOMEM;
    }
    sv->ls = ls;
    struct listener *l = &ls[sv->nls++];
    memset(l, 0, sizeof *l);
    l->fd = fd;
    l->cb.run = accept_cb;
    l->retry.idx = CIO__TIMER_NONE;
    for (int i = 0; i < sv->nls; i++) /* the array moved: fix the back pointers */
        ls[i].sv = sv;
    return 0;
}

static void close_listeners(cio_server_t *sv)
{
    for (int i = 0; i < sv->nls; i++) {
        struct listener *l = &sv->ls[i];
        if (l->registered) {
            cio__io_del(sv->loop, &l->io);
            l->registered = 0;
        }
        if (l->retry.idx != CIO__TIMER_NONE)
            cio__heap_remove(&sv->loop->timers, &l->retry);
        if (l->fd >= 0) {
            cio__fd_release(sv->loop, l->fd);
            close(l->fd);
            l->fd = -1;
        }
    }
}

static cio_server_t *server_alloc(const cio_server_opts_t *o, int *rc)
{
    cio_loop_t *loop = cio__running_loop(rc);
    if (!loop)
        return NULL;
    if (o->tls && !cio__tls_is_server(o->tls)) {
        *rc = -EINVAL;
        return NULL;
    }
    if (o->backlog < 0 || o->tls_handshake_timeout < 0 || o->tls_handshake_timeout != o->tls_handshake_timeout ||
        o->tls_shutdown_timeout < 0 || o->tls_shutdown_timeout != o->tls_shutdown_timeout) {
        *rc = -EINVAL;
        return NULL;
    }
    cio_server_t *sv = cio__calloc(sizeof *sv);
    if (!sv) {
        *rc = -ENOMEM;
        return NULL;
    }
    sv->obj.magic = CIO__MAGIC_SERVER;
    sv->obj.refs = 1;
    sv->loop = loop;
    sv->limit = o->limit;
    sv->stack_size = o->stack_size;
    sv->keep_alive = o->keep_alive;
    sv->hs_timeout = o->tls_handshake_timeout;
    sv->shut_timeout = o->tls_shutdown_timeout;
    if (o->tls)
        sv->tls = cio__tls_ref(o->tls);
    loop->nobjs++;
    return sv;
}

static int finish(cio_server_t *sv, const cio_server_opts_t *o, cio_server_t **out)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(sv->ls[0].fd, (struct sockaddr *)&ss, &len) == 0 &&
        (ss.ss_family == AF_INET || ss.ss_family == AF_INET6))
        sv->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                  : ((struct sockaddr_in *)&ss)->sin_port);
    if (!o->delay_start)
        cio_server_start_serving(sv);
    *out = sv;
    return 0;
}

static int fail(cio_server_t *sv, int rc)
{
    close_listeners(sv);
    sv->closed = 1;
    cio__server_unref(sv);
    return rc;
}

static int tcp_server(cio_server_t *sv, const char *host, int port, const cio_server_opts_t *o, cio_server_t **out)
{
    if (port < 0 || port > 65535 || (o->family && o->family != AF_INET && o->family != AF_INET6))
        return fail(sv, -EINVAL);
    const char *one[2] = {host, NULL};
    const char *const *hosts = o->hosts ? o->hosts : one;
    char ps[16];
    snprintf(ps, sizeof ps, "%d", port);
    int rc = 0;
    for (size_t h = 0; hosts == one ? h < 1 : hosts[h] != NULL; h++) {
        struct addrinfo hints = {.ai_family = o->family, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
        struct addrinfo *res;
        const char *name = hosts[h] && *hosts[h] ? hosts[h] : NULL;
        if ((rc = cio_getaddrinfo(name, ps, &hints, &res)) < 0)
            return fail(sv, rc);
        for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
            if ((rc = listen_on(sv, ai->ai_addr, ai->ai_addrlen, 0, o)) < 0) {
                char where[80] = "?";
                getnameinfo(ai->ai_addr, ai->ai_addrlen, where, sizeof where, NULL, 0, NI_NUMERICHOST);
                freeaddrinfo(res);
                if (cio__tls.task)
                    cio_fail(rc, "error while attempting to bind on address ('%s', %d): %s", where, port,
                             cio_strerror(rc));
                return fail(sv, rc);
            }
        }
        freeaddrinfo(res);
    }
    if (!sv->nls)
        return fail(sv, CIO_ENONAME);
    return finish(sv, o, out);
}

static int unix_server(cio_server_t *sv, const char *path, const cio_server_opts_t *o, cio_server_t **out)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (!path || !*path)
        return fail(sv, -EINVAL);
    if (strlen(path) >= sizeof sa.sun_path)
        return fail(sv, -ENAMETOOLONG);
    strcpy(sa.sun_path, path);
    struct stat st;
    if (stat(path, &st) == 0 && S_ISSOCK(st.st_mode))
        unlink(path); /* a stale socket of an earlier run */
    int rc = listen_on(sv, (struct sockaddr *)&sa, sizeof sa, 0, o);
    if (rc < 0)
        return fail(sv, rc);
    sv->is_unix = 1;
    if (!o->no_cleanup_socket && stat(path, &st) == 0) {
        sv->cleanup = 1;
        sv->dev = st.st_dev;
        sv->ino = st.st_ino;
        if (!(sv->path = cio__strdup(path)))
            return fail(sv, -ENOMEM);
    }
    return finish(sv, o, out);
}

/* Serve on the caller's socket (asyncio's sock=): a stream socket, bound,
 * listening here (listen() again on a listening one only sets the backlog)
 * and made non-blocking once nothing can fail.  Options that shape a socket
 * of our own are refused.  A Unix server removes the socket's file at close
 * unless no_cleanup_socket (asyncio 3.13).  On failure the fd is still the
 * caller's: nothing here closes it. */
static int sock_server(cio_server_t *sv, int given, int is_unix, const cio_server_opts_t *o, cio_server_t **out)
{
    int fd = o->sock;
    if (!o->has_sock || given || o->hosts || o->family || o->reuse_port || o->no_reuse_address)
        return fail(sv, -EINVAL);
    int family = cio__sock_check(fd, SOCK_STREAM, is_unix);
    if (family < 0)
        return fail(sv, family);
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || listen(fd, o->backlog > 0 ? o->backlog : DEFAULT_BACKLOG) < 0)
        return fail(sv, -errno);
    sv->is_unix = family == AF_UNIX;
    struct sockaddr_un sa;
    socklen_t len = sizeof sa;
    char path[sizeof sa.sun_path + 1] = ""; /* stays "" for an abstract name or none */
    struct stat st;
    if (is_unix && !o->no_cleanup_socket && getsockname(fd, (struct sockaddr *)&sa, &len) == 0 &&
        len > offsetof(struct sockaddr_un, sun_path)) {
        if (len > sizeof sa)
            len = sizeof sa;
        memcpy(path, sa.sun_path, len - offsetof(struct sockaddr_un, sun_path));
        if (*path && stat(path, &st) == 0) {
            sv->cleanup = 1;
            sv->dev = st.st_dev;
            sv->ino = st.st_ino;
            if (!(sv->path = cio__strdup(path)))
                return fail(sv, -ENOMEM);
        }
    }
    int rc = add_listener(sv, fd);
    if (rc < 0)
        return fail(sv, rc);
    /* The flags last: a socket refused above is left as it was. */
    if (!(fl & O_NONBLOCK) && fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
        rc = -errno;
        cio__fd_release(sv->loop, fd);
        sv->nls--; /* not ours after all: fail() must not close it */
        return fail(sv, rc);
    }
    (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
    return finish(sv, o, out);
}

static const cio_server_opts_t server_no_opts;

/* The four ways to make a server: a client function (streams) or a protocol,
 * over TCP (host, port) or a Unix socket (path). */
static int new_server(cio_client_fn *fn, void *arg, const cio_protocol_t *p, void *ud, const char *host, int port,
                      const char *path, int is_unix, const cio_server_opts_t *opts, cio_server_t **out)
{
    if (!out)
        return -EINVAL;
    *out = NULL;
    if (!fn && !p)
        return -EINVAL;
    int rc;
    const cio_server_opts_t *o = opts ? opts : &server_no_opts;
    cio_server_t *sv = server_alloc(o, &rc);
    if (!sv)
        return rc;
    sv->fn = fn;
    sv->arg = arg;
    sv->proto = p;
    sv->ud = ud;
    if (o->has_sock || o->sock)
        return sock_server(sv, host || port || path, is_unix, o, out);
    return is_unix ? unix_server(sv, path, o, out) : tcp_server(sv, host, port, o, out);
}

int cio_start_server(cio_client_fn *fn, void *arg, const char *host, int port, const cio_server_opts_t *opts,
                     cio_server_t **out)
{
    return new_server(fn, arg, NULL, NULL, host, port, NULL, 0, opts, out);
}

int cio_start_unix_server(cio_client_fn *fn, void *arg, const char *path, const cio_server_opts_t *opts,
                          cio_server_t **out)
{
    return new_server(fn, arg, NULL, NULL, NULL, 0, path, 1, opts, out);
}

int cio_create_server(const cio_protocol_t *p, void *ud, const char *host, int port, const cio_server_opts_t *opts,
                      cio_server_t **out)
{
    return new_server(NULL, NULL, p, ud, host, port, NULL, 0, opts, out);
}

int cio_create_unix_server(const cio_protocol_t *p, void *ud, const char *path, const cio_server_opts_t *opts,
                           cio_server_t **out)
{
    return new_server(NULL, NULL, p, ud, NULL, 0, path, 1, opts, out);
}

/* ------------------------------------------------------------ the API */

int cio_server_start_serving(cio_server_t *sv)
{
    int rc = server_check(sv);
    if (rc < 0)
        return rc;
    if (sv->closed)
        return CIO_ECLOSED;
    if (sv->serving)
        return 0;
    sv->serving = 1;
    for (int i = 0; i < sv->nls; i++)
        listener_arm(&sv->ls[i]); /* an edge is reported at once for connections already waiting */
    return 0;
}

static int wait_on(cio_server_t *sv)
{
    struct cio__waiter w;
    cio__wlist_push(&sv->waitq, &w, cio__tls.task);
    return cio__waiter_suspend(cio__tls.task, &w);
}

int cio_server_wait_closed(cio_server_t *sv)
{
    int rc = server_check(sv);
    if (rc < 0)
        return rc;
    if (!cio__tls.task)
        return CIO_ENOTASK;
    sv->obj.refs++;
    while (!(sv->closed && sv->nclients == 0) && rc == 0)
        rc = wait_on(sv);
    cio__server_unref(sv);
    return rc;
}

int cio_server_serve_forever(cio_server_t *sv)
{
    int rc = server_check(sv);
    if (rc < 0)
        return rc;
    if (!cio__tls.task)
        return CIO_ENOTASK;
    if (sv->forever)
        return CIO_EINVALSTATE;
    if (sv->closed)
        return CIO_ECLOSED;
    if ((rc = cio_server_start_serving(sv)) < 0)
        return rc;
    sv->obj.refs++;
    sv->forever = 1;
    while (!sv->closed && rc == 0)
        rc = wait_on(sv);
    sv->forever = 0;
    cio_server_close(sv);
    rc = cio_server_wait_closed(sv);
    cio__server_unref(sv);
    return rc < 0 && rc != -ECANCELED ? rc : -ECANCELED;
}

int cio_server_is_serving(cio_server_t *sv)
{
    int rc = server_check(sv);
    return rc < 0 ? rc : (sv->serving && !sv->closed);
}

int cio_server_sockets(cio_server_t *sv, int *fds, int cap)
{
    int rc = server_check(sv);
    if (rc < 0)
        return rc;
    if (cap < 0 || (!fds && cap))
        return -EINVAL;
    if (sv->closed)
        return 0;
    for (int i = 0; i < sv->nls && i < cap; i++)
        fds[i] = sv->ls[i].fd;
    return sv->nls;
}

int cio_server_port(cio_server_t *sv)
{
    int rc = server_check(sv);
    return rc < 0 ? rc : sv->port;
}

cio_loop_t *cio_server_get_loop(cio_server_t *sv)
{
    return sv && sv->obj.magic == CIO__MAGIC_SERVER && sv->obj.refs ? sv->loop : NULL;
}

int cio_server_close(cio_server_t *sv)
{
    if (!sv || sv->obj.magic != CIO__MAGIC_SERVER)
        return -EINVAL;
    if (sv->closed)
        return 0;
    sv->closed = 1;
    sv->serving = 0;
    close_listeners(sv);
    if (sv->cleanup && sv->path) {
        struct stat st;
        if (stat(sv->path, &st) == 0 && st.st_dev == sv->dev && st.st_ino == sv->ino)
            unlink(sv->path);
    }
    server_wake_all(&sv->waitq);
    return 0;
}

static int each_client(cio_server_t *sv, int (*op)(cio_transport_t *c))
{
    int rc = server_check(sv);
    if (rc < 0)
        return rc;
    sv->obj.refs++;
    cio_transport_t *c = sv->clients, *next;
    for (; c; c = next) {
        next = c->sv_next;
        op(c);
    }
    cio__server_unref(sv);
    return 0;
}

int cio_server_close_clients(cio_server_t *sv)
{
    return each_client(sv, cio__conn_close);
}

int cio_server_abort_clients(cio_server_t *sv)
{
    return each_client(sv, cio__conn_abort);
}

/* Graceful shutdown: no new connection; the handlers have up to timeout
 * seconds to finish on their own; then the connections left are aborted
 * and their handler tasks cancelled, and the call waits for them to end. */
int cio_server_shutdown(cio_server_t *sv, double timeout)
{
    int rc = server_check(sv);
    if (rc < 0)
        return rc;
    if (!cio__tls.task)
        return CIO_ENOTASK;
    if (!(timeout >= 0)) /* negative or NaN */
        return -EINVAL;
    sv->obj.refs++;
    cio_server_close(sv);
    if (sv->nclients) {
        cio_timeout_t to;
        if ((rc = cio_timeout_enter(&to, timeout)) == 0) {
            while (sv->nclients && rc == 0)
                rc = wait_on(sv);
            rc = cio_timeout_exit(&to, rc);
        }
    }
    int left = 0;
    if (sv->nclients && (rc == 0 || rc == -ETIMEDOUT || rc == -ECANCELED)) {
        for (cio_transport_t *c = sv->clients, *next; c; c = next) {
            next = c->sv_next;
            left++;
            if (c->kind == CIO__CONN_STREAM && ((struct cio_stream_s *)c)->task)
                cio_task_cancel(((struct cio_stream_s *)c)->task, "server shutdown");
            cio__conn_abort(c);
        }
        if (rc != -ECANCELED) {
            rc = 0;
            while (sv->nclients && rc == 0)
                rc = wait_on(sv);
        }
    }
    cio__server_unref(sv);
    return rc < 0 ? rc : left;
}
