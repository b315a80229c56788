/* Connecting to a host name (asyncio's create_connection address logic):
 * every address getaddrinfo gives is tried, in order, or with Happy
 * Eyeballs (RFC 8305, asyncio's happy_eyeballs_delay) staggered: the next
 * attempt starts when the previous one fails or the delay passes, the
 * attempts run at once, the first connected wins and the others are
 * cancelled.  interleave reorders the addresses by family first (asyncio's
 * _interleave_addrinfos); all_errors hands back every attempt's error. */
#include "net.h"

#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void describe(const struct sockaddr *sa, char *out, size_t cap)
{
    char host[64] = "?", serv[16] = "?";
    getnameinfo(sa, sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in), host,
                sizeof host, serv, sizeof serv, NI_NUMERICHOST | NI_NUMERICSERV);
    snprintf(out, cap, sa->sa_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, serv);
}

static int bind_local(int fd, int family, const cio_conn_opts_t *opts)
{
    char ps[16];
    snprintf(ps, sizeof ps, "%d", opts->local_port);
    struct addrinfo hints = {.ai_family = family, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
    struct addrinfo *res;
    int rc = cio_getaddrinfo(opts->local_host, ps, &hints, &res);
    if (rc < 0)
        return rc;
    rc = -EADDRNOTAVAIL;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            rc = 0;
            break;
        }
        rc = -errno;
    }
    freeaddrinfo(res);
    return rc;
}

/* One attempt: a connected fd in *fdp, or an error (the socket closed). */
static int connect_one(const struct addrinfo *ai, const cio_conn_opts_t *opts, int *fdp)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0)
        return -errno;
    int rc = 0;
    if ((opts->local_host || opts->local_port) && (rc = bind_local(fd, ai->ai_family, opts)) < 0) {
        close(fd);
        return rc;
    }
    if ((rc = cio_sock_connect(fd, ai->ai_addr, ai->ai_addrlen)) < 0) {
        close(fd);
        return rc;
    }
    cio__sock_setup(fd, 1);
    *fdp = fd;
    return 0;
}

/* asyncio's _interleave_addrinfos: the families in order of first
 * appearance; first_count - 1 addresses of the first family, then one of
 * each family in turn. */
static void interleave(const struct addrinfo **a, size_t n, int first_count, const struct addrinfo **out)
{
    int fams[8];
    size_t nf = 0, k = 0;
    for (size_t i = 0; i < n; i++) {
        size_t f = 0;
        while (f < nf && fams[f] != a[i]->ai_family)
            f++;
        if (f == nf && nf < 8)
            fams[nf++] = a[i]->ai_family;
    }
    size_t next[8] = {0}; /* per family: the index to look from */
    int skip = first_count > 1 ? first_count - 1 : 0;
    for (size_t i = 0; i < n && skip > 0; i++)
        if (a[i]->ai_family == fams[0]) {
            out[k++] = a[i];
            next[0] = i + 1;
            skip--;
        }
    while (k < n) {
        size_t before = k;
        for (size_t f = 0; f < nf && k < n; f++) {
            size_t i = next[f];
            while (i < n && a[i]->ai_family != fams[f])
                i++;
            if (i < n) {
                out[k++] = a[i];
                next[f] = i + 1;
            } else {
                next[f] = n;
            }
        }
        if (k == before)
            break; /* more than 8 families: cannot happen (AF_INET, AF_INET6) */
    }
}

/* ------------------------------------------------------ Happy Eyeballs */

struct attempt {
    const struct addrinfo *ai;
    const cio_conn_opts_t *opts;
    cio_task_t *task;
    int fd, rc, seen;
};

static int attempt_main(void *arg, void **result)
{
    (void)result;
    struct attempt *a = arg;
    a->rc = connect_one(a->ai, a->opts, &a->fd);
    return a->rc;
}

static double now_s(void)
{
    return (double)cio__now_ns() / 1e9;
}

/* asyncio's staggered_race: returns the winner's index, or an error
 * (-ECANCELED, -ENOMEM); at or past n: every attempt failed. */
static int stagger(struct attempt *at, size_t n, double delay)
{
    cio_future_t **run = cio__malloc(n * sizeof *run);
    if (!run)
        return -ENOMEM;
    size_t started = 0;
    int need = 1, rc = 0;
    double last = 0;
    for (;;) {
        if (need && started < n) {
            struct attempt *a = &at[started];
            a->fd = -1;
            a->rc = -ECANCELED; /* cancelled before it ran */
            if (!(a->task = cio_create_task(attempt_main, a))) {
                rc = -ENOMEM;
                break;
            }
            started++;
            last = now_s();
            need = 0;
        }
        size_t k = 0;
        for (size_t i = 0; i < started; i++)
            if (!cio_future_done(at[i].task))
                run[k++] = at[i].task;
        if (k) {
            double to = started < n ? fmax(0, last + delay - now_s()) : -1;
            if ((rc = cio_wait(run, k, to, CIO_FIRST_COMPLETED, NULL, NULL, NULL, NULL)) < 0)
                break;
        }
        int win = -1;
        for (size_t i = 0; i < started; i++)
            if (!at[i].seen && cio_future_done(at[i].task)) {
                at[i].seen = 1;
                if (at[i].rc == 0 && win < 0)
                    win = (int)i;
            }
        if (win >= 0) {
            rc = win;
            break;
        }
        if (started == n && !k) {
            rc = (int)n; /* all failed */
            break;
        }
        /* The next one starts when the last started failed, or its delay is up. */
        if (started < n && (cio_future_done(at[started - 1].task) || now_s() >= last + delay))
            need = 1;
    }
    /* The others are cancelled; a socket one of them connected meanwhile is closed. */
    for (size_t i = 0; i < started; i++) {
        cio_task_t *t = at[i].task;
        if (!t)
            continue;
        while (!cio_future_done(t)) {
            cio_task_cancel(t, NULL);
            cio_await(t, NULL);
        }
        (void)cio_future_exception(t); /* the error is reported here, not as never retrieved */
        if ((int)i != rc && at[i].fd >= 0) {
            close(at[i].fd);
            at[i].fd = -1;
        }
    }
    cio__free(run);
    return rc;
}

