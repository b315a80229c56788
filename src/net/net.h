/* Internal declarations of the networking modules: the connection object
 * shared by streams and transports, servers, TLS. */
#ifndef CIO_NET_H
#define CIO_NET_H

#include "../internal.h"

#include <sys/socket.h>

enum { CIO__CONN_STREAM, CIO__CONN_PROTO, CIO__CONN_DGRAM };
enum { CIO__OPEN, CIO__CLOSING, CIO__CLOSED };
/* A pipe's one direction (is_pipe): read with read(2), write with writev(2). */
enum { CIO__PIPE_NONE, CIO__PIPE_READ, CIO__PIPE_WRITE };
/* Results of a TLS or socket transfer that must wait. */
#define CIO__WANT_READ (-EAGAIN)
#define CIO__WANT_WRITE (-EWOULDBLOCK - 10000)
/* A stream's read that needs the socket again in the iteration that already
 * read it: the task goes through the loop first (src/stream.c). */
#define CIO__WANT_TURN (-EAGAIN - 20000)
/* The most one read from a connection's socket takes (asyncio's max_size). */
#define CIO__READ_MAX (256 * 1024)
/* A write that makes this much pending goes out at once (with what is
 * pending, in one writev); smaller ones wait for the end of the iteration. */
#define CIO__WRITE_NOW (16 * 1024)

struct cio__dgram;
typedef struct ssl_st SSL;

/* A connection: a stream (a task reads and writes it), a protocol transport
 * (the loop calls the protocol) or a datagram endpoint.  The socket is
 * registered once, edge-triggered, for both directions. */
struct cio_transport_s {
    struct cio__obj obj;
    cio_loop_t *loop;
    struct cio__io io;
    uint8_t kind;
    uint8_t state;       /* CIO__OPEN, CLOSING (flushing), CLOSED (fd gone) */
    uint8_t user_closed; /* close/abort called by the user */
    uint8_t eof;         /* the peer's EOF was read */
    uint8_t shut_wr;     /* write_eof: 1 asked (shutdown once the buffer is out), 2 done */
    uint8_t wpaused;     /* above the high-water mark until back at the low one */
    uint8_t rpaused;     /* protocols: pause_reading */
    uint8_t made;        /* protocols: connection_made was called */
    uint8_t readable;    /* an edge not yet read to EAGAIN (a short read clears it) */
    uint8_t evq;         /* evcb is queued */
    uint8_t lost;        /* protocols: connection_lost queued or called */
    uint8_t life;        /* protocols: the loop's reference until connection_lost */
    uint8_t flushref;    /* the loop holds a reference while a close flushes */
    uint8_t registered;
    uint8_t hup;         /* the peer's side is closed or in error: read to the end */
    uint8_t is_pipe;     /* CIO__PIPE_READ/WRITE: one direction, read/writev, write_eof closes */
    uint8_t tls_closing; /* TLS close: 1 close_notify going out or the peer's awaited, 2 over */
    uint8_t tls_up;      /* the TLS handshake completed: the TLS extra info is there */
    uint8_t tls_quiet;   /* aborted: no close_notify (the SSL object stays until the free) */
    uint8_t task_ran;    /* server side: the body of the task given this connection has begun */
    uint8_t keep_fd;     /* the caller's socket still being set up: a close leaves the fd open */
    uint8_t wblocked;    /* the socket took less than offered: wait for a write edge */
    uint8_t flushq;      /* flushcb is queued for the end of the iteration */
    uint64_t rd_turn;    /* iteration + 1 of the last read from the socket (streams) */
    uint32_t pending;    /* events for evcb */
    int fd;
    int err;             /* the connection's error, sticky */
    char *wbuf;
    size_t woff, wlen, wcap;
    size_t high, low;
    struct cio__wlist rq, wq, drainq, closeq;
    const cio_protocol_t *proto;
    void *ud;
    struct cio__cb evcb;
    struct cio__cb lostcb;
    struct cio__cb flushcb; /* the end-of-iteration flush (phase_flush) */
    SSL *ssl;
    struct cio_tls_s *tlsctx;
    double tls_shutdown_timeout; /* seconds the close waits for the peer's close_notify (0: 30) */
    struct cio__timer tls_timer; /* ... its deadline, while tls_closing is 1 */
    char *alpn;          /* the negotiated ALPN protocol, NUL-terminated */
    struct cio_server_s *server;
    struct cio_transport_s *sv_prev, *sv_next;
    struct cio__dgram *dq_head, **dq_tail; /* datagrams waiting to be sent */
    struct cio__fcb task_watch; /* server side: the done watch on that task (src/net/server.c) */
};

