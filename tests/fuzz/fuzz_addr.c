/* libFuzzer target for address parsing (src/net/dns.c): cio_getaddrinfo and
 * cio_getnameinfo, checked against the libc's own getaddrinfo/getnameinfo
 * called with the same arguments.  Nothing reaches the network: lookups are
 * made with AI_NUMERICHOST | AI_NUMERICSERV and NI_NUMERICHOST |
 * NI_NUMERICSERV, so a name that is not a numeric address fails at once.
 *
 * The first byte picks the function; then
 * - getaddrinfo: two bytes of hints (family, socktype, protocol, flags,
 *   whether host or port is NULL), then the host, a NUL, the port.  The host
 *   and port go through cio's numeric fast path when inet_pton and "all
 *   digits" accept them, through the thread pool otherwise (the worker calls
 *   getaddrinfo with the same hints).  Each is called once from a task (one
 *   runner, so one loop and one thread pool, for the whole process) and once
 *   outside any loop, where only the fast path may answer (CIO_ENOLOOP
 *   otherwise).  Same success or failure as the libc (cio's code for its
 *   EAI_*), the same list of addresses.
 * - getnameinfo: family, address length, buffer sizes and flags from four
 *   bytes, the rest of the sockaddr from the input; the address and the
 *   buffers are heap blocks of exactly their sizes, for the sanitizers.
 *   Same outcome and the same bytes in both buffers as the libc's.
 *
 *   cmake -DCIO_FUZZ=ON -DCMAKE_C_COMPILER=clang ... ; ./fuzz_addr -max_total_time=30 */
#include <cio.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#define FAIL(...)                                   \
    do {                                            \
        fprintf(stderr, "fuzz_addr: " __VA_ARGS__); \
        fputc('\n', stderr);                        \
        abort();                                    \
    } while (0)

struct input {
    const uint8_t *data;
    size_t size;
};

/* The code cio_getaddrinfo/cio_getnameinfo documents for the libc's EAI_*
 * (1: "any negative code", for EAI_SYSTEM, whose errno is the worker's). */
static int want_code(int eai)
{
    switch (eai) {
    case 0: return 0;
    case EAI_NONAME: case EAI_SERVICE:
#ifdef EAI_NODATA
    case EAI_NODATA:
#endif
#ifdef EAI_ADDRFAMILY
    case EAI_ADDRFAMILY:
#endif
        return CIO_ENONAME;
    case EAI_AGAIN: return CIO_EDNSAGAIN;
    case EAI_MEMORY: return -ENOMEM;
    case EAI_FAMILY: case EAI_SOCKTYPE: case EAI_BADFLAGS: return -EINVAL;
    case EAI_OVERFLOW: return -ENOSPC;
    case EAI_SYSTEM: return 1;
    default: return CIO_EDNSFAIL;
    }
}

static void check_code(const char *what, int rc, int eai)
{
    int want = want_code(eai);
    if (want == 1 ? rc >= 0 : rc != want)
        FAIL("%s: %s (%d), where the libc says %s (%d)", what, cio_err_name(rc), rc, gai_strerror(eai), eai);
}

