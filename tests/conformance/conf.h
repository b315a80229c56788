/* tests/conformance/conf.h: what the C twins share.
 *
 * Each twin prints the same trace as its Python program, one event per
 * line.  P() prints a line and flushes (a twin may crash or fork).  EXC()
 * names a code the way the Python side names the exception it stands for
 * (type(e).__name__), so both traces say "CancelledError".  Lines starting
 * "info:" are not compared (unspecified behaviour). */
#ifndef CIO_CONF_H
#define CIO_CONF_H

#include <cio.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define P(...) (printf(__VA_ARGS__), putchar('\n'), fflush(stdout))

/* A user exception of the Python side (class MyErr(Exception)) is -EPROTO. */
#define EMYERR (-EPROTO)

static inline const char *EXC(int rc)
{
    switch (rc) {
    case 0: return "ok";
    case -ECANCELED: return "CancelledError";
    case -ETIMEDOUT: return "TimeoutError";
    case -EPROTO: return "MyErr";
    case -EINVAL: return "ValueError";
    case -EOVERFLOW: return "ValueError";
    case CIO_EINVALSTATE: return "InvalidStateError";
    case CIO_EQUEUEEMPTY: return "QueueEmpty";
    case CIO_EQUEUEFULL: return "QueueFull";
    case CIO_EQUEUESHUTDOWN: return "QueueShutDown";
    case CIO_EINCOMPLETE: return "IncompleteReadError";
    case CIO_ELIMITOVERRUN: return "LimitOverrunError";
    case CIO_EBROKENBARRIER: return "BrokenBarrierError";
    case CIO_ENOLOOP: return "RuntimeError";
    case CIO_ELOOPRUNNING: return "RuntimeError";
    case CIO_ELOOPCLOSED: return "RuntimeError";
    case CIO_ERUNNERCLOSED: return "RuntimeError";
    case CIO_ESELFAWAIT: return "RuntimeError";
    case CIO_ETASKGROUP: return "ExceptionGroup";
    case -ESRCH: return "ProcessLookupError";
    case -ECONNREFUSED: return "ConnectionRefusedError";
    case -ECONNRESET: return "ConnectionResetError";
    case -EPIPE: return "BrokenPipeError";
    case -ENOENT: return "FileNotFoundError";
    default: return cio_err_name(rc);
    }
}

/* "RuntimeError" where asyncio raises it for a state misuse that cio
 * reports as CIO_EINVALSTATE. */
static inline const char *RTE(int rc)
{
    return rc == CIO_EINVALSTATE ? "RuntimeError" : EXC(rc);
}

/* Python's spelling of a truth value. */
#define B(x) ((x) ? "True" : "False")

/* A pointer-sized integer as a value (result=42). */
#define IV(x) ((void *)(intptr_t)(x))
#define VI(p) ((int)(intptr_t)(p))

/* A stream on one end of a socketpair, the raw peer fd on the other (the
 * Python side: socket.socketpair() and open_connection(sock=a, limit=...)). */
static inline int conf_pair(size_t limit, cio_stream_t **s, int *peer)
{
    int sv[2];
    *peer = -1;
    *s = NULL;
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        return -errno;
    cio_conn_opts_t o = {.limit = limit};
    int rc = cio_stream_from_fd(sv[0], &o, s);
    if (rc < 0) {
        close(sv[0]);
        close(sv[1]);
        return rc;
    }
    *peer = sv[1];
    return 0;
}

/* The peer writes (blocking; small data) and may shut its side. */
static inline void conf_send(int peer, const char *data) { (void)!write(peer, data, strlen(data)); }
static inline void conf_eof(int peer) { shutdown(peer, SHUT_WR); }

#endif