struct cio_stream_s {
    struct cio_transport_s t;
    char *rbuf;
    size_t roff, rlen, rcap;
    size_t limit;
    size_t partial;
    uint8_t reading; /* a task is inside a read call */
    struct cio_server_s *owner; /* start_server: the server whose client task runs it */
    cio_task_t *task;           /* ... and that task, while it runs (no reference) */
};

/* conn.c */
int cio__conn_check(const void *p, int kind);
cio_transport_t *cio__conn_new(cio_loop_t *loop, int fd, int kind, size_t size, int *rc);
void cio__conn_free(cio_transport_t *c);
int cio__conn_unref(cio_transport_t *c);
ssize_t cio__conn_recv(cio_transport_t *c, void *buf, size_t n);
int cio__conn_wait(cio_transport_t *c, int dir);
int cio__conn_write(cio_transport_t *c, const struct iovec *iov, int iovcnt);
int cio__conn_close(cio_transport_t *c);
int cio__conn_abort(cio_transport_t *c);
int cio__conn_write_eof(cio_transport_t *c);
/* From a task: send everything pending now, waiting for room as needed
 * (before the connection changes hands, as start_tls does). */
int cio__conn_flush_all(cio_transport_t *c);
void cio__conn_fail(cio_transport_t *c, int err);
int cio__conn_set_limits(cio_transport_t *c, size_t high, size_t low);
int cio__conn_addr(cio_transport_t *c, int peer, struct sockaddr_storage *addr, socklen_t *len);
void cio__conn_start_proto(cio_transport_t *c); /* queue connection_made */
void cio__conn_finish_close(cio_transport_t *c, int err);
int cio__conn_pause_reading(cio_transport_t *c);
int cio__conn_resume_reading(cio_transport_t *c);
void cio__conn_after_progress(cio_transport_t *c);
/* Connect a new socket to host:port or a Unix path, from a task. */
int cio__connect_tcp(const char *host, int port, const cio_conn_opts_t *opts, int *fd);
int cio__connect_unix(const char *path, int *fd);
void cio__sock_setup(int fd, int tcp); /* TCP_NODELAY */
/* An fd that a pipe transport or stream may take in direction dir: 0 or an
 * error (-EBADF, -EINVAL for a regular file or a directory). */
int cio__pipe_check(int fd, int dir);
/* A socket the caller hands over (asyncio's sock=): its family if fd is an
 * open socket of this type (and AF_UNIX when unix_only); -EBADF, -ENOTSOCK,
 * -EINVAL for another type or family. */
int cio__sock_check(int fd, int type, int unix_only);
/* The socket of opts (has_sock): 0 if none is given, 1 with *fd set, or
 * -EINVAL when a host, port or path is given too (given), or anything that
 * only shapes a socket cio makes. */
int cio__conn_sock(const cio_conn_opts_t *opts, int given, int unix_only, int *fd);

/* stream.c */
struct cio_stream_s *cio__stream_new(cio_loop_t *loop, int fd, size_t limit, int *rc);

/* server.c */
void cio__server_detach(cio_transport_t *c);
int cio__server_unref(struct cio_server_s *sv);

/* tls.c */
/* timeout: the handshake's (0: 60 s); shutdown_timeout: the close's wait for
 * the peer's close_notify (0: 30 s).  Negative or NaN: -EINVAL. */
int cio__tls_start(cio_transport_t *c, struct cio_tls_s *ctx, const char *hostname, double timeout,
                   double shutdown_timeout);
ssize_t cio__tls_read(cio_transport_t *c, void *buf, size_t n);
ssize_t cio__tls_write(cio_transport_t *c, const void *buf, size_t n);
void cio__tls_shutdown(cio_transport_t *c);
/* A step of the graceful close: our close_notify out, then the peer's read
 * (data before it discarded).  1: over (done, or nothing more can be done),
 * 0: wait for the socket, or a negative error. */
int cio__tls_close_step(cio_transport_t *c);
void cio__tls_free_conn(cio_transport_t *c);
int cio__tls_is_server(struct cio_tls_s *ctx);
int cio__tls_unref(struct cio_tls_s *ctx);
struct cio_tls_s *cio__tls_ref(struct cio_tls_s *ctx);

/* dgram.c */
void cio__dgram_event(cio_transport_t *c, uint32_t ev);
void cio__dgram_free_queue(cio_transport_t *c);
int cio__dgram_sendto(cio_transport_t *c, const void *buf, size_t n, const struct sockaddr *addr, socklen_t alen);

#endif