static char *dup_bytes(const uint8_t *p, size_t n)
{
    char *s = malloc(n + 1);
    if (!s)
        FAIL("out of memory");
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

/* --------------------------------------------------------- getaddrinfo */

struct gai_case {
    char *host, *port;
    struct addrinfo hints;
};

static void parse_gai(const struct input *in, struct gai_case *c)
{
    static const int families[] = {AF_UNSPEC, AF_INET, AF_INET6, AF_UNIX};
    static const int socktypes[] = {0, SOCK_STREAM, SOCK_DGRAM, SOCK_RAW};
    static const int protocols[] = {0, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_RAW};
    uint8_t a = in->size > 1 ? in->data[1] : 0, b = in->size > 2 ? in->data[2] : 0;
    memset(c, 0, sizeof *c);
    c->hints.ai_family = families[a & 3];
    c->hints.ai_socktype = socktypes[(a >> 2) & 3];
    c->hints.ai_protocol = protocols[(a >> 4) & 3];
    c->hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | (a & 0x40 ? AI_PASSIVE : 0) |
                        (b & 1 ? AI_V4MAPPED : 0) | (b & 2 ? AI_ALL : 0) | (b & 4 ? AI_ADDRCONFIG : 0) |
                        (b & 0x20 ? 0x10000 : 0); /* a flag no libc knows: EAI_BADFLAGS */
    const uint8_t *p = in->size > 3 ? in->data + 3 : NULL, *end = in->data + in->size;
    size_t hl = 0;
    if (p) {
        const uint8_t *z = memchr(p, 0, (size_t)(end - p));
        hl = z ? (size_t)(z - p) : (size_t)(end - p);
    }
    if (!(b & 8))
        c->host = dup_bytes(p ? p : (const uint8_t *)"", hl);
    if (!(b & 0x10)) {
        const uint8_t *q = p && p + hl < end ? p + hl + 1 : end;
        const uint8_t *z = memchr(q, 0, (size_t)(end - q));
        c->port = dup_bytes(q, z ? (size_t)(z - q) : (size_t)(end - q));
    }
}

static void compare_lists(const char *what, const struct addrinfo *a, const struct addrinfo *b)
{
    size_t i = 0;
    for (; a && b; a = a->ai_next, b = b->ai_next, i++) {
        if (a->ai_flags != b->ai_flags || a->ai_family != b->ai_family || a->ai_socktype != b->ai_socktype ||
            a->ai_protocol != b->ai_protocol || a->ai_addrlen != b->ai_addrlen ||
            (a->ai_addrlen && memcmp(a->ai_addr, b->ai_addr, a->ai_addrlen) != 0))
            FAIL("%s: address %zu differs from the libc's", what, i);
        if ((a->ai_canonname == NULL) != (b->ai_canonname == NULL) ||
            (a->ai_canonname && strcmp(a->ai_canonname, b->ai_canonname) != 0))
            FAIL("%s: canonical name %zu differs from the libc's", what, i);
    }
    if (a || b)
        FAIL("%s: %s list is longer than the libc's", what, a ? "cio's" : "the libc's");
}

/* What cio_getaddrinfo says, against the libc; outside: no loop running. */
static void check_gai(const struct gai_case *c, int outside)
{
    const char *what = outside ? "getaddrinfo (no loop)" : "getaddrinfo";
    struct addrinfo *res = (struct addrinfo *)&res, *ref = NULL;
    int rc = cio_getaddrinfo(c->host, c->port, &c->hints, &res);
    if (!c->host && !c->port) {
        if (rc != -EINVAL)
            FAIL("%s: %s for no host and no port", what, cio_err_name(rc));
        return;
    }
    if (outside) {
        /* Only what needs no lookup is answered outside a loop. */
        unsigned char buf[sizeof(struct in6_addr)];
        int numeric = (!c->host || inet_pton(AF_INET, c->host, buf) == 1 || inet_pton(AF_INET6, c->host, buf) == 1) &&
                      (!c->port || (*c->port && strspn(c->port, "0123456789") == strlen(c->port)));
        if (rc == CIO_ENOLOOP) {
            if (numeric || res)
                FAIL("%s: CIO_ENOLOOP for a numeric host and port", what);
            return;
        }
        if (!numeric)
            FAIL("%s: %s without a loop for a host or port that is not numeric", what, cio_err_name(rc));
    }
    int eai = getaddrinfo(c->host, c->port, &c->hints, &ref);
    check_code(what, rc, eai);
    if (rc < 0 && res)
        FAIL("%s: a result with %s", what, cio_err_name(rc));
    if (rc == 0)
        compare_lists(what, res, ref);
    if (res)
        freeaddrinfo(res);
    if (ref)
        freeaddrinfo(ref);
}

/* --------------------------------------------------------- getnameinfo */

static void check_gni(const struct input *in)
{
    uint8_t fam = in->size > 1 ? in->data[1] : 0, len = in->size > 2 ? in->data[2] : 0;
    uint8_t hb = in->size > 3 ? in->data[3] : 0, sb = in->size > 4 ? in->data[4] : 0;
    uint8_t fl = in->size > 5 ? in->data[5] : 0;
    static const int families[] = {AF_INET, AF_INET6, AF_UNIX};
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    if (in->size > 6)
        memcpy(&ss, in->data + 6, in->size - 6 < sizeof ss ? in->size - 6 : sizeof ss);
    ss.ss_family = (sa_family_t)((fam & 3) == 3 ? fam >> 2 : families[fam & 3]);
    size_t exact = ss.ss_family == AF_INET    ? sizeof(struct sockaddr_in)
                   : ss.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                              : sizeof(struct sockaddr_un);
    socklen_t addrlen;
    switch (len & 3) {
    case 0: addrlen = (socklen_t)exact; break;
    case 1: addrlen = (socklen_t)(exact - 1); break;
    case 2: addrlen = (socklen_t)(exact + (len >> 2) % 8); break;
    default: addrlen = (socklen_t)((len >> 2) % (sizeof ss + 8)); break;
    }
    int flags = NI_NUMERICHOST | NI_NUMERICSERV | (fl & 1 ? NI_DGRAM : 0) | (fl & 2 ? NI_NAMEREQD : 0) |
                (fl & 4 ? NI_NOFQDN : 0);
    size_t hostlen = (hb & 0x7f) == 0x7f ? NI_MAXHOST : (size_t)(hb & 0x7f);
    size_t servlen = (sb & 0x1f) == 0x1f ? NI_MAXSERV : (size_t)(sb & 0x1f);
    int use_host = !(hb & 0x80), use_serv = !(sb & 0x80);

    /* Exact-size heap blocks: a read or write past one is the sanitizers'. */
    uint8_t *addr = malloc(addrlen ? addrlen : 1);
    char *h1 = malloc(hostlen + !hostlen), *h2 = malloc(hostlen + !hostlen);
    char *s1 = malloc(servlen + !servlen), *s2 = malloc(servlen + !servlen);
    if (!addr || !h1 || !h2 || !s1 || !s2)
        FAIL("out of memory");
    size_t have = addrlen < sizeof ss ? addrlen : sizeof ss;
    memcpy(addr, &ss, have);
    memset(addr + have, 0xa5, addrlen - have);
    memset(h1, 0x5a, hostlen);
    memset(h2, 0x5a, hostlen);
    memset(s1, 0x5a, servlen);
    memset(s2, 0x5a, servlen);

    int rc = cio_getnameinfo((struct sockaddr *)addr, addrlen, use_host ? h1 : NULL, hostlen, use_serv ? s1 : NULL,
                             servlen, flags);
    if (addrlen == 0 || addrlen > sizeof ss || (!use_host && !use_serv) || (use_host && !hostlen) ||
        (use_serv && !servlen)) {
        if (rc != -EINVAL)
            FAIL("getnameinfo: %s for arguments it must refuse", cio_err_name(rc));
    } else {
        int eai = getnameinfo((struct sockaddr *)addr, addrlen, use_host ? h2 : NULL, (socklen_t)hostlen,
                              use_serv ? s2 : NULL, (socklen_t)servlen, flags);
        check_code("getnameinfo", rc, eai);
        if (memcmp(h1, h2, hostlen) != 0 || memcmp(s1, s2, servlen) != 0)
            FAIL("getnameinfo: the buffers differ from the libc's (%s)", cio_err_name(rc));
        if (rc == 0 && ((use_host && !memchr(h1, 0, hostlen)) || (use_serv && !memchr(s1, 0, servlen))))
            FAIL("getnameinfo: a result not NUL-terminated");
    }
    free(addr);
    free(h1);
    free(h2);
    free(s1);
    free(s2);
}

/* ---------------------------------------------------------------- driver */

static int amain(void *arg, void **result)
{
    const struct input *in = arg;
    if (in->data[0] & 1) {
        check_gni(in);
        return 0;
    }
    struct gai_case c;
    parse_gai(in, &c);
    check_gai(&c, 0);
    free(c.host);
    free(c.port);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static cio_runner_t *runner; /* one loop and one thread pool for every input */
    if (size < 1)
        return 0;
    struct input in = {data, size};
    if (!(data[0] & 1)) { /* first without a loop: only the fast path answers */
        struct gai_case c;
        parse_gai(&in, &c);
        check_gai(&c, 1);
        free(c.host);
        free(c.port);
    }
    if (!runner && cio_runner_new(NULL, &runner) < 0)
        FAIL("runner_new");
    int rc = cio_runner_run(runner, amain, &in, NULL);
    if (rc < 0)
        FAIL("runner_run: %s", cio_err_name(rc));
    return 0;
}