/* ------------------------------------------------------------ the call */

int cio__connect_addrs(const struct addrinfo *res, const char *host, const cio_conn_opts_t *opts, int *fdp)
{
    if (opts->all_errors_count)
        *opts->all_errors_count = 0;
    size_t n = 0;
    for (const struct addrinfo *ai = res; ai; ai = ai->ai_next)
        n++;
    if (!n)
        return cio_fail(-EHOSTUNREACH, "no address for %s", host);
    struct attempt *at = cio__calloc(n * sizeof *at);
    const struct addrinfo **list = cio__malloc(2 * n * sizeof *list);
    if (!at || !list) {
        cio__free(at);
        cio__free(list);
        return -ENOMEM;
    }
    size_t i = 0;
    for (const struct addrinfo *ai = res; ai; ai = ai->ai_next)
        list[i++] = ai;
    int il = opts->interleave ? opts->interleave : opts->happy_eyeballs_delay > 0;
    if (il) {
        interleave(list, n, il, list + n);
        memmove(list, list + n, n * sizeof *list);
    }
    for (i = 0; i < n; i++) {
        at[i].ai = list[i];
        at[i].opts = opts;
        at[i].fd = -1;
    }
    int rc, tried = 0;
    if (opts->happy_eyeballs_delay > 0) {
        rc = stagger(at, n, opts->happy_eyeballs_delay);
        if (rc >= 0 && (size_t)rc < n) {
            *fdp = at[rc].fd;
            rc = 0;
        } else if (rc >= 0) {
            rc = 1; /* all failed: reported below */
        }
        for (i = 0; i < n; i++)
            tried += at[i].task != NULL;
        for (i = 0; i < n; i++)
            cio_unref(at[i].task);
    } else {
        rc = 1;
        for (i = 0; i < n; i++) {
            tried++;
            if ((at[i].rc = connect_one(list[i], opts, &at[i].fd)) == 0) {
                *fdp = at[i].fd;
                rc = 0;
                break;
            }
            if (at[i].rc == -ECANCELED || at[i].rc == -ENOMEM) {
                rc = at[i].rc;
                break;
            }
        }
    }
    if (rc == 1) {
        /* Every attempt failed: the last error, all of them in the message
         * and, asked for, in all_errors (asyncio's ExceptionGroup). */
        char msg[512];
        size_t mlen = 0;
        msg[0] = 0;
        for (i = 0; i < (size_t)tried; i++) {
            char where[96];
            describe(list[i]->ai_addr, where, sizeof where);
            if (mlen < sizeof msg - 1)
                mlen += (size_t)snprintf(msg + mlen, sizeof msg - mlen, "%s%s: %s", mlen ? "; " : "", where,
                                         cio_strerror(at[i].rc));
            if (opts->all_errors && i < opts->all_errors_cap)
                opts->all_errors[i] = at[i].rc;
        }
        if (opts->all_errors_count)
            *opts->all_errors_count = (size_t)tried;
        rc = at[tried - 1].rc;
        if (tried > 1)
            rc = cio_fail(rc, "all %d addresses of %s failed: %s", tried, host, msg);
        else
            rc = cio_fail(rc, "connect to %s", msg);
    }
    cio__free(at);
    cio__free(list);
    return rc;
}

int cio__connect_tcp(const char *host, int port, const cio_conn_opts_t *opts, int *fdp)
{
    if (!host || port < 0 || port > 65535)
        return -EINVAL;
    cio_conn_opts_t none = {0};
    if (!opts)
        opts = &none;
    if (opts->local_port < 0 || opts->local_port > 65535)
        return -EINVAL;
    if (opts->family != 0 && opts->family != AF_INET && opts->family != AF_INET6)
        return -EINVAL;
    if (!(opts->happy_eyeballs_delay >= 0) || isinf(opts->happy_eyeballs_delay) || opts->interleave < 0)
        return -EINVAL;
    char ps[16];
    snprintf(ps, sizeof ps, "%d", port);
    struct addrinfo hints = {.ai_family = opts->family, .ai_socktype = SOCK_STREAM, .ai_protocol = IPPROTO_TCP};
    struct addrinfo *res;
    int rc = cio_getaddrinfo(host, ps, &hints, &res);
    if (rc < 0)
        return cio_fail(rc, "getaddrinfo(%s, %d): %s", host, port, cio_strerror(rc));
    rc = cio__connect_addrs(res, host, opts, fdp);
    freeaddrinfo(res);
    return rc;
}
