/* DNS through the thread pool (DESIGN.md point 10): getaddrinfo and
 * getnameinfo block, so they run in a worker; a numeric host and port, which
 * need no lookup, are answered on the spot.
 *
 * A job outlives a cancelled caller: the worker and the caller each hold a
 * reference, and whoever drops the last frees the job and any result the
 * caller did not take. */
#include "internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

int cio__gai_error(int eai, int sys_errno)
{
    switch (eai) {
    case 0:
        return 0;
    case EAI_NONAME:
    case EAI_SERVICE:
#ifdef EAI_NODATA
    case EAI_NODATA:
#endif
#ifdef EAI_ADDRFAMILY
    case EAI_ADDRFAMILY:
#endif
        return CIO_ENONAME;
    case EAI_AGAIN:
        return CIO_EDNSAGAIN;
    case EAI_MEMORY:
        return -ENOMEM;
    case EAI_SYSTEM:
        return sys_errno ? -sys_errno : CIO_EDNSFAIL;
    case EAI_FAMILY:
    case EAI_SOCKTYPE:
    case EAI_BADFLAGS:
        return -EINVAL;
    case EAI_OVERFLOW:
        return -ENOSPC;
    default:
        return CIO_EDNSFAIL;
    }
}

struct dns_job {
    atomic_int refs;
    int rc;
    /* getaddrinfo */
    char *host, *port;
    struct addrinfo hints;
    int has_hints;
    struct addrinfo *res;
    /* getnameinfo */
    struct sockaddr_storage addr;
    socklen_t addrlen;
    int flags;
    char hbuf[NI_MAXHOST], sbuf[NI_MAXSERV];
};

static void job_unref(struct dns_job *j)
{
    if (atomic_fetch_sub(&j->refs, 1) != 1)
        return;
    if (j->res)
        freeaddrinfo(j->res);
    cio__free(j->host);
    cio__free(j->port);
    cio__free(j);
}

static int gai_worker(void *arg, void **result)
{
    (void)result;
    struct dns_job *j = arg;
    errno = 0;
    int e = getaddrinfo(j->host, j->port, j->has_hints ? &j->hints : NULL, &j->res);
    j->rc = cio__gai_error(e, errno);
    job_unref(j);
    return 0;
}

static int gni_worker(void *arg, void **result)
{
    (void)result;
    struct dns_job *j = arg;
    errno = 0;
    int e = getnameinfo((struct sockaddr *)&j->addr, j->addrlen, j->hbuf, sizeof j->hbuf, j->sbuf, sizeof j->sbuf,
                        j->flags);
    j->rc = cio__gai_error(e, errno);
    job_unref(j);
    return 0;
}

static int is_numeric_host(const char *h)
{
    unsigned char buf[sizeof(struct in6_addr)];
    return !h || inet_pton(AF_INET, h, buf) == 1 || inet_pton(AF_INET6, h, buf) == 1;
}

static int is_numeric_port(const char *p)
{
    if (!p)
        return 1;
    if (!*p)
        return 0;
    for (; *p; p++)
        if (*p < '0' || *p > '9')
            return 0;
    return 1;
}

/* Run the job in the pool and wait for it; 0 when the worker finished. */
static int run_job(cio_coro_fn *fn, struct dns_job *j)
{
    atomic_init(&j->refs, 2);
    cio_future_t *f;
    int rc = cio__run_in_executor(cio__tls.task->fut.loop, fn, j, true, &f); /* fn drops its reference */
    if (rc < 0) {
        atomic_fetch_sub(&j->refs, 1); /* the worker never got it */
        return rc;
    }
    rc = cio_await(f, NULL);
    cio_unref(f);
    return rc;
}

int cio_getaddrinfo(const char *host, const char *port, const struct addrinfo *hints, struct addrinfo **res)
{
    if (!res || (!host && !port))
        return -EINVAL;
    *res = NULL;
    if (is_numeric_host(host) && is_numeric_port(port)) {
        struct addrinfo h = {0};
        if (hints)
            h = *hints;
        h.ai_flags |= (host ? AI_NUMERICHOST : 0) | AI_NUMERICSERV;
        errno = 0;
        int e = getaddrinfo(host, port, &h, res);
        return cio__gai_error(e, errno);
    }
    if (!cio__tls.task)
        return cio__tls.running ? CIO_ENOTASK : CIO_ENOLOOP;
    struct dns_job *j = cio__calloc(sizeof *j);
    if (!j)
        return -ENOMEM;
    if ((host && !(j->host = cio__strdup(host))) || (port && !(j->port = cio__strdup(port)))) {
        cio__free(j->host);
        cio__free(j);
        return -ENOMEM;
    }
    if (hints) {
        j->hints = *hints;
        j->hints.ai_addr = NULL;
        j->hints.ai_canonname = NULL;
        j->hints.ai_next = NULL;
        j->has_hints = 1;
    }
    int rc = run_job(gai_worker, j);
    if (rc == 0) {
        rc = j->rc;
        *res = j->res;
        j->res = NULL;
    }
    job_unref(j);
    return rc;
}

int cio_getnameinfo(const struct sockaddr *addr, socklen_t addrlen, char *host, size_t hostlen, char *serv,
                    size_t servlen, int flags)
{
    if (!addr || addrlen == 0 || addrlen > sizeof(struct sockaddr_storage) || (!host && !serv))
        return -EINVAL;
    if ((host && !hostlen) || (serv && !servlen))
        return -EINVAL;
    if ((flags & (NI_NUMERICHOST | NI_NUMERICSERV)) == (NI_NUMERICHOST | NI_NUMERICSERV)) {
        errno = 0;
        int e = getnameinfo(addr, addrlen, host, host ? (socklen_t)hostlen : 0, serv, serv ? (socklen_t)servlen : 0,
                            flags);
        return cio__gai_error(e, errno);
    }
    if (!cio__tls.task)
        return cio__tls.running ? CIO_ENOTASK : CIO_ENOLOOP;
    struct dns_job *j = cio__calloc(sizeof *j);
    if (!j)
        return -ENOMEM;
    memcpy(&j->addr, addr, addrlen);
    j->addrlen = addrlen;
    j->flags = flags;
    int rc = run_job(gni_worker, j);
    if (rc == 0 && (rc = j->rc) == 0) {
        if ((host && strlen(j->hbuf) >= hostlen) || (serv && strlen(j->sbuf) >= servlen))
            rc = -ENOSPC;
        else {
            if (host)
                strcpy(host, j->hbuf);
            if (serv)
                strcpy(serv, j->sbuf);
        }
    }
    job_unref(j);
    return rc;
}
