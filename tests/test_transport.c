/* Transports and protocols: the callback layer of the networking API.
 *
 * cio_create_connection / cio_create_unix_connection / cio_connect_accepted_socket,
 * cio_create_server / cio_create_unix_server with protocol servers, datagram
 * endpoints and every cio_transport_* call.  What is asserted is what a user
 * sees: the sequence of protocol callbacks on each side (connection_made
 * once, data_received*, eof_received?, connection_lost once, err 0 on a clean
 * close), the bytes exactly, flow-control callbacks and error codes.
 *
 * Where the header is silent the expectation is CPython 3.11's asyncio,
 * checked with the equivalent Python program (noted "asyncio:" below).
 * Everything runs on loopback; Unix sockets live in a mkdtemp directory.
 *
 * Each connection's state is a `struct side` in static storage: the client
 * passes one as ud; a protocol server gets a `struct srv` as ud and, in
 * connection_made, gives each connection its own side with
 * cio_transport_set_ud.  Every callback checks that it got the right ud and
 * transport, and that nothing comes after connection_lost. */
#include "harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* ---------------------------------------------------------------- helpers */

#define KB ((size_t)1024)
#define MB (KB * KB)

/* When the library has reported running out of memory (an allocation the
 * sweep failed, tests/harness.h) where no check sees it: the exception
 * handler (a server's accept), connection_lost or a write.  What the waits
 * below wait for may then never come: they give up soon (nomem_deadline). */
static double nomem_at; /* now_s() when first reported, 0: never */
static int nomem_reported; /* as -ENOMEM (else: a check failed in the sweep) */

static void nomem_seen(int err)
{
    if (err == -ENOMEM && !nomem_reported) {
        nomem_reported = 1;
        if (!nomem_at)
            nomem_at = now_s();
    }
}

/* The deadline of a wait begun at t0 that would end at dl. */
static double nomem_deadline(double t0, double dl)
{
    if (!nomem_at && test_saw_enomem) /* a check saw it */
        nomem_seen(-ENOMEM);
    /* In the sweep, once a check has failed after the failed allocation, the
     * case's outcome is known: its waits only need to let the cleanup run. */
    if (!nomem_at && test_sweeping && test_failed && atomic_load(&test_fault_hit))
        nomem_at = now_s();
    if (!nomem_at)
        return dl;
    /* Half a second in all for what still comes, and a little for each
     * wait of the cleanup (connection_lost after a close). */
    double t = nomem_at + 0.5 > t0 + 0.05 ? nomem_at + 0.5 : t0 + 0.05;
    return t < dl ? t : dl;
}

/* From a task: let the loop run until cond holds, at most secs seconds.
 * Evaluates to 1 if it holds; else fails the case and evaluates to 0. */
#define WAIT_UNTIL(cond, secs)                                                          \
    __extension__({                                                                     \
        double t0_ = now_s(), dl_ = t0_ + (secs);                                       \
        while (!(cond) && now_s() < nomem_deadline(t0_, dl_))                           \
            cio_sleep(0.001);                                                           \
        int ok_ = !!(cond);                                                             \
        if (!ok_ && nomem_at)                                                           \
            FAILF("gave up waiting for %s: %s", #cond,                                  \
                  nomem_reported ? "ENOMEM reported" : "a check failed");               \
        else if (!ok_)                                                                  \
            FAILF("timed out after %.1f s waiting for %s", (double)(secs), #cond);      \
        ok_;                                                                            \
    })

/* A call that returns >= 0 on success. */
#define CHECK_OK(x)                                                                     \
    do {                                                                                \
        int r_ = (int)(x);                                                              \
        if (r_ < 0)                                                                     \
            FAILF("%s == %d (%s), expected >= 0", #x, r_, cio_err_name(r_));            \
    } while (0)

/* The data everybody sends: byte i of the stream is pat(i).  A connection
 * starting at offset off sends patbuf[off..]; the receiver checks every byte,
 * so a lost, duplicated, reordered or foreign chunk is found. */
#define PATBUF_SIZE (17 * MB)
static unsigned char *patbuf;

static inline unsigned char pat(size_t i)
{
    uint32_t x = (uint32_t)i * 2654435761u;
    x ^= x >> 15;
    x ^= (uint32_t)(i >> 17) * 0x9E3779B1u;
    x *= 0x2c1b3c6dU;
    x ^= x >> 12;
    return (unsigned char)x;
}

static void patbuf_init(void)
{
    if (patbuf)
        return;
    patbuf = malloc(PATBUF_SIZE);
    if (!patbuf) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    for (size_t i = 0; i < PATBUF_SIZE; i++)
        patbuf[i] = pat(i);
}

/* -------------------------------------------------- per-connection state */

#define SIDE_MAGIC 0x51DE51DEu
#define SRV_MAGIC 0x5E575E57u

struct srv;

struct side {
    unsigned magic;
    char name;             /* 'C' client, 'S' server connection, 'D' datagram */
    cio_transport_t *t;    /* as connection_made saw it */
    cio_transport_t *ref;  /* a reference we hold (client: create_*'s; server: keep_ref) */
    struct srv *srv;
    /* behaviour */
    int echo;              /* data_received writes the data back */
    int eof_keep;          /* eof_received's return value */
    const char *eof_reply; /* written from eof_received */
    const char *data_reply;/* written once, from the first data_received */
    int pause_on_made;     /* pause_reading in connection_made */
    int keep_ref;          /* cio_ref(t) in connection_made */
    size_t made_send;      /* pattern bytes written from connection_made */
    size_t made_send_off;
    int close_after_made_send;
    size_t bufsize;        /* > 0: buffered protocol (get_buffer), at most sizeof bufp */
    int check_pat;         /* check received bytes against pat(pat_off + offset) */
    size_t pat_off;
    int dgram_echo;        /* datagram_received sends it back to the sender */
    /* observed */
    int made, lost, eofs, datas, pauses, resumes, gets, updates, errs, dgrams;
    int lost_err, last_err, write_err;
    int get_pending;
    size_t size_at_pause, size_at_resume;
    size_t total;          /* bytes received */
    long long bad_at;      /* first offset that did not match the pattern, -1 */
    char text[4096];       /* the first bytes received, NUL-terminated */
    size_t textlen;
    size_t dsizes[8];      /* datagram sizes, in order */
    struct sockaddr_storage from;
    socklen_t fromlen;
    unsigned char bufp[256];
    char log[256];
    size_t loglen;
    char last_ev[16];
};

#define MAXCONN 128
struct srv {
    unsigned magic;
    struct side tmpl;      /* behaviour copied to each connection */
    struct side *conns[MAXCONN];
    int n;
};

#define NSIDES 300
static struct side sides[NSIDES];
static int nsides;
static struct srv srvs[4];
static int nsrvs;

static void reset_state(void)
{
    memset(sides, 0, sizeof sides);
    nsides = 0;
    memset(srvs, 0, sizeof srvs);
    nsrvs = 0;
}

static struct side *new_side(char name)
{
    if (nsides >= NSIDES) {
        FAILF("out of sides");
        exit(1);
    }
    struct side *s = &sides[nsides++];
    memset(s, 0, sizeof *s);
    s->magic = SIDE_MAGIC;
    s->name = name;
    s->bad_at = -1;
    return s;
}

static struct srv *new_srv(void)
{
    struct srv *sv = &srvs[nsrvs++];
    memset(sv, 0, sizeof *sv);
    sv->magic = SRV_MAGIC;
    sv->tmpl.bad_at = -1;
    return sv;
}

/* The side's own event log ("made data eof lost"); consecutive data (or
 * pause/resume pairs of the same kind) are one entry, since chunk boundaries
 * are arbitrary. */
static void side_log(struct side *s, const char *ev)
{
    if (strcmp(ev, "data") == 0 && strcmp(s->last_ev, "data") == 0)
        return;
    snprintf(s->last_ev, sizeof s->last_ev, "%s", ev);
    size_t n = strlen(ev);
    if (s->loglen + n + 2 >= sizeof s->log)
        return;
    if (s->loglen)
        s->log[s->loglen++] = ' ';
    memcpy(s->log + s->loglen, ev, n);
    s->loglen += n;
    s->log[s->loglen] = 0;
}

static struct side *side_of(void *ud, cio_transport_t *t, const char *what)
{
    struct side *s = ud;
    if (!s || s->magic != SIDE_MAGIC) {
        FAILF("%s: ud %p is not the connection's own (set_ud not honoured?)", what, ud);
        return NULL;
    }
    if (s->t && s->t != t)
        FAILF("%s(%c): transport %p, connection_made saw %p", what, s->name, (void *)t, (void *)s->t);
    if (s->lost)
        FAILF("%s(%c) after connection_lost", what, s->name);
    if (!s->made && strcmp(what, "connection_made") != 0)
        FAILF("%s(%c) before connection_made", what, s->name);
    return s;
}

static void side_write(struct side *s, cio_transport_t *t, const void *p, size_t n)
{
    int rc = cio_transport_write(t, p, n);
    nomem_seen(rc);
    if (rc < 0 && !s->write_err)
        s->write_err = rc;
}

static void side_consume(struct side *s, cio_transport_t *t, const unsigned char *p, size_t n)
{
    side_log(s, "data");
    if (s->textlen < sizeof s->text - 1) {
        size_t k = n < sizeof s->text - 1 - s->textlen ? n : sizeof s->text - 1 - s->textlen;
        memcpy(s->text + s->textlen, p, k);
        s->textlen += k;
        s->text[s->textlen] = 0;
    }
    if (s->check_pat && s->bad_at < 0) {
        for (size_t i = 0; i < n; i++)
            if (p[i] != pat(s->pat_off + s->total + i)) {
                s->bad_at = (long long)(s->total + i);
                break;
            }
    }
    s->total += n;
    if (s->echo)
        side_write(s, t, p, n);
    if (s->data_reply) {
        side_write(s, t, s->data_reply, strlen(s->data_reply));
        s->data_reply = NULL;
    }
}

static void side_made(cio_transport_t *t, void *ud)
{
    struct side *s = side_of(ud, t, "connection_made");
    if (!s)
        return;
    s->made++;
    if (s->made > 1)
        FAILF("connection_made(%c) called %d times", s->name, s->made);
    s->t = t;
    side_log(s, "made");
    if (s->keep_ref)
        s->ref = cio_ref(t);
    if (s->pause_on_made)
        CHECK_OK(cio_transport_pause_reading(t));
    if (s->made_send) {
        for (size_t off = 0; off < s->made_send; off += 64 * KB) {
            size_t k = s->made_send - off < 64 * KB ? s->made_send - off : 64 * KB;
            side_write(s, t, patbuf + s->made_send_off + off, k);
        }
        if (s->close_after_made_send)
            CHECK_OK(cio_transport_close(t));
    }
}

static void side_data(cio_transport_t *t, const void *data, size_t n, void *ud)
{
    struct side *s = side_of(ud, t, "data_received");
    if (!s)
        return;
    s->datas++;
    if (s->bufsize)
        FAILF("data_received(%c) called on a buffered protocol", s->name);
    if (n == 0)
        FAILF("data_received(%c) with 0 bytes", s->name);
    side_consume(s, t, data, n);
}

static int side_eof(cio_transport_t *t, void *ud)
{
    struct side *s = side_of(ud, t, "eof_received");
    if (!s)
        return 0;
    s->eofs++;
    if (s->eofs > 1)
        FAILF("eof_received(%c) called %d times", s->name, s->eofs);
    side_log(s, "eof");
    if (s->eof_reply)
        side_write(s, t, s->eof_reply, strlen(s->eof_reply));
    return s->eof_keep;
}

static void side_lost(cio_transport_t *t, int err, void *ud)
{
    struct side *s = side_of(ud, t, "connection_lost");
    if (!s)
        return;
    s->lost++;
    s->lost_err = err;
    nomem_seen(err);
    side_log(s, "lost");
}

static void side_pause(cio_transport_t *t, void *ud)
{
    struct side *s = side_of(ud, t, "pause_writing");
    if (!s)
        return;
    if (s->pauses != s->resumes)
        FAILF("pause_writing(%c) twice without resume_writing", s->name);
    s->pauses++;
    s->size_at_pause = cio_transport_get_write_buffer_size(t);
}

static void side_resume(cio_transport_t *t, void *ud)
{
    struct side *s = side_of(ud, t, "resume_writing");
    if (!s)
        return;
    if (s->resumes + 1 != s->pauses)
        FAILF("resume_writing(%c) without pause_writing", s->name);
    s->resumes++;
    s->size_at_resume = cio_transport_get_write_buffer_size(t);
}

static void *side_get_buffer(cio_transport_t *t, size_t sizehint, size_t *size, void *ud)
{
    struct side *s = side_of(ud, t, "get_buffer");
    if (!s)
        return NULL;
    s->gets++;
    s->get_pending = 1;
    *size = s->bufsize;
    return s->bufp;
}

static void side_buffer_updated(cio_transport_t *t, size_t n, void *ud)
{
    struct side *s = side_of(ud, t, "buffer_updated");
    if (!s)
        return;
    s->updates++;
    if (!s->get_pending)
        FAILF("buffer_updated(%c) without get_buffer", s->name);
    s->get_pending = 0;
    if (n == 0 || n > s->bufsize) {
        FAILF("buffer_updated(%c, %zu) with a buffer of %zu", s->name, n, s->bufsize);
        return;
    }
    side_consume(s, t, s->bufp, n);
}

static void side_dgram(cio_transport_t *t, const void *data, size_t n, const struct sockaddr *addr,
                       socklen_t addrlen, void *ud)
{
    struct side *s = side_of(ud, t, "datagram_received");
    if (!s)
        return;
    if (s->dgrams < 8)
        s->dsizes[s->dgrams] = n;
    s->dgrams++;
    char ev[32];
    snprintf(ev, sizeof ev, "dgram:%zu", n);
    side_log(s, ev);
    if (n && s->textlen < sizeof s->text - 1) {
        size_t k = n < sizeof s->text - 1 - s->textlen ? n : sizeof s->text - 1 - s->textlen;
        memcpy(s->text + s->textlen, data, k);
        s->textlen += k;
        s->text[s->textlen] = 0;
    }
    s->total += n;
    s->fromlen = 0;
    if (addr && addrlen > 0 && addrlen <= sizeof s->from) {
        memcpy(&s->from, addr, addrlen);
        s->fromlen = addrlen;
    }
    if (s->dgram_echo) {
        int rc = cio_transport_sendto(t, data, n, addr, addrlen);
        if (rc < 0 && !s->write_err)
            s->write_err = rc;
    }
}

static void side_error(cio_transport_t *t, int err, void *ud)
{
    struct side *s = side_of(ud, t, "error_received");
    if (!s)
        return;
    s->errs++;
    s->last_err = err;
    char ev[48];
    snprintf(ev, sizeof ev, "error:%s", cio_err_name(err));
    side_log(s, ev);
}

/* A protocol server's connection_made: the ud is the server's; give the
 * connection its own side. */
static void srv_made(cio_transport_t *t, void *ud)
{
    struct srv *sv = ud;
    if (!sv || sv->magic != SRV_MAGIC) {
        FAILF("server connection_made: ud %p is not the server's", ud);
        cio_transport_abort(t);
        return;
    }
    if (cio_transport_get_ud(t) != sv)
        FAILF("server transport's ud is %p before set_ud, expected the server's %p", cio_transport_get_ud(t),
              (void *)sv);
    if (sv->n >= MAXCONN) {
        FAILF("too many connections");
        cio_transport_abort(t);
        return;
    }
    struct side *c = new_side('S');
    *c = sv->tmpl;
    c->magic = SIDE_MAGIC;
    c->name = 'S';
    c->srv = sv;
    c->bad_at = -1;
    sv->conns[sv->n++] = c;
    CHECK_OK(cio_transport_set_ud(t, c));
    if (cio_transport_get_ud(t) != c)
        FAILF("get_ud after set_ud");
    side_made(t, c);
}

static const cio_protocol_t cli_proto = {
    .connection_made = side_made,
    .data_received = side_data,
    .eof_received = side_eof,
    .connection_lost = side_lost,
    .pause_writing = side_pause,
    .resume_writing = side_resume,
};
static const cio_protocol_t cli_noeof_proto = {
    .connection_made = side_made,
    .data_received = side_data,
    .connection_lost = side_lost,
};
static const cio_protocol_t cli_buf_proto = {
    .connection_made = side_made,
    .data_received = side_data,
    .eof_received = side_eof,
    .connection_lost = side_lost,
    .pause_writing = side_pause,
    .resume_writing = side_resume,
    .get_buffer = side_get_buffer,
    .buffer_updated = side_buffer_updated,
};
static const cio_protocol_t srv_proto = {
    .connection_made = srv_made,
    .data_received = side_data,
    .eof_received = side_eof,
    .connection_lost = side_lost,
    .pause_writing = side_pause,
    .resume_writing = side_resume,
};
static const cio_protocol_t srv_buf_proto = {
    .connection_made = srv_made,
    .data_received = side_data,
    .eof_received = side_eof,
    .connection_lost = side_lost,
    .pause_writing = side_pause,
    .resume_writing = side_resume,
    .get_buffer = side_get_buffer,
    .buffer_updated = side_buffer_updated,
};
static const cio_protocol_t dgram_proto = {
    .connection_made = side_made,
    .data_received = side_data,
    .connection_lost = side_lost,
    .datagram_received = side_dgram,
    .error_received = side_error,
};

/* ------------------------------------------------------- common plumbing */

static cio_server_t *start_srv(struct srv *sv, const cio_protocol_t *p, const char *host,
                               const cio_server_opts_t *opts, int *port)
{
    cio_server_t *server = NULL;
    int rc = cio_create_server(p ? p : &srv_proto, sv, host, 0, opts, &server);
    CHECK_RC(rc, 0);
    if (rc < 0 || !server)
        return NULL;
    *port = cio_server_port(server);
    CHECK(*port > 0 && *port < 65536);
    return server;
}

static int wait_closed_limited(cio_server_t *server, double secs)
{
    cio_timeout_t to;
    int rc = cio_timeout_enter(&to, secs);
    if (rc < 0)
        return rc;
    return cio_timeout_exit(&to, cio_server_wait_closed(server));
}

static void release_refs(void);

static void stop_srv(cio_server_t *server)
{
    if (!server)
        return;
    CHECK_OK(cio_server_close(server));
    /* After a failed check (a setup that failed, in the sweep) nothing more
     * is coming: a connection the server accepted meanwhile (whose client
     * never got its transport) is aborted, not waited for, and a reference
     * its connection_made took after release_refs is dropped. */
    if (test_failed)
        CHECK_RC(cio_server_abort_clients(server), 0);
    CHECK_RC(wait_closed_limited(server, 5.0), 0);
    if (test_failed)
        release_refs();
    CHECK_RC(cio_unref(server), 0);
}

/* Connect a client side to 127.0.0.1:port; c->ref holds the reference. */
static cio_transport_t *connect_side(struct side *c, const cio_protocol_t *p, int port)
{
    cio_transport_t *t = NULL;
    int rc = cio_create_connection(p ? p : &cli_proto, c, "127.0.0.1", port, NULL, &t);
    CHECK_RC(rc, 0);
    if (rc < 0)
        return NULL;
    CHECK(t != NULL);
    /* asyncio: create_connection returns after connection_made has run
     * (checked in t_callback_order_full_life; here only waited for). */
    if (c->made == 0)
        WAIT_UNTIL(c->made == 1, 5.0);
    CHECK(c->t == t);
    c->ref = t;
    return t;
}

/* After a failed check (a setup that failed, in the sweep): abort every
 * connection still open, and give their connection_lost a moment, so that
 * none outlives the case. */
static int abort_open_sides(void)
{
    int n = 0;
    for (int i = 0; i < nsides; i++)
        if (sides[i].t && sides[i].made && !sides[i].lost) {
            cio_transport_abort(sides[i].t);
            n++;
        }
    return n;
}

static int open_sides(void)
{
    int n = 0;
    for (int i = 0; i < nsides; i++)
        n += sides[i].t && sides[i].made && !sides[i].lost;
    return n;
}

/* Drop every reference the sides hold (client transports, kept server ones). */
static void release_refs(void)
{
    if (test_failed && abort_open_sides()) {
        double dl = now_s() + 1.0;
        while (open_sides() && now_s() < dl)
            cio_sleep(0.001);
    }
    for (int i = 0; i < nsides; i++)
        if (sides[i].ref) {
            CHECK_RC(cio_unref(sides[i].ref), 0);
            sides[i].ref = NULL;
        }
    for (int k = 0; k < nsrvs; k++)
        for (int i = 0; i < srvs[k].n; i++)
            if (srvs[k].conns[i]->ref) {
                CHECK_RC(cio_unref(srvs[k].conns[i]->ref), 0);
                srvs[k].conns[i]->ref = NULL;
            }
}

/* Close a transport we hold and wait for connection_lost. */
static void close_and_wait(struct side *c)
{
    if (!c->ref)
        return;
    CHECK_OK(cio_transport_close(c->ref));
    WAIT_UNTIL(c->lost == 1, 5.0);
}

/* Write len pattern bytes from off in chunks; the first error is returned. */
static int write_pat(cio_transport_t *t, size_t off, size_t len, size_t chunk)
{
    for (size_t k = 0; k < len; k += chunk) {
        size_t n = len - k < chunk ? len - k : chunk;
        int rc = cio_transport_write(t, patbuf + off + k, n);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int sa_port(const struct sockaddr_storage *a)
{
    if (a->ss_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)a)->sin_port);
    if (a->ss_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)a)->sin6_port);
    return -1;
}

static int sa_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family)
        return 0;
    if (a->ss_family == AF_INET) {
        const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    if (a->ss_family == AF_INET6) {
        const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
        return x->sin6_port == y->sin6_port && memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
    }
    if (a->ss_family == AF_UNIX)
        return strcmp(((const struct sockaddr_un *)a)->sun_path, ((const struct sockaddr_un *)b)->sun_path) == 0;
    return 0;
}

/* A port nobody listens on (bound and released). */
static int free_port(int type)
{
    int fd = socket(AF_INET, type, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
        FAILF("free_port: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
        return 1;
    }
    close(fd);
    return ntohs(a.sin_port);
}

static int have_ipv6(void)
{
    int fd = socket(AF_INET6, SOCK_STREAM, 0);
    if (fd < 0)
        return 0;
    struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    int ok = bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

/* A plain TCP socket connected to 127.0.0.1:port (the kernel completes the
 * handshake from the listen backlog), then made non-blocking. */
static int raw_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        FAILF("raw_connect: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

/* Close with SO_LINGER 0: the peer gets a RST. */
static void raw_reset(int fd)
{
    struct linger lg = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd);
}

/* From a task: read a non-blocking fd until want bytes or EOF (*eof set) or
 * secs pass; returns the byte count. */
static size_t raw_read(int fd, char *buf, size_t cap, size_t want, int *eof, double secs)
{
    size_t got = 0;
    double dl = now_s() + secs;
    *eof = 0;
    while (got < want && now_s() < dl) {
        ssize_t n = recv(fd, buf + got, cap - got, 0);
        if (n > 0) {
            got += (size_t)n;
            continue;
        }
        if (n == 0) {
            *eof = 1;
            break;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            *eof = -errno;
            break;
        }
        cio_sleep(0.001);
    }
    return got;
}

static int getsockopt_int(int fd, int level, int opt)
{
    int v = -1;
    socklen_t len = sizeof v;
    if (getsockopt(fd, level, opt, &v, &len) < 0)
        return -errno;
    return v;
}

static void nomem_handler(cio_loop_t *loop, const cio_exc_context_t *ctx, void *ud)
{
    (void)ud;
    nomem_seen(ctx->error);
    cio_loop_default_exception_handler(loop, ctx);
}

/* A case's main task (case_fn), with nomem_handler on the loop. */
static cio_coro_fn *case_fn;
static int case_main(void *arg, void **result)
{
    (void)arg;
    cio_loop_t *loop = NULL;
    int rc = cio_get_running_loop(&loop);
    if (rc < 0)
        return rc;
    cio_loop_set_exception_handler(loop, nomem_handler, NULL);
    return case_fn(NULL, result);
}

static void run_case(cio_coro_fn *fn)
{
    patbuf_init();
    reset_state();
    nomem_at = 0;
    nomem_reported = 0;
    case_fn = fn;
    CHECK_RC(run_limited(case_main, NULL, NULL), 0);
}

/* ===================================================== basic connections */

/* An echo server (data_received writes back) and a client: 256 KiB in one
 * write and a writev come back exactly; the server transports are the
 * loop's (no reference taken here: the leak check sees them freed). */
static int m_echo(void *arg, void **result)
{
    struct srv *sv = new_srv();
    sv->tmpl.echo = 1;
    int port = 0;
    cio_server_t *server = start_srv(sv, NULL, "127.0.0.1", NULL, &port);
    if (!server)
        return -1;
    struct side *c = new_side('C');
    c->check_pat = 1;
    cio_transport_t *t = connect_side(c, NULL, port);
    if (!t)
        goto out;
    CHECK(cio_transport_get_ud(t) == c);
    CHECK_INT(cio_transport_is_closing(t), 0);
    CHECK_INT(cio_transport_is_reading(t), 1);
    CHECK_INT(cio_transport_get_write_buffer_size(t), 0);

    CHECK_RC(cio_transport_write(t, patbuf, 256 * KB), 0);
    WAIT_UNTIL(c->total >= 256 * KB, 5.0);
    CHECK_INT(c->total, 256 * KB);
    CHECK_INT(c->bad_at, -1);

    /* writev: the iovecs in order, an empty one included. */
    struct iovec iov[3] = {
        {patbuf + 256 * KB, 10},
        {patbuf + 256 * KB + 10, 0},
        {patbuf + 256 * KB + 10, 990},
    };
    CHECK_OK(cio_transport_writev(t, iov, 3));
    CHECK_OK(cio_transport_write(t, "", 0)); /* nothing */
    WAIT_UNTIL(c->total >= 256 * KB + 1000, 5.0);
    cio_sleep(0.02);
    CHECK_INT(c->total, 256 * KB + 1000);
    CHECK_INT(c->bad_at, -1);

    REQ(sv->n == 1);
    struct side *s = sv->conns[0];
    CHECK_INT(s->total, 256 * KB + 1000);
    CHECK_INT(s->write_err, 0);

    close_and_wait(c);
    WAIT_UNTIL(s->lost == 1, 5.0);
    CHECK_RC(c->lost_err, 0);
    CHECK_RC(s->lost_err, 0);
    CHECK_STR(c->log, "made data lost");
    CHECK_STR(s->log, "made data eof lost");
out:
    release_refs();
    stop_srv(server);
    return 0;
}

static void t_echo(void)
{
    run_case(m_echo);
}

/* A full connection life, both sides.  The client writes "hello" and
 * half-closes; the server answers "world" and, its eof_received returning 0,
 * closes after the flush; the client reads "world", then EOF, and closes.
 * asyncio: S "made data eof lost(None)", C "made data eof lost(None)". */
static int m_order(void *arg, void **result)
{
    struct srv *sv = new_srv();
    sv->tmpl.data_reply = "world";
    int port = 0;
    cio_server_t *server = start_srv(sv, NULL, "127.0.0.1", NULL, &port);
    if (!server)
        return -1;
    struct side *c = new_side('C');
    cio_transport_t *t = NULL;
    CHECK_RC(cio_create_connection(&cli_proto, c, "127.0.0.1", port, NULL, &t), 0);
    REQ(t != NULL);
    c->ref = t;
    /* asyncio: create_connection returns after connection_made has run */
    CHECK_INT(c->made, 1);
    REQ(WAIT_UNTIL(c->made == 1, 5.0));
    CHECK(c->t == t);
    CHECK_RC(cio_transport_write(t, "hello", 5), 0);
    CHECK_INT(cio_transport_can_write_eof(t), 1);
    CHECK_OK(cio_transport_write_eof(t));
    CHECK_INT(cio_transport_is_closing(t), 0); /* asyncio: write_eof is not close */
    WAIT_UNTIL(c->lost == 1, 5.0);
    REQ(WAIT_UNTIL(sv->n == 1 && sv->conns[0]->lost == 1, 5.0));
    struct side *s = sv->conns[0];
    CHECK_STR(s->text, "hello");
    CHECK_STR(c->text, "world");
    CHECK_STR(s->log, "made data eof lost");
    CHECK_STR(c->log, "made data eof lost");
    CHECK_RC(s->lost_err, 0);
    CHECK_RC(c->lost_err, 0);
    CHECK_INT(cio_transport_is_closing(t), 1);
out:
    release_refs();
    stop_srv(server);
    return 0;
}

static void t_callback_order_full_life(void)
{
    run_case(m_order);
}

/* ============================================================ buffered */

/* get_buffer/buffer_updated replace data_received: 1 MiB through a 64-byte
 * buffer on the server and a 97-byte buffer on the client, bytes exact. */
static int m_buffered(void *arg, void **result)
{
    struct srv *sv = new_srv();
    sv->tmpl.bufsize = 64;
    sv->tmpl.check_pat = 1;
    int port = 0;
    cio_server_t *server = start_srv(sv, &srv_buf_proto, "127.0.0.1", NULL, &port);
    if (!server)
        return -1;
    /* client -> buffered server */
    struct side *c = new_side('C');
    cio_transport_t *t = connect_side(c, NULL, port);
    if (!t)
        goto out;
    CHECK_RC(write_pat(t, 0, MB, 64 * KB), 0);
    CHECK_OK(cio_transport_write_eof(t));
    REQ(WAIT_UNTIL(sv->n == 1 && sv->conns[0]->lost == 1, 10.0));
    struct side *s = sv->conns[0];
    CHECK_INT(s->total, MB);
    CHECK_INT(s->bad_at, -1);
    CHECK_INT(s->datas, 0);
    CHECK(s->updates >= (int)(MB / 64));
    CHECK(s->gets >= s->updates);
    CHECK_STR(s->log, "made data eof lost");
    CHECK_RC(s->lost_err, 0);
    WAIT_UNTIL(c->lost == 1, 5.0);
    CHECK_RC(c->lost_err, 0);

    /* server -> buffered client: the server writes 1 MiB from connection_made
     * and closes (flushing first). */
    struct srv *sv2 = new_srv();
    sv2->tmpl.made_send = MB;
    sv2->tmpl.made_send_off = 5;
    sv2->tmpl.close_after_made_send = 1;
    int port2 = 0;
    cio_server_t *server2 = start_srv(sv2, NULL, "127.0.0.1", NULL, &port2);
    if (!server2)
        goto out;
    struct side *c2 = new_side('C');
    c2->bufsize = 97;
    c2->check_pat = 1;
    c2->pat_off = 5;
    if (connect_side(c2, &cli_buf_proto, port2)) {
        WAIT_UNTIL(c2->lost == 1, 10.0);
        CHECK_INT(c2->total, MB);
        CHECK_INT(c2->bad_at, -1);
        CHECK_INT(c2->datas, 0);
        CHECK(c2->updates >= (int)(MB / 97));
        CHECK_STR(c2->log, "made data eof lost");
        CHECK_RC(c2->lost_err, 0);
        WAIT_UNTIL(sv2->n == 1 && sv2->conns[0]->lost == 1, 5.0);
        if (sv2->n == 1)
            CHECK_RC(sv2->conns[0]->lost_err, 0);
    }
    release_refs();
    stop_srv(server2);
out:
    release_refs();
    stop_srv(server);
    return 0;
}

static void t_buffered_protocol_1mb(void)
{
    run_case(m_buffered);
}

/* ========================================================= flow control */

/* The server pauses reading; the client writes 8 MiB in 16 KiB writes.
 * pause_writing comes inside the write that takes the buffer above 64 KiB
 * (asyncio calls it synchronously: "write until paused" relies on it), once;
 * nothing reaches the paused server; after resume_reading, resume_writing
 * comes with the buffer at or below 16 KiB and all 8 MiB arrive exactly. */
static int m_flow_8mb(void *arg, void **result)
{
    struct srv *sv = new_srv();
    sv->tmpl.pause_on_made = 1;
    sv->tmpl.check_pat = 1;
    sv->tmpl.keep_ref = 1;
    int port = 0;
    cio_server_t *server = start_srv(sv, NULL, "127.0.0.1", NULL, &port);
    if (!server)
        return -1;
    struct side *c = new_side('C');
    cio_transport_t *t = connect_side(c, NULL, port);
    if (!t)
        goto out;
    REQ(WAIT_UNTIL(sv->n == 1, 5.0));
    struct side *s = sv->conns[0];
    CHECK_INT(cio_transport_is_reading(s->t), 0);

    const size_t total = 8 * MB, chunk = 16 * KB;
    size_t prev = 0;
    int seen = 0;
    for (size_t off = 0; off < total; off += chunk) {
        int rc = cio_transport_write(t, patbuf + off, chunk);
        if (rc < 0) {
            CHECK_RC(rc, 0);
            break;
        }
        size_t sz = cio_transport_get_write_buffer_size(t);
        if (!seen && c->pauses == 0 && sz > 64 * KB) {
            FAILF("write buffer at %zu > 64 KiB after a write, pause_writing not called", sz);
            seen = 1;
        }
        if (!seen && c->pauses == 1) {
            seen = 1;
            CHECK(c->size_at_pause > 64 * KB);
            CHECK(prev <= 64 * KB);
        }
        prev = sz;
    }
    CHECK_INT(c->pauses, 1);
    CHECK_INT(c->resumes, 0);
    CHECK(cio_transport_get_write_buffer_size(t) > 64 * KB);
    cio_sleep(0.05);
    CHECK_INT(s->datas, 0); /* paused: nothing delivered */
    CHECK_INT(s->total, 0);
    CHECK_INT(c->resumes, 0);

    CHECK_OK(cio_transport_resume_reading(s->t));
    CHECK_INT(cio_transport_is_reading(s->t), 1);
    WAIT_UNTIL(c->resumes == 1, 10.0);
    CHECK(c->size_at_resume <= 16 * KB);
    WAIT_UNTIL(s->total >= total, 10.0);
    CHECK_INT(s->total, total);
    CHECK_INT(s->bad_at, -1);
    CHECK_INT(c->pauses, 1);
    CHECK_INT(c->resumes, 1);
    CHECK_INT(cio_transport_get_write_buffer_size(t), 0);
    close_and_wait(c);
    WAIT_UNTIL(s->lost == 1, 5.0);
    CHECK_RC(c->lost_err, 0);
    CHECK_RC(s->lost_err, 0);
out:
    release_refs();
    stop_srv(server);
    return 0;
}

static void t_flow_control_8mb(void)
{
    run_case(m_flow_8mb);
}

/* Fill the socket: write chunks until something stays in the transport's
 * buffer.  Returns the bytes written (from *off on), advancing *off. */
static size_t fill_socket(cio_transport_t *t, size_t *off, size_t chunk)
{
    size_t start = *off;
    while (cio_transport_get_write_buffer_size(t) == 0 && *off + chunk <= PATBUF_SIZE) {
        int rc = cio_transport_write(t, patbuf + *off, chunk);
        if (rc < 0) {
            FAILF("write failed while filling the socket: %s", cio_err_name(rc));
            break;
        }
        *off += chunk;
    }
    return *off - start;
}

/* set_write_buffer_limits(4096, 1024): pause exactly at the write that takes
 * the buffer above 4096, resume at <= 1024; high < low is -EINVAL.  Then
 * limits (1 MiB, 0) and a 200 KiB buffer: no pause; back to the defaults
 * (0, 0): asyncio's set_write_buffer_limits pauses at once when the buffer
 * is already above the new high mark; resume comes at <= 16 KiB. */
static int m_limits(void *arg, void **result)
{
    struct srv *sv = new_srv();
    sv->tmpl.pause_on_made = 1;
    sv->tmpl.check_pat = 1;
    sv->tmpl.keep_ref = 1;
    int port = 0;
    cio_server_t *server = start_srv(sv, NULL, "127.0.0.1", NULL, &port);
    if (!server)
        return -1;
    struct side *c = new_side('C');
    cio_transport_t *t = connect_side(c, NULL, port);
    if (!t)
        goto out;
    REQ(WAIT_UNTIL(sv->n == 1, 5.0));
    struct side *s = sv->conns[0];

    size_t hi = 0, lo = 0;
    CHECK_OK(cio_transport_get_write_buffer_limits(t, &hi, &lo));
    CHECK_INT(hi, 64 * KB); /* asyncio's defaults */
    CHECK_INT(lo, 16 * KB);
    CHECK_OK(cio_transport_set_write_buffer_limits(t, 4096, 1024));
    CHECK_RC(cio_transport_set_write_buffer_limits(t, 1000, 2000), -EINVAL);
    CHECK_OK(cio_transport_get_write_buffer_limits(t, &hi, &lo));
    CHECK_INT(hi, 4096); /* the refused pair changed nothing */
    CHECK_INT(lo, 1024);
    CHECK_RC(cio_transport_get_write_buffer_limits(t, NULL, &lo), -EINVAL);
    CHECK_RC(cio_transport_get_write_buffer_limits(t, &hi, NULL), -EINVAL);
    CHECK_RC(cio_transport_get_write_buffer_limits(NULL, &hi, &lo), -EINVAL);
    size_t off = 0;
    int crossed = 0;
    while (c->pauses == 0 && off + KB <= 64 * MB && off + KB <= PATBUF_SIZE) {
        size_t before = cio_transport_get_write_buffer_size(t);
        int rc = cio_transport_write(t, patbuf + off, KB);
        if (rc < 0) {
            FAILF("write failed: %s", cio_err_name(rc));
            break;
        }
        off += KB;
        size_t sz = cio_transport_get_write_buffer_size(t);
        if (sz > 4096 && c->pauses == 0) {
            FAILF("buffer %zu > high 4096 without pause_writing", sz);
            break;
        }
        if (c->pauses == 1) {
            crossed = 1;
            CHECK(before <= 4096);
            CHECK(sz > 4096);
        }
    }
    CHECK(crossed);
    CHECK_INT(c->pauses, 1);
    CHECK(c->size_at_pause > 4096 && c->size_at_pause <= 4096 + KB);
    CHECK_OK(cio_transport_resume_reading(s->t));
    WAIT_UNTIL(c->resumes == 1, 5.0);
    CHECK(c->size_at_resume <= 1024);
    WAIT_UNTIL(s->total == off, 5.0);
    CHECK_INT(s->bad_at, -1);

    /* Raised high mark: a 200 KiB buffer does not pause. */
    CHECK_OK(cio_transport_pause_reading(s->t));
    CHECK_OK(cio_transport_set_write_buffer_limits(t, MB, 0));
    fill_socket(t, &off, 64 * KB);
    while (cio_transport_get_write_buffer_size(t) < 200 * KB && off + 64 * KB <= PATBUF_SIZE) {
        CHECK_RC(cio_transport_write(t, patbuf + off, 64 * KB), 0);
        off += 64 * KB;
    }
    CHECK(cio_transport_get_write_buffer_size(t) >= 200 * KB);
    CHECK_INT(c->pauses, 1);
    /* Defaults again (64 KiB / 16 KiB): above high now, so paused at once. */
    CHECK_OK(cio_transport_set_write_buffer_limits(t, 0, 0));
    CHECK_INT(c->pauses, 2);
    CHECK_OK(cio_transport_resume_reading(s->t));
    WAIT_UNTIL(c->resumes == 2, 5.0);
    CHECK(c->size_at_resume <= 16 * KB);
    WAIT_UNTIL(s->total == off, 5.0);
    CHECK_INT(s->bad_at, -1);
    CHECK_INT(cio_transport_get_write_buffer_size(t), 0);
    close_and_wait(c);
    WAIT_UNTIL(s->lost == 1, 5.0);
out:
    release_refs();
    stop_srv(server);
    return 0;
}

static void t_write_buffer_limits(void)
{
    run_case(m_limits);
}

/* pause_reading/resume_reading are idempotent; nothing is delivered while
 * paused; is_reading follows, and is 0 once the transport is closing
 * (asyncio 3.11: is_reading is `not closing and not paused`). */
static int m_pause_reading(void *arg, void **result)
{
    struct srv *sv = new_srv();
    sv->tmpl.keep_ref = 1;
    int port = 0;
    cio_server_t *server = start_srv(sv, NULL, "127.0.0.1", NULL, &port);
    if (!server)
        return -1;
    struct side *c = new_side('C');
    cio_transport_t *t = connect_side(c, NULL, port);
    if (!t)
        goto out;
    REQ(WAIT_UNTIL(sv->n == 1, 5.0));
    struct side *s = sv->conns[0];
    cio_transport_t *st = s->t;

    CHECK_INT(cio_transport_is_reading(st), 1);
    CHECK_OK(cio_transport_pause_reading(st));
    CHECK_OK(cio_transport_pause_reading(st));
    CHECK_INT(cio_transport_is_reading(st), 0);
    CHECK_RC(cio_transport_write(t, "abc", 3), 0);
    cio_sleep(0.05);
    CHECK_INT(s->total, 0);
    CHECK_OK(cio_transport_resume_reading(st));
    CHECK_INT(cio_transport_is_reading(st), 1);
    CHECK_OK(cio_transport_resume_reading(st));
    CHECK_INT(cio_transport_is_reading(st), 1);
    WAIT_UNTIL(s->total == 3, 5.0);
    CHECK_OK(cio_transport_pause_reading(st));
    CHECK_RC(cio_transport_write(t, "def", 3), 0);
    cio_sleep(0.05);
    CHECK_INT(s->total, 3);
    CHECK_OK(cio_transport_resume_reading(st));
    WAIT_UNTIL(s->total == 6, 5.0);
    CHECK_STR(s->text, "abcdef");

    /* the client side too */
    CHECK_OK(cio_transport_pause_reading(t));
    CHECK_INT(cio_transport_is_reading(t), 0);
    CHECK_RC(cio_transport_write(st, "xyz", 3), 0);
    cio_sleep(0.05);
    CHECK_INT(c->total, 0);
    CHECK_OK(cio_transport_resume_reading(t));
    WAIT_UNTIL(c->total == 3, 5.0);
    CHECK_STR(c->text, "xyz");

    CHECK_OK(cio_transport_close(t));
    CHECK_INT(cio_transport_is_reading(t), 0);
    cio_transport_resume_reading(t); /* asyncio: a no-op on a closing transport */
    CHECK_INT(cio_transport_is_reading(t), 0);
    WAIT_UNTIL(c->lost == 1, 5.0);
    WAIT_UNTIL(s->lost == 1, 5.0);
    CHECK_INT(cio_transport_is_reading(st), 0);
    CHECK_STR(s->log, "made data eof lost");
out:
    release_refs();
    stop_srv(server);
    return 0;
}

static void t_pause_resume_reading(void)
{
    run_case(m_pause_reading);
}

/* ============================================================ half-close */

/* write_eof: the server's eof_received returns 1 and writes "reply"; the
 * transport stays open, the server writes "more" later and then closes; the
 * client gets "replymore", then EOF.  Writing after write_eof fails
 * (asyncio: RuntimeError). */
static int m_half_open(void *arg, void **result)
{
    struct srv *sv = new_srv();
    sv->tmpl.eof_keep = 1;
    sv->tmpl.eof_reply = "reply";
    sv->tmpl.keep_ref = 1;
    int port = 0;
    cio_server_t *server = start_srv(sv, NULL, "127.0.0.1", NULL, &port);
    if (!server)
        return -1;
    struct side *c = new_side('C');
    cio_transport_t *t = connect_side(c, NULL, port);
    if (!t)
        goto out;
    CHECK_RC(cio_transport_write(t, "hi", 2), 0);
    CHECK_INT(cio_transport_can_write_eof(t), 1);
    CHECK_OK(cio_transport_write_eof(t));
    CHECK_INT(cio_transport_is_closing(t), 0);
    int rc = cio_transport_write(t, "x", 1);
    if (rc >= 0)
        FAILF("write after write_eof returned %d, expected an error", rc);
    REQ(WAIT_UNTIL(sv->n == 1 && sv->conns[0]->eofs == 1, 5.0));
    struct side *s = sv->conns[0];
    CHECK_STR(s->text, "hi");
    WAIT_UNTIL(c->textlen == 5, 5.0);
    CHECK_STR(c->text, "reply");
    cio_sleep(0.03);
    CHECK_INT(s->lost, 0);
    CHECK_INT(cio_transport_is_closing(s->t), 0);
    CHECK_INT(s->write_err, 0);
    CHECK_RC(cio_transport_write(s->t, "more", 4), 0);
    WAIT_UNTIL(c->textlen == 9, 5.0);
    CHECK_STR(c->text, "replymore");
    CHECK_INT(c->eofs, 0);
    CHECK_INT(c->lost, 0);
    CHECK_OK(cio_transport_close(s->t));
    WAIT_UNTIL(c->lost == 1 && s->lost == 1, 5.0);
    CHECK_STR(s->log, "made data eof lost");
    CHECK_STR(c->log, "made data eof lost");
    CHECK_RC(s->lost_err, 0);
    CHECK_RC(c->lost_err, 0);
out:
    release_refs();
    stop_srv(server);
    return 0;
}

static void t_write_eof_half_open(void)
{
    run_case(m_half_open);
}

/* A protocol without eof_received: EOF closes the transport (asyncio's
 * default eof_received returns None); connection_lost(0) follows. */
static int m_eof_null(void *arg, void **result)
{
    struct srv *sv = new_srv();
    sv->tmpl.made_send = 5;
    sv->tmpl.close_after_made_send = 1;
    int port = 0;
    cio_server_t *server = start_srv(sv, NULL, "127.0.0.1", NULL, &port);
    if (!server)
        return -1;
    struct side *c = new_side('C');
    c->check_pat = 1;
    cio_transport_t *t = connect_side(c, &cli_noeof_proto, port);
    if (!t)
        goto out;
    WAIT_UNTIL(c->lost == 1, 5.0);
    CHECK_INT(c->total, 5);
    CHECK_INT(c->bad_at, -1);
    CHECK_RC(c->lost_err, 0);
    CHECK_INT(cio_transport_is_closing(t), 1);
    CHECK_STR(c->log, "made data lost");
out:
    release_refs();
    stop_srv(server);
    return 0;
}

static void t_eof_received_null_closes(void)
{
    run_case(m_eof_null);
}

/* ====================================================== close and abort */

/* close() with data buffered (the server is paused): connection_lost does
 * not come until the data is out; after resume the server gets every byte,
 * then EOF.  Writes after close: CIO_ECLOSED. */
static int m_close_flushes(void *arg, void **result)
{
    struct srv *sv = new_srv();
    sv->tmpl.pause_on_made = 1;
    sv->tmpl.check_pat = 1;
    sv->tmpl.keep_ref = 1;
    int port = 0;
    cio_server_t *server = start_srv(sv, NULL, "127.0.0.1", NULL, &port);
    if (!server)
        return -1;
    struct side *c = new_side('C');
    cio_transport_t *t = connect_side(c, NULL, port);
    if (!t)
        goto out;
    REQ(WAIT_UNTIL(sv->n == 1, 5.0));
    struct side *s = sv->conns[0];
    size_t off = 0;
    fill_socket(t, &off, 64 * KB);
    CHECK_RC(write_pat(t, off, MB, 64 * KB), 0);
    off += MB;
    CHECK(cio_transport_get_write_buffer_size(t) > 0);
    CHECK_OK(cio_transport_close(t));
    CHECK_INT(c->lost, 0); /* from the loop, not inside close */
    CHECK_INT(cio_transport_is_closing(t), 1);
    CHECK_RC(cio_transport_write(t, "x", 1), CIO_ECLOSED);
    struct iovec iov = {"y", 1};
    CHECK_RC(cio_transport_writev(t, &iov, 1), CIO_ECLOSED);
    cio_transport_close(t); /* again: harmless */
    cio_sleep(0.05);
    CHECK_INT(c->lost, 0); /* still flushing: the server does not read */
    CHECK_OK(cio_transport_resume_reading(s->t));
    WAIT_UNTIL(s->lost == 1, 10.0);
    CHECK_INT(s->total, off);
    CHECK_INT(s->bad_at, -1);
    CHECK_STR(s->log, "made data eof lost");
    WAIT_UNTIL(c->lost == 1, 5.0);
    CHECK_RC(c->lost_err, 0);
    CHECK_RC(s->lost_err, 0);
    CHECK_STR(c->log, "made lost");
out:
    release_refs();
    stop_srv(server);
    return 0;
}

static void t_close_flushes_buffer(void)
{
    run_case(m_close_flushes);
}

/* abort() drops what is buffered: connection_lost(0) from the loop, once;
 * the server gets a prefix of the data without what was still in the
 * transport's buffer.  Also close-then-abort while flushing. */
static int m_abort(void *arg, void **result)
{
    struct srv *sv = new_srv();
    sv->tmpl.pause_on_made = 1;
    sv->tmpl.check_pat = 1;
    sv->tmpl.keep_ref = 1;
    int port = 0;
    cio_server_t *server = start_srv(sv, NULL, "127.0.0.1", NULL, &port);
    if (!server)
        return -1;
    for (int round = 0; round < 2; round++) {
        struct side *c = new_side('C');
        cio_transport_t *t = connect_side(c, NULL, port);
        if (!t)
            break;
        if (!WAIT_UNTIL(sv->n == round + 1, 5.0))
            break;
        struct side *s = sv->conns[round];
        size_t off = 0;
        fill_socket(t, &off, 64 * KB);
        CHECK_RC(write_pat(t, off, 2 * MB, 64 * KB), 0);
        off += 2 * MB;
        size_t buffered = cio_transport_get_write_buffer_size(t);
        CHECK(buffered > 2 * MB - 64 * KB);
        if (round == 1) {
            CHECK_OK(cio_transport_close(t)); /* flushing ... */
            CHECK_INT(c->lost, 0);
        }
        CHECK_OK(cio_transport_abort(t)); /* ... then dropped */
        CHECK_INT(c->lost, 0);            /* from the loop */
        CHECK_INT(cio_transport_is_closing(t), 1);
        CHECK_RC(cio_transport_write(t, "x", 1), CIO_ECLOSED);
        CHECK_INT(cio_transport_get_write_buffer_size(t), 0);
        cio_transport_abort(t); /* again: harmless */
        cio_transport_close(t);
        WAIT_UNTIL(c->lost == 1, 5.0);
        CHECK_RC(c->lost_err, 0);
        cio_sleep(0.02);
        CHECK_INT(c->lost, 1);
        CHECK_STR(c->log, "made lost");
        CHECK_OK(cio_transport_resume_reading(s->t));
        WAIT_UNTIL(s->lost == 1, 10.0);
        if (s->total > off - buffered)
            FAILF("round %d: the server got %zu bytes, more than the %zu that had left the buffer", round,
                  s->total, off - buffered);
        CHECK_INT(s->bad_at, -1);
    }
    release_refs();
    stop_srv(server);
    return 0;
}

static void t_abort_drops_buffer(void)
{
    run_case(m_abort);
}

/* connection_lost exactly once through close, close and abort; the
 * transport from create_connection stays valid until our unref; a server
 * transport kept with cio_ref stays valid after connection_lost; and
 * wait_closed does not wait for such references (asyncio detaches the
 * transport from the server at connection_lost). */
static int m_lost_once_and_refs(void *arg, void **result)
{
    struct srv *sv = new_srv();
    sv->tmpl.keep_ref = 1;
    int port = 0;
    cio_server_t *server = start_srv(sv, NULL, "127.0.0.1", NULL, &port);
    if (!server)
        return -1;
    struct side *c = new_side('C');
    cio_transport_t *t = connect_side(c, NULL, port);
    if (!t)
        goto out;
    REQ(WAIT_UNTIL(sv->n == 1, 5.0));
    struct side *s = sv->conns[0];
    CHECK_OK(cio_transport_close(t));
    cio_transport_close(t);
    cio_transport_abort(t);
    WAIT_UNTIL(c->lost == 1 && s->lost == 1, 5.0);
    cio_sleep(0.03);
    CHECK_INT(c->lost, 1);
    CHECK_INT(s->lost, 1);
    CHECK_RC(c->lost_err, 0);
    CHECK_RC(s->lost_err, 0);
    /* both still valid through our references */
    CHECK_INT(cio_transport_is_closing(t), 1);
    CHECK_INT(cio_transport_is_closing(s->t), 1);
    CHECK_RC(cio_transport_write(s->t, "x", 1), CIO_ECLOSED);
    CHECK_RC(cio_transport_write(t, "x", 1), CIO_ECLOSED);
    CHECK(cio_transport_get_ud(s->t) == s);
    /* the server's connection is gone although we hold a reference */
    CHECK_OK(cio_server_close(server));
    CHECK_RC(wait_closed_limited(server, 2.0), 0);
out:
    release_refs();
    stop_srv(server);
    return 0;
}

static void t_lost_once_and_references(void)
{
    run_case(m_lost_once_and_refs);
}

/* A peer's reset: connection_lost with a negative error (-ECONNRESET, or
 * -EPIPE if a send sees it first), no eof_received.  Server side (a raw
 * client resets) and client side (a raw server resets). */
static int m_peer_reset(void *arg, void **result)
{
    struct srv *sv = new_srv();
    int port = 0;
    cio_server_t *server = start_srv(sv, NULL, "127.0.0.1", NULL, &port);
    if (!server)
        return -1;
    int fd = raw_connect(port);
    if (fd >= 0) {
        if (WAIT_UNTIL(sv->n == 1 && sv->conns[0]->made == 1, 5.0)) {
            struct side *s = sv->conns[0];
            CHECK(send(fd, "ab", 2, MSG_NOSIGNAL) == 2);
            WAIT_UNTIL(s->total == 2, 5.0);
            raw_reset(fd);
            fd = -1;
            WAIT_UNTIL(s->lost == 1, 5.0);
            if (s->lost_err != -ECONNRESET && s->lost_err != -EPIPE)
                FAILF("server connection_lost(%d %s), expected -ECONNRESET or -EPIPE", s->lost_err,
                      cio_err_name(s->lost_err));
            CHECK_INT(s->eofs, 0);
            CHECK_STR(s->log, "made data lost");
        }
        if (fd >= 0)
            close(fd);
    }
    stop_srv(server);

    /* client side: a raw listener accepts, then resets */
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(lfd, 4) < 0 ||
        getsockname(lfd, (struct sockaddr *)&a, &len) < 0) {
        FAILF("raw listener: %s", strerror(errno));
        if (lfd >= 0)
            close(lfd);
        return 0;
    }
    fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) | O_NONBLOCK);
    struct side *c = new_side('C');
    cio_transport_t *t = connect_side(c, NULL, ntohs(a.sin_port));
    if (t) {
        int afd = -1;
        double dl = now_s() + 5.0;
        while ((afd = accept(lfd, NULL, NULL)) < 0 && now_s() < dl)
            cio_sleep(0.001);
        CHECK(afd >= 0);
        if (afd >= 0) {
            CHECK(send(afd, "xy", 2, MSG_NOSIGNAL) == 2);
            WAIT_UNTIL(c->total == 2, 5.0);
            raw_reset(afd);
            WAIT_UNTIL(c->lost == 1, 5.0);
            if (c->lost_err != -ECONNRESET && c->lost_err != -EPIPE)
                FAILF("client connection_lost(%d %s), expected -ECONNRESET or -EPIPE", c->lost_err,
                      cio_err_name(c->lost_err));
            CHECK_INT(c->eofs, 0);
            CHECK_INT(cio_transport_is_closing(t), 1);
            CHECK_STR(c->log, "made data lost");
        } else {
            cio_transport_abort(t);
            WAIT_UNTIL(c->lost == 1, 5.0);
        }
    }
    close(lfd);
    release_refs();
    return 0;
}

static void t_peer_reset(void)
{
    run_case(m_peer_reset);
}

/* ============================================================ addresses */

/* peername/sockname/fd of both ends agree with each other and with the
 * kernel; TCP_NODELAY is on for both (asyncio sets it on TCP transports). */
static int m_addresses(void *arg, void **result)
{
    struct srv *sv = new_srv();
    sv->tmpl.keep_ref = 1;
    int port = 0;
    cio_server_t *server = start_srv(sv, NULL, "127.0.0.1", NULL, &port);
    if (!server)
        return -1;
    struct side *c = new_side('C');
    cio_transport_t *t = connect_side(c, NULL, port);
    if (!t)
        goto out;
    REQ(WAIT_UNTIL(sv->n == 1, 5.0));
    struct side *s = sv->conns[0];
    struct sockaddr_storage cpeer, cself, speer, sself, k;
    socklen_t l1 = sizeof cpeer, l2 = sizeof cself, l3 = sizeof speer, l4 = sizeof sself, lk = sizeof k;
    CHECK_RC(cio_transport_peername(t, &cpeer, &l1), 0);
    CHECK_RC(cio_transport_sockname(t, &cself, &l2), 0);
    CHECK_RC(cio_transport_peername(s->t, &speer, &l3), 0);
    CHECK_RC(cio_transport_sockname(s->t, &sself, &l4), 0);
    cio_tls_cipher_t ci;
    size_t clen = 0;
    CHECK_RC(cio_transport_tls_cipher(t, &ci), -ENOTSUP); /* plain (every one, built without TLS) */
    CHECK_RC(cio_transport_tls_peer_subject(s->t, NULL, &clen), -ENOTSUP);
    CHECK(cio_transport_tls_ssl_object(t) == NULL);
    CHECK_INT(l1, sizeof(struct sockaddr_in));
    CHECK_INT(l2, sizeof(struct sockaddr_in));
    CHECK_INT(cpeer.ss_family, AF_INET);
    CHECK_INT(sa_port(&cpeer), port);
    CHECK_INT(ntohl(((struct sockaddr_in *)&cpeer)->sin_addr.s_addr), INADDR_LOOPBACK);
    CHECK(sa_equal(&cpeer, &sself));
    CHECK(sa_equal(&cself, &speer));
    int cfd = cio_transport_fd(t), sfd = cio_transport_fd(s->t);
    CHECK(cfd >= 0 && sfd >= 0 && cfd != sfd);
    if (cfd >= 0) {
        CHECK_INT(getsockname(cfd, (struct sockaddr *)&k, &lk), 0);
        CHECK(sa_equal(&k, &cself));
        CHECK_INT(getsockopt_int(cfd, IPPROTO_TCP, TCP_NODELAY), 1);
        CHECK_INT(fcntl(cfd, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
    }
    if (sfd >= 0)
        CHECK_INT(getsockopt_int(sfd, IPPROTO_TCP, TCP_NODELAY), 1);
    close_and_wait(c);
    WAIT_UNTIL(s->lost == 1, 5.0);
out:
    release_refs();
    stop_srv(server);
    return 0;
}

static void t_peername_sockname_fd(void)
{
    run_case(m_addresses);
}

/* =============================================================== servers */

static int m_server_basics(void *arg, void **result)
{
    struct srv *sv = new_srv();
    sv->tmpl.echo = 1;
    cio_server_opts_t opts = {.keep_alive = 1, .backlog = 16};
    int port = 0;
    cio_server_t *server = start_srv(sv, NULL, "127.0.0.1", &opts, &port);
    if (!server)
        return -1;
    CHECK_INT(cio_server_is_serving(server), 1); /* asyncio: start_serving=True by default */
    int fds[4] = {-1, -1, -1, -1};
    CHECK_INT(cio_server_sockets(server, fds, 4), 1);
    CHECK_INT(cio_server_sockets(server, NULL, 0), 1); /* how many there are */
    if (fds[0] >= 0) {
        struct sockaddr_storage a;
        socklen_t len = sizeof a;
        CHECK_INT(getsockname(fds[0], (struct sockaddr *)&a, &len), 0);
        CHECK_INT(sa_port(&a), port);
        CHECK_INT(getsockopt_int(fds[0], SOL_SOCKET, SO_ACCEPTCONN), 1);
        CHECK_INT(getsockopt_int(fds[0], SOL_SOCKET, SO_REUSEADDR), 1); /* default on */
    }
    struct side *c = new_side('C');
    cio_transport_t *t = connect_side(c, NULL, port);
    if (t) {
        CHECK_RC(cio_transport_write(t, "ping", 4), 0);
        WAIT_UNTIL(c->total == 4, 5.0);
        CHECK_STR(c->text, "ping");
        if (sv->n == 1 && !sv->conns[0]->lost) {
            int sfd = cio_transport_fd(sv->conns[0]->t);
            CHECK_INT(getsockopt_int(sfd, SOL_SOCKET, SO_KEEPALIVE), 1);
        }
        close_and_wait(c);
    }
    WAIT_UNTIL(sv->n == 1 && sv->conns[0]->lost, 5.0);

    CHECK_OK(cio_server_close(server));
    CHECK_INT(cio_server_is_serving(server), 0);
    CHECK_INT(cio_server_sockets(server, fds, 4), 0); /* asyncio: sockets == () once closed */
    cio_server_close(server);                          /* again: harmless */
    /* nobody listens any more */
    struct side *c2 = new_side('C');
    cio_transport_t *t2 = NULL;
    CHECK_RC(cio_create_connection(&cli_proto, c2, "127.0.0.1", port, NULL, &t2), -ECONNREFUSED);
    CHECK_INT(c2->made, 0);
    CHECK_RC(wait_closed_limited(server, 2.0), 0);
    CHECK_RC(wait_closed_limited(server, 2.0), 0); /* again: at once */
    release_refs();
    CHECK_RC(cio_unref(server), 0);
    return 0;
}

static void t_server_basics(void)
{
    run_case(m_server_basics);
}

/* delay_start: nothing is accepted until start_serving (a raw connect made
 * before may be refused, as asyncio listens only then, or wait in the
 * backlog); afterwards connections are served. */
static int m_delay_start(void *arg, void **result)
{
    struct srv *sv = new_srv();
    sv->tmpl.echo = 1;
    cio_server_opts_t opts = {.delay_start = 1};
    int port = 0;
    cio_server_t *server = start_srv(sv, NULL, "127.0.0.1", &opts, &port);
    if (!server)
        return -1;
    CHECK_INT(cio_server_is_serving(server), 0);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int crc = connect(fd, (struct sockaddr *)&a, sizeof a);
    int early = crc == 0 || errno == EINPROGRESS;
    cio_sleep(0.05);
    CHECK_INT(sv->n, 0);
    CHECK_INT(cio_server_is_serving(server), 0);
    CHECK_OK(cio_server_start_serving(server));
    CHECK_INT(cio_server_is_serving(server), 1);
    CHECK_OK(cio_server_start_serving(server)); /* again: nothing */
    if (early && getsockopt_int(fd, SOL_SOCKET, SO_ERROR) == 0)
        WAIT_UNTIL(sv->n == 1, 5.0); /* the early one is accepted now */
    close(fd);
    int before = sv->n;
    struct side *c = new_side('C');
    cio_transport_t *t = connect_side(c, NULL, port);
    if (t) {
        CHECK_RC(cio_transport_write(t, "late", 4), 0);
        WAIT_UNTIL(c->total == 4, 5.0);
        CHECK_STR(c->text, "late");
        CHECK_INT(sv->n, before + 1);
        close_and_wait(c);
    }
    for (int i = 0; i < sv->n; i++)
        WAIT_UNTIL(sv->conns[i]->lost == 1, 5.0);
    release_refs();
    stop_srv(server);
    return 0;
}

static void t_server_delay_start(void)
{
    run_case(m_delay_start);
}

static int body_wait_closed(void *arg, void **result)
{
    return cio_server_wait_closed(arg);
}

/* close() stops listening, the existing connection goes on; wait_closed
 * waits until it is gone (asyncio 3.12.1+). */
static int m_close_keeps_connections(void *arg, void **result)
{
    struct srv *sv = new_srv();
    sv->tmpl.echo = 1;
    int port = 0;
    cio_server_t *server = start_srv(sv, NULL, "127.0.0.1", NULL, &port);
    if (!server)
        return -1;
    struct side *c = new_side('C');
    cio_transport_t *t = connect_side(c, NULL, port);
    cio_task_t *w = NULL;
    if (!t)
        goto out;
    REQ(WAIT_UNTIL(sv->n == 1, 5.0));
    CHECK_OK(cio_server_close(server));
    CHECK_INT(cio_server_is_serving(server), 0);
    w = cio_create_task(body_wait_closed, server);
    REQ(w != NULL);
    CHECK_RC(cio_transport_write(t, "still", 5), 0);
    WAIT_UNTIL(c->total == 5, 5.0);
    CHECK_STR(c->text, "still");
    struct side *c2 = new_side('C');
    cio_transport_t *t2 = NULL;
    CHECK_RC(cio_create_connection(&cli_proto, c2, "127.0.0.1", port, NULL, &t2), -ECONNREFUSED);
    cio_sleep(0.05);
    CHECK_INT(cio_future_done(w), 0); /* the connection is still there */
    close_and_wait(c);
    WAIT_UNTIL(sv->conns[0]->lost == 1, 5.0);
    CHECK_RC(sv->conns[0]->lost_err, 0);
    WAIT_UNTIL(cio_future_done(w), 5.0);
    if (cio_future_done(w))
        CHECK_RC(cio_future_result(w, NULL), 0);
out:
    if (w) {
        if (!cio_future_done(w)) {
            cio_task_cancel(w, NULL);
            cio_wait_for(w, 5.0, NULL);
        }
        cio_unref(w);
    }
    release_refs();
    stop_srv(server);
    return 0;
}

static void t_server_close_keeps_connections(void)
{
    run_case(m_close_keeps_connections);
}

/* close_clients closes every connection after flushing it: the paused
 * client still gets all of the 4 MiB the server had buffered, then EOF;
 * every side sees connection_lost(0); wait_closed returns. */
static int m_close_clients(void *arg, void **result)
{
    struct srv *sv = new_srv();
    int port = 0;
    cio_server_t *server = start_srv(sv, NULL, "127.0.0.1", NULL, &port);
    if (!server)
        return -1;
    struct side *c[3] = {NULL, NULL, NULL};
    for (int i = 0; i < 3; i++) {
        c[i] = new_side('C');
        if (i == 0) {
            c[i]->pause_on_made = 1;
            c[i]->check_pat = 1;
        }
        if (!connect_side(c[i], NULL, port) || !WAIT_UNTIL(sv->n == i + 1, 5.0))
            goto out;
    }
    /* conns[i] is c[i]'s: they were connected one after the other */
    size_t off = 0;
    REQ(!sv->conns[0]->lost); /* failed (out of memory): its transport is gone */
    fill_socket(sv->conns[0]->t, &off, 64 * KB);
    CHECK_RC(write_pat(sv->conns[0]->t, off, 2 * MB, 64 * KB), 0);
    off += 2 * MB;
    CHECK(cio_transport_get_write_buffer_size(sv->conns[0]->t) > 0);
    CHECK_OK(cio_server_close(server));
    CHECK_OK(cio_server_close_clients(server));
    WAIT_UNTIL(c[1]->lost == 1 && c[2]->lost == 1, 5.0);
    for (int i = 1; i < 3; i++) {
        CHECK_STR(c[i]->log, "made eof lost");
        CHECK_RC(c[i]->lost_err, 0);
    }
    cio_sleep(0.02);
    CHECK_INT(sv->conns[0]->lost, 0); /* still flushing to the paused client */
    CHECK_OK(cio_transport_resume_reading(c[0]->ref));
    WAIT_UNTIL(c[0]->lost == 1, 10.0);
    CHECK_INT(c[0]->total, off);
    CHECK_INT(c[0]->bad_at, -1);
    CHECK_STR(c[0]->log, "made data eof lost");
    for (int i = 0; i < 3; i++) {
        WAIT_UNTIL(sv->conns[i]->lost == 1, 5.0);
        CHECK_RC(sv->conns[i]->lost_err, 0);
    }
    CHECK_RC(wait_closed_limited(server, 5.0), 0);
out:
    for (int i = 0; i < 3; i++)
        if (c[i] && c[i]->ref && !c[i]->lost) {
            cio_transport_abort(c[i]->ref);
            WAIT_UNTIL(c[i]->lost == 1, 5.0);
        }
    release_refs();
    stop_srv(server);
    return 0;
}

static void t_server_close_clients(void)
{
    run_case(m_close_clients);
}

/* abort_clients drops the server's buffered data: the paused client gets
 * less than was written; every server side sees connection_lost(0). */
static int m_abort_clients(void *arg, void **result)
{
    struct srv *sv = new_srv();
    int port = 0;
    cio_server_t *server = start_srv(sv, NULL, "127.0.0.1", NULL, &port);
    if (!server)
        return -1;
    struct side *c[2] = {NULL, NULL};
    for (int i = 0; i < 2; i++) {
        c[i] = new_side('C');
        if (i == 0) {
            c[i]->pause_on_made = 1;
            c[i]->check_pat = 1;
        }
        if (!connect_side(c[i], NULL, port) || !WAIT_UNTIL(sv->n == i + 1, 5.0))
            goto out;
    }
    size_t off = 0;
    REQ(!sv->conns[0]->lost); /* failed (out of memory): its transport is gone */
    fill_socket(sv->conns[0]->t, &off, 64 * KB);
    CHECK_RC(write_pat(sv->conns[0]->t, off, 2 * MB, 64 * KB), 0);
    off += 2 * MB;
    size_t buffered = cio_transport_get_write_buffer_size(sv->conns[0]->t);
    CHECK(buffered > MB);
    CHECK_OK(cio_server_close(server));
    CHECK_OK(cio_server_abort_clients(server));
    CHECK_INT(sv->conns[0]->lost, 0); /* from the loop */
    WAIT_UNTIL(sv->conns[0]->lost == 1 && sv->conns[1]->lost == 1, 5.0);
    for (int i = 0; i < 2; i++)
        CHECK_RC(sv->conns[i]->lost_err, 0);
    WAIT_UNTIL(c[1]->lost == 1, 5.0);
    CHECK_OK(cio_transport_resume_reading(c[0]->ref));
    WAIT_UNTIL(c[0]->lost == 1, 5.0);
    if (c[0]->total > off - buffered)
        FAILF("the client got %zu bytes, more than the %zu that had left the server's buffer", c[0]->total,
              off - buffered);
    CHECK_INT(c[0]->bad_at, -1);
    CHECK_RC(wait_closed_limited(server, 5.0), 0);
out:
    for (int i = 0; i < 2; i++)
        if (c[i] && c[i]->ref && !c[i]->lost) {
            cio_transport_abort(c[i]->ref);
            WAIT_UNTIL(c[i]->lost == 1, 5.0);
        }
    release_refs();
    stop_srv(server);
    return 0;
}

static void t_server_abort_clients(void)
{
    run_case(m_abort_clients);
}

/* hosts: one listening socket per host (127.0.0.1 and ::1 when IPv6 is
 * there); each serves; cio_server_port is the first socket's port.  A
 * client to "localhost" with family AF_INET resolves and connects. */
static int m_hosts(void *arg, void **result)
{
    int v6 = have_ipv6();
    if (!v6)
        printf("  (no IPv6 loopback: ::1 skipped)\n");
    const char *hosts6[] = {"127.0.0.1", "::1", NULL};
    const char *hosts4[] = {"127.0.0.1", NULL};
    struct srv *sv = new_srv();
    sv->tmpl.echo = 1;
    cio_server_opts_t opts = {.hosts = v6 ? hosts6 : hosts4};
    int port = 0;
    cio_server_t *server = start_srv(sv, NULL, NULL, &opts, &port);
    if (!server)
        return -1;
    int fds[4] = {-1, -1, -1, -1};
    int n = cio_server_sockets(server, fds, 4);
    CHECK_INT(n, v6 ? 2 : 1);
    int seen4 = 0, seen6 = 0, port4 = port;
    for (int i = 0; i < n && i < 4; i++) {
        struct sockaddr_storage a;
        socklen_t len = sizeof a;
        if (getsockname(fds[i], (struct sockaddr *)&a, &len) < 0) {
            FAILF("getsockname(listening fd %d): %s", fds[i], strerror(errno));
            continue;
        }
        if (i == 0)
            CHECK_INT(sa_port(&a), port);
        const char *host = a.ss_family == AF_INET6 ? "::1" : "127.0.0.1";
        if (a.ss_family == AF_INET6) {
            seen6++;
            CHECK(IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)&a)->sin6_addr));
        } else {
            seen4++;
            port4 = sa_port(&a);
            CHECK_INT(ntohl(((struct sockaddr_in *)&a)->sin_addr.s_addr), INADDR_LOOPBACK);
        }
        struct side *c = new_side('C');
        cio_transport_t *t = NULL;
        int rc = cio_create_connection(&cli_proto, c, host, sa_port(&a), NULL, &t);
        CHECK_RC(rc, 0);
        if (rc < 0)
            continue;
        c->ref = t;
        struct sockaddr_storage p;
        socklen_t pl = sizeof p;
        CHECK_RC(cio_transport_peername(t, &p, &pl), 0);
        CHECK(sa_equal(&p, &a));
        CHECK_RC(cio_transport_write(t, host, strlen(host)), 0);
        WAIT_UNTIL(c->total == strlen(host), 5.0);
        CHECK_STR(c->text, host);
        close_and_wait(c);
    }
    CHECK_INT(seen4, 1);
    CHECK_INT(seen6, v6 ? 1 : 0);

    /* a name, resolved in the thread pool */
    struct side *c = new_side('C');
    cio_conn_opts_t co = {.family = AF_INET};
    cio_transport_t *t = NULL;
    CHECK_RC(cio_create_connection(&cli_proto, c, "localhost", port4, &co, &t), 0);
    if (t) {
        c->ref = t;
        WAIT_UNTIL(c->made == 1, 5.0);
        CHECK_RC(cio_transport_write(t, "name", 4), 0);
        WAIT_UNTIL(c->total == 4, 5.0);
        CHECK_STR(c->text, "name");
        close_and_wait(c);
    }
    for (int i = 0; i < sv->n; i++)
        WAIT_UNTIL(sv->conns[i]->lost == 1, 5.0);
    release_refs();
    stop_srv(server);
    return 0;
}

static void t_server_hosts_list(void)
{
    run_case(m_hosts);
}

/* reuse_port: two servers on one port, every connection served by one of
 * them; without it the second bind fails with -EADDRINUSE. */
static int m_reuse_port(void *arg, void **result)
{
    struct srv *sv1 = new_srv(), *sv2 = new_srv();
    sv1->tmpl.echo = sv2->tmpl.echo = 1;
    cio_server_opts_t opts = {.reuse_port = 1};
    int port = 0;
    cio_server_t *s1 = start_srv(sv1, NULL, "127.0.0.1", &opts, &port), *s2 = NULL;
    if (!s1)
        return -1;
    CHECK_RC(cio_create_server(&srv_proto, sv2, "127.0.0.1", port, &opts, &s2), 0);
    if (s2) {
        CHECK_INT(cio_server_port(s2), port);
        int fds[2] = {-1, -1};
        CHECK_INT(cio_server_sockets(s2, fds, 2), 1);
        if (fds[0] >= 0)
            CHECK_INT(getsockopt_int(fds[0], SOL_SOCKET, SO_REUSEPORT), 1);
    }
    cio_server_t *s3 = NULL;
    cio_server_opts_t plain = {0};
    struct srv *sv3 = new_srv();
    CHECK_RC(cio_create_server(&srv_proto, sv3, "127.0.0.1", port, &plain, &s3), -EADDRINUSE);
    if (s3)
        stop_srv(s3);
    for (int i = 0; i < 16; i++) {
        struct side *c = new_side('C');
        cio_transport_t *t = connect_side(c, NULL, port);
        if (!t)
            break;
        CHECK_RC(cio_transport_write(t, "r", 1), 0);
        WAIT_UNTIL(c->total == 1, 5.0);
        close_and_wait(c);
    }
    WAIT_UNTIL(sv1->n + sv2->n == 16, 5.0);
    for (int i = 0; i < sv1->n; i++)
        WAIT_UNTIL(sv1->conns[i]->lost == 1, 5.0);
    for (int i = 0; i < sv2->n; i++)
        WAIT_UNTIL(sv2->conns[i]->lost == 1, 5.0);
    release_refs();
    stop_srv(s2);
    stop_srv(s1);
    return 0;
}

static void t_server_reuse_port(void)
{
    run_case(m_reuse_port);
}

/* ========================================================== Unix sockets */

static char tmpdir[64];

static int make_tmpdir(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/cio-tr-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        FAILF("mkdtemp: %s", strerror(errno));
        return -1;
    }
    return 0;
}

static void tmppath(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "%s/%s", tmpdir, name);
}

/* A socket file nobody listens on (bound, then closed). */
static void make_stale_socket(const char *path, int type)
{
    int fd = socket(AF_UNIX, type, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof a.sun_path)
        FAILF("path too long: %s", path);
    memcpy(a.sun_path, path, strlen(path) + 1);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0)
        FAILF("stale socket %s: %s", path, strerror(errno));
    if (fd >= 0)
        close(fd);
}

static int file_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static int m_unix(void *arg, void **result)
{
    if (make_tmpdir() < 0)
        return 0;
    char path[128], missing[128], regular[128];
    tmppath(path, sizeof path, "s.sock");
    tmppath(missing, sizeof missing, "missing.sock");
    tmppath(regular, sizeof regular, "regular");

    /* nothing there, and a socket file nobody listens on */
    struct side *c0 = new_side('C');
    cio_transport_t *t0 = NULL;
    CHECK_RC(cio_create_unix_connection(&cli_proto, c0, missing, NULL, &t0), -ENOENT);
    make_stale_socket(path, SOCK_STREAM);
    CHECK_RC(cio_create_unix_connection(&cli_proto, c0, path, NULL, &t0), -ECONNREFUSED);
    CHECK_INT(c0->made, 0);

    /* the stale file is removed before bind */
    struct srv *sv = new_srv();
    sv->tmpl.echo = 1;
    cio_server_t *server = NULL;
    CHECK_RC(cio_create_unix_server(&srv_proto, sv, path, NULL, &server), 0);
    if (server) {
        CHECK_INT(cio_server_is_serving(server), 1);
        CHECK_INT(cio_server_sockets(server, NULL, 0), 1);
        struct side *c = new_side('C');
        cio_transport_t *t = NULL;
        CHECK_RC(cio_create_unix_connection(&cli_proto, c, path, NULL, &t), 0);
        if (t) {
            c->ref = t;
            WAIT_UNTIL(c->made == 1, 5.0);
            struct sockaddr_storage a;
            socklen_t len = sizeof a;
            CHECK_RC(cio_transport_peername(t, &a, &len), 0);
            CHECK_INT(a.ss_family, AF_UNIX);
            CHECK_STR(((struct sockaddr_un *)&a)->sun_path, path);
            CHECK_INT(cio_transport_can_write_eof(t), 1);
            CHECK_RC(cio_transport_write(t, "unix!", 5), 0);
            WAIT_UNTIL(c->total == 5, 5.0);
            CHECK_STR(c->text, "unix!");
            CHECK_OK(cio_transport_write_eof(t)); /* the server closes at EOF */
            WAIT_UNTIL(c->lost == 1, 5.0);
            CHECK_STR(c->log, "made data eof lost");
            CHECK_RC(c->lost_err, 0);
        }
        WAIT_UNTIL(sv->n == 1 && sv->conns[0]->lost == 1, 5.0);
        CHECK_OK(cio_server_close(server));
        CHECK(!file_exists(path)); /* removed at close */
        CHECK_RC(wait_closed_limited(server, 5.0), 0);
        release_refs();
        CHECK_RC(cio_unref(server), 0);
    }

    /* no_cleanup_socket keeps the file */
    cio_server_opts_t keep = {.no_cleanup_socket = 1};
    server = NULL;
    struct srv *sv2 = new_srv();
    CHECK_RC(cio_create_unix_server(&srv_proto, sv2, path, &keep, &server), 0);
    if (server) {
        stop_srv(server);
        CHECK(file_exists(path));
    }
    unlink(path);

    /* a regular file is not a stale socket: left alone, bind fails */
    FILE *f = fopen(regular, "w");
    if (f)
        fclose(f);
    server = NULL;
    struct srv *sv3 = new_srv();
    CHECK_RC(cio_create_unix_server(&srv_proto, sv3, regular, NULL, &server), -EADDRINUSE);
    if (server)
        stop_srv(server);
    CHECK(file_exists(regular));
    unlink(regular);

    CHECK_INT(rmdir(tmpdir), 0); /* nothing left behind */
    return 0;
}

static void t_unix_server_and_connection(void)
{
    run_case(m_unix);
}

/* connect_accepted_socket on one end of a socketpair: connection_made runs
 * from the loop (not inside the call); data both ways; the raw end's
 * shutdown is eof_received; the fd belongs to the transport. */
static int m_accepted_socket(void *arg, void **result)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        FAILF("socketpair: %s", strerror(errno));
        return 0;
    }
    fcntl(sv[1], F_SETFL, fcntl(sv[1], F_GETFL) | O_NONBLOCK);
    struct side *s = new_side('S');
    s->echo = 1;
    cio_transport_t *t = NULL;
    CHECK_RC(cio_connect_accepted_socket(&cli_proto, s, sv[0], NULL, &t), 0);
    if (!t) {
        close(sv[0]);
        close(sv[1]);
        return 0;
    }
    s->ref = t;
    CHECK_INT(s->made, 0); /* from the loop */
    WAIT_UNTIL(s->made == 1, 5.0);
    CHECK(s->t == t);
    CHECK_INT(cio_transport_fd(t), sv[0]);
    CHECK(send(sv[1], "ping", 4, MSG_NOSIGNAL) == 4);
    char buf[16];
    int eof = 0;
    size_t got = raw_read(sv[1], buf, sizeof buf, 4, &eof, 5.0);
    CHECK_INT(got, 4);
    CHECK(memcmp(buf, "ping", 4) == 0);
    CHECK_STR(s->text, "ping");
    shutdown(sv[1], SHUT_WR);
    WAIT_UNTIL(s->lost == 1, 5.0);
    CHECK_STR(s->log, "made data eof lost");
    CHECK_RC(s->lost_err, 0);
    got = raw_read(sv[1], buf, sizeof buf, 1, &eof, 5.0);
    CHECK_INT(got, 0);
    CHECK_INT(eof, 1); /* the transport closed its end */
    close(sv[1]);
    release_refs();
    /* sv[0] was the transport's: it is closed now */
    CHECK(fcntl(sv[0], F_GETFD) == -1);

    /* a bad fd */
    struct side *b = new_side('S');
    cio_transport_t *bt = NULL;
    int rc = cio_connect_accepted_socket(&cli_proto, b, -1, NULL, &bt);
    if (rc != -EBADF && rc != -EINVAL)
        FAILF("connect_accepted_socket(-1) == %d (%s), expected -EBADF or -EINVAL", rc, cio_err_name(rc));
    CHECK_INT(b->made, 0);
    return 0;
}

static void t_connect_accepted_socket(void)
{
    run_case(m_accepted_socket);
}

/* ============================================================ datagrams */

static cio_transport_t *dgram_endpoint(struct side *d, const cio_dgram_opts_t *o)
{
    cio_transport_t *t = NULL;
    int rc = cio_create_datagram_endpoint(&dgram_proto, d, o, &t);
    CHECK_RC(rc, 0);
    if (rc < 0)
        return NULL;
    if (d->made == 0) { /* asyncio: made before the call returns */
        FAILF("create_datagram_endpoint returned before connection_made");
        WAIT_UNTIL(d->made == 1, 5.0);
    }
    CHECK(d->t == t);
    d->ref = t;
    return t;
}

/* UDP: A bound to 127.0.0.1:0 echoes to the sender; B is connected to A.
 * Datagrams keep their boundaries (1, 1000, 60000 bytes), an empty one is
 * delivered (3.13), the sender addresses are the endpoints' socknames, and
 * sendto without an address on the unconnected A is an error. */
static int m_dgram_udp(void *arg, void **result)
{
    struct side *A = new_side('D'), *B = new_side('D');
    A->dgram_echo = 1;
    cio_dgram_opts_t oa = {.local_host = "127.0.0.1", .local_port = 0};
    cio_transport_t *ta = dgram_endpoint(A, &oa), *tb = NULL;
    if (!ta)
        return 0;
    struct sockaddr_storage aa, ba, bp;
    socklen_t la = sizeof aa, lb = sizeof ba, lp = sizeof bp;
    CHECK_RC(cio_transport_sockname(ta, &aa, &la), 0);
    CHECK_INT(aa.ss_family, AF_INET);
    CHECK(sa_port(&aa) > 0);
    cio_dgram_opts_t ob = {.remote_host = "127.0.0.1", .remote_port = sa_port(&aa)};
    tb = dgram_endpoint(B, &ob);
    if (!tb)
        goto out;
    CHECK_RC(cio_transport_sockname(tb, &ba, &lb), 0);
    CHECK_RC(cio_transport_peername(tb, &bp, &lp), 0);
    CHECK(sa_equal(&bp, &aa));

    CHECK_OK(cio_transport_sendto(tb, "ping", 4, NULL, 0));
    WAIT_UNTIL(B->dgrams == 1, 5.0);
    CHECK_INT(A->dgrams, 1);
    CHECK_STR(A->text, "ping");
    CHECK_STR(B->text, "ping");
    CHECK(A->fromlen > 0 && sa_equal(&A->from, &ba));
    CHECK(B->fromlen > 0 && sa_equal(&B->from, &aa));

    /* boundaries kept */
    CHECK_OK(cio_transport_sendto(tb, patbuf, 1, NULL, 0));
    CHECK_OK(cio_transport_sendto(tb, patbuf, 1000, NULL, 0));
    CHECK_OK(cio_transport_sendto(tb, patbuf, 60000, NULL, 0));
    WAIT_UNTIL(B->dgrams == 4, 5.0);
    CHECK_INT(A->dsizes[1], 1);
    CHECK_INT(A->dsizes[2], 1000);
    CHECK_INT(A->dsizes[3], 60000);
    CHECK_INT(B->dsizes[3], 60000);

    /* an empty datagram */
    CHECK_OK(cio_transport_sendto(tb, "", 0, NULL, 0));
    WAIT_UNTIL(B->dgrams == 5, 5.0);
    CHECK_INT(A->dsizes[4], 0);
    CHECK_INT(B->dsizes[4], 0);

    /* an address given explicitly to the unconnected A */
    CHECK_OK(cio_transport_sendto(ta, "to-b", 4, (struct sockaddr *)&ba, lb));
    WAIT_UNTIL(B->dgrams == 6, 5.0);
    CHECK_INT(B->dsizes[5], 4);

    /* no address on the unconnected A */
    int rc = cio_transport_sendto(ta, "x", 1, NULL, 0);
    if (rc != -EDESTADDRREQ && rc != -EINVAL && rc != -ENOTCONN)
        FAILF("sendto without an address on an unconnected endpoint == %d (%s), expected -EDESTADDRREQ", rc,
              cio_err_name(rc));
    CHECK_INT(A->write_err, 0);
    CHECK_INT(cio_transport_get_write_buffer_size(tb), 0);
    CHECK_INT(A->errs + B->errs, 0);

    CHECK_OK(cio_transport_close(tb));
    CHECK_INT(B->lost, 0); /* from the loop */
    CHECK_RC(cio_transport_sendto(tb, "x", 1, NULL, 0), CIO_ECLOSED);
    WAIT_UNTIL(B->lost == 1, 5.0);
    CHECK_RC(B->lost_err, 0);
    CHECK_STR(B->log, "made dgram:4 dgram:1 dgram:1000 dgram:60000 dgram:0 dgram:4 lost");
out:
    if (ta) {
        CHECK_OK(cio_transport_close(ta));
        WAIT_UNTIL(A->lost == 1, 5.0);
        CHECK_RC(A->lost_err, 0);
        CHECK_STR(A->log, "made dgram:4 dgram:1 dgram:1000 dgram:60000 dgram:0 lost");
    }
    release_refs();
    return 0;
}

static void t_datagram_udp_echo(void)
{
    run_case(m_dgram_udp);
}

/* A connected endpoint sending to a closed port: the ICMP error comes as
 * error_received(-ECONNREFUSED), once per datagram, and the endpoint stays
 * open (asyncio 3.11: two sends, two ConnectionRefusedError). */
static int m_dgram_refused(void *arg, void **result)
{
    struct side *B = new_side('D');
    cio_dgram_opts_t ob = {.remote_host = "127.0.0.1", .remote_port = free_port(SOCK_DGRAM)};
    cio_transport_t *tb = dgram_endpoint(B, &ob);
    if (!tb)
        return 0;
    CHECK_OK(cio_transport_sendto(tb, "x", 1, NULL, 0));
    WAIT_UNTIL(B->errs == 1, 5.0);
    CHECK_RC(B->last_err, -ECONNREFUSED);
    CHECK_INT(cio_transport_is_closing(tb), 0);
    cio_sleep(0.05);
    CHECK_OK(cio_transport_sendto(tb, "y", 1, NULL, 0));
    WAIT_UNTIL(B->errs == 2, 5.0);
    CHECK_RC(B->last_err, -ECONNREFUSED);
    CHECK_INT(B->lost, 0);
    CHECK_OK(cio_transport_close(tb));
    WAIT_UNTIL(B->lost == 1, 5.0);
    CHECK_RC(B->lost_err, 0);
    CHECK_STR(B->log, "made error:ECONNREFUSED error:ECONNREFUSED lost");
    release_refs();
    return 0;
}

static void t_datagram_connected_refused(void)
{
    run_case(m_dgram_refused);
}

/* AF_UNIX datagrams: A at a.sock, B at b.sock connected to a.sock; A sees
 * B's path as the sender and answers to it. */
static int m_dgram_unix(void *arg, void **result)
{
    if (make_tmpdir() < 0)
        return 0;
    char pa[128], pb[128];
    tmppath(pa, sizeof pa, "a.sock");
    tmppath(pb, sizeof pb, "b.sock");
    struct side *A = new_side('D'), *B = new_side('D');
    A->dgram_echo = 1;
    cio_dgram_opts_t oa = {.local_path = pa};
    cio_transport_t *ta = dgram_endpoint(A, &oa), *tb = NULL;
    if (!ta)
        goto out;
    cio_dgram_opts_t ob = {.local_path = pb, .remote_path = pa, .family = AF_UNIX};
    tb = dgram_endpoint(B, &ob);
    if (!tb)
        goto out;
    struct sockaddr_storage a;
    socklen_t la = sizeof a;
    CHECK_RC(cio_transport_peername(tb, &a, &la), 0);
    CHECK_INT(a.ss_family, AF_UNIX);
    CHECK_STR(((struct sockaddr_un *)&a)->sun_path, pa);
    CHECK_OK(cio_transport_sendto(tb, "hello unix", 10, NULL, 0));
    WAIT_UNTIL(B->dgrams == 1, 5.0);
    CHECK_STR(A->text, "hello unix");
    CHECK_STR(B->text, "hello unix");
    CHECK(A->fromlen > 0);
    CHECK_INT(A->from.ss_family, AF_UNIX);
    CHECK_STR(((struct sockaddr_un *)&A->from)->sun_path, pb);
    CHECK_OK(cio_transport_sendto(tb, "", 0, NULL, 0));
    WAIT_UNTIL(B->dgrams == 2, 5.0);
    CHECK_INT(A->dsizes[1], 0);
out:
    if (tb) {
        cio_transport_close(tb);
        WAIT_UNTIL(B->lost == 1, 5.0);
        CHECK_STR(B->log, "made dgram:10 dgram:0 lost");
    }
    if (ta) {
        cio_transport_close(ta);
        WAIT_UNTIL(A->lost == 1, 5.0);
    }
    release_refs();
    unlink(pa);
    unlink(pb);
    CHECK_INT(rmdir(tmpdir), 0);
    return 0;
}

static void t_datagram_unix(void)
{
    run_case(m_dgram_unix);
}

/* ============================================================ sock= */

static int fd_is_open(int fd)
{
    return fcntl(fd, F_GETFD) >= 0;
}

static int fd_is_nonblocking(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl >= 0 && (fl & O_NONBLOCK);
}

/* A blocking socket of this type bound to 127.0.0.1:0; *port gets its port. */
static int bound_inet(int type, int *port)
{
    int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
        FAILF("bound_inet: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    *port = ntohs(a.sin_port);
    return fd;
}

/* asyncio's sock=: create_server on a TCP socket the test bound and
 * listened, create_connection on a socket the test connected to it.
 * connection_made has run when create_connection returns; the pattern goes
 * out and comes back exactly; each fd is made non-blocking and is closed
 * with its owner. */
static int m_sock_server_connection(void *arg, void **result)
{
    struct srv *sv = new_srv();
    sv->tmpl.echo = 1;
    cio_server_t *server = NULL;
    int port = 0, cfd = -1, lfd = bound_inet(SOCK_STREAM, &port);
    if (lfd < 0)
        return 0;
    REQ(listen(lfd, 8) == 0);
    cio_server_opts_t so = {.has_sock = 1, .sock = lfd};
    int rc = cio_create_server(&srv_proto, sv, NULL, 0, &so, &server);
    CHECK_RC(rc, 0);
    REQ(rc == 0);
    int lowned = lfd;
    lfd = -1;
    CHECK_INT(cio_server_port(server), port);
    int fds[2] = {-1, -1};
    CHECK_INT(cio_server_sockets(server, fds, 2), 1);
    CHECK_INT(fds[0], lowned);
    REQ(fd_is_nonblocking(lowned)); /* else accepting would block the loop */

    cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQ(cfd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    REQ(connect(cfd, (struct sockaddr *)&a, sizeof a) == 0); /* completes from the backlog */
    struct side *c = new_side('C');
    c->check_pat = 1;
    cio_transport_t *t = NULL;
    cio_conn_opts_t co = {.has_sock = 1, .sock = cfd};
    rc = cio_create_connection(&cli_proto, c, NULL, 0, &co, &t);
    CHECK_RC(rc, 0);
    REQ(rc == 0 && t);
    c->ref = t;
    int cowned = cfd;
    cfd = -1;
    CHECK_INT(c->made, 1); /* asyncio: made before create_connection returns */
    CHECK(c->t == t);
    CHECK_INT(cio_transport_fd(t), cowned);
    REQ(fd_is_nonblocking(cowned));
    CHECK_INT(getsockopt_int(cowned, IPPROTO_TCP, TCP_NODELAY), 1);

    CHECK_RC(cio_transport_write(t, patbuf, 64 * KB), 0);
    WAIT_UNTIL(c->total >= 64 * KB, 5.0);
    CHECK_INT(c->total, 64 * KB);
    CHECK_INT(c->bad_at, -1);
    REQ(WAIT_UNTIL(sv->n == 1, 5.0));
    struct side *s = sv->conns[0];
    CHECK_INT(s->total, 64 * KB);

    close_and_wait(c);
    WAIT_UNTIL(s->lost == 1, 5.0);
    CHECK_STR(c->log, "made data lost");
    CHECK_STR(s->log, "made data eof lost");
    release_refs();
    CHECK(!fd_is_open(cowned));
    stop_srv(server);
    server = NULL;
    CHECK(!fd_is_open(lowned));
out:
    release_refs();
    stop_srv(server);
    if (lfd >= 0)
        close(lfd);
    if (cfd >= 0)
        close(cfd);
    return 0;
}

static void t_sock_server_and_connection(void)
{
    run_case(m_sock_server_connection);
}

/* create_unix_server on a Unix socket the test only bound (cio listens on
 * it and removes its file at close), create_unix_connection on a socket
 * the test connected to it. */
static int m_sock_unix(void *arg, void **result)
{
    if (make_tmpdir() < 0)
        return 0;
    char path[128];
    tmppath(path, sizeof path, "adopted.sock");
    struct srv *sv = new_srv();
    sv->tmpl.echo = 1;
    cio_server_t *server = NULL;
    struct sockaddr_un ua = {.sun_family = AF_UNIX};
    memcpy(ua.sun_path, path, strlen(path) + 1); /* a mkdtemp path: short */
    int cfd = -1, lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQ(lfd >= 0);
    REQ(bind(lfd, (struct sockaddr *)&ua, sizeof ua) == 0);
    cio_server_opts_t so = {.has_sock = 1, .sock = lfd};
    int rc = cio_create_unix_server(&srv_proto, sv, NULL, &so, &server);
    CHECK_RC(rc, 0);
    REQ(rc == 0);
    int lowned = lfd;
    lfd = -1;

    cfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQ(cfd >= 0);
    REQ(connect(cfd, (struct sockaddr *)&ua, sizeof ua) == 0);
    struct side *c = new_side('C');
    cio_transport_t *t = NULL;
    cio_conn_opts_t co = {.has_sock = 1, .sock = cfd};
    rc = cio_create_unix_connection(&cli_proto, c, NULL, &co, &t);
    CHECK_RC(rc, 0);
    REQ(rc == 0 && t);
    c->ref = t;
    cfd = -1;
    CHECK_INT(c->made, 1);
    CHECK_RC(cio_transport_write(t, "unix ping", 9), 0);
    WAIT_UNTIL(c->total >= 9, 5.0);
    CHECK_STR(c->text, "unix ping");
    close_and_wait(c);
    release_refs();
    CHECK(file_exists(path));
    stop_srv(server);
    server = NULL;
    CHECK(!fd_is_open(lowned));
    CHECK(!file_exists(path)); /* asyncio 3.13: the given socket's file goes too */
out:
    release_refs();
    stop_srv(server);
    if (lfd >= 0)
        close(lfd);
    if (cfd >= 0)
        close(cfd);
    unlink(path);
    rmdir(tmpdir);
    return 0;
}

static void t_sock_unix_server_and_connection(void)
{
    run_case(m_sock_unix);
}

/* A datagram endpoint on a UDP socket the test bound: it receives a raw
 * peer's datagram (from the peer's address) and echoes it, and sendto
 * reaches the peer; the fd is the endpoint's. */
static int m_sock_dgram(void *arg, void **result)
{
    struct side *A = new_side('D');
    A->dgram_echo = 1;
    cio_transport_t *ta = NULL;
    int port = 0, pport = 0, peer = -1, ufd = bound_inet(SOCK_DGRAM, &port);
    if (ufd < 0)
        return 0;
    peer = bound_inet(SOCK_DGRAM, &pport);
    REQ(peer >= 0);
    fcntl(peer, F_SETFL, fcntl(peer, F_GETFL) | O_NONBLOCK);
    cio_dgram_opts_t o = {.has_sock = 1, .sock = ufd};
    ta = dgram_endpoint(A, &o);
    REQ(ta);
    int owned = ufd;
    ufd = -1;
    CHECK_INT(cio_transport_fd(ta), owned);
    REQ(fd_is_nonblocking(owned));
    struct sockaddr_storage aa;
    socklen_t la = sizeof aa;
    CHECK_RC(cio_transport_sockname(ta, &aa, &la), 0);
    CHECK_INT(sa_port(&aa), port);

    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK(sendto(peer, "ping", 4, 0, (struct sockaddr *)&to, sizeof to) == 4);
    REQ(WAIT_UNTIL(A->dgrams == 1, 5.0)); /* not when reading found no memory (connection_lost) */
    CHECK_STR(A->text, "ping");
    CHECK(A->fromlen > 0 && sa_port(&A->from) == pport);
    char buf[16];
    int eof = 0;
    CHECK_INT(raw_read(peer, buf, sizeof buf, 4, &eof, 5.0), 4); /* the echo */
    CHECK(memcmp(buf, "ping", 4) == 0);
    struct sockaddr_in pa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)pport),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    REQ_OK(cio_transport_sendto(ta, "hello", 5, (struct sockaddr *)&pa, sizeof pa));
    CHECK_INT(raw_read(peer, buf, sizeof buf, 5, &eof, 5.0), 5);
    CHECK(memcmp(buf, "hello", 5) == 0);
    CHECK_INT(A->errs, 0);
    CHECK_OK(cio_transport_close(ta));
    WAIT_UNTIL(A->lost == 1, 5.0);
    CHECK_STR(A->log, "made dgram:4 lost");
    release_refs();
    ta = NULL;
    CHECK(!fd_is_open(owned));
out:
    if (ta) {
        cio_transport_abort(ta);
        WAIT_UNTIL(A->lost == 1, 5.0);
    }
    release_refs();
    if (ufd >= 0)
        close(ufd);
    if (peer >= 0)
        close(peer);
    return 0;
}

static void t_sock_datagram(void)
{
    run_case(m_sock_dgram);
}

/* Refused sockets stay open and the caller's, and nothing is called: a
 * host, port, path or socket option with the socket, a sock without
 * has_sock, the wrong type or family, a closed fd, a pipe.  REFUSED lets
 * go of what a call made by mistake, so the case still ends. */
#define REFUSED(call, want)                 \
    do {                                    \
        CHECK_RC(call, want);               \
        if (t) {                            \
            cio_transport_abort(t);         \
            cio_unref(t);                   \
            t = NULL;                       \
        }                                   \
        if (server) {                       \
            cio_server_close(server);       \
            cio_unref(server);              \
            server = NULL;                  \
        }                                   \
    } while (0)

static int m_sock_refused(void *arg, void **result)
{
    struct srv *sv = new_srv();
    struct side *c = new_side('C'), *d = new_side('D');
    cio_server_t *server = NULL;
    cio_transport_t *t = NULL;
    int port = 0, uport = 0, pfd[2] = {-1, -1};
    int lfd = bound_inet(SOCK_STREAM, &port), ufd = bound_inet(SOCK_DGRAM, &uport);
    REQ(lfd >= 0 && ufd >= 0);
    REQ(listen(lfd, 8) == 0);
    REQ(pipe2(pfd, O_CLOEXEC) == 0);

    cio_server_opts_t so = {.has_sock = 1, .sock = lfd};
    REFUSED(cio_create_server(&srv_proto, sv, "127.0.0.1", 0, &so, &server), -EINVAL);
    REFUSED(cio_create_server(&srv_proto, sv, NULL, port, &so, &server), -EINVAL);
    REFUSED(cio_create_unix_server(&srv_proto, sv, "/tmp/x.sock", &so, &server), -EINVAL);
    REFUSED(cio_create_unix_server(&srv_proto, sv, NULL, &so, &server), -EINVAL); /* AF_INET */
    so.family = AF_INET;
    REFUSED(cio_create_server(&srv_proto, sv, NULL, 0, &so, &server), -EINVAL);
    so = (cio_server_opts_t){.has_sock = 1, .sock = ufd};
    REFUSED(cio_create_server(&srv_proto, sv, NULL, 0, &so, &server), -EINVAL); /* SOCK_DGRAM */
    so.sock = pfd[0];
    REFUSED(cio_create_server(&srv_proto, sv, NULL, 0, &so, &server), -ENOTSOCK);

    cio_conn_opts_t co = {.has_sock = 1, .sock = ufd};
    REFUSED(cio_create_connection(&cli_proto, c, NULL, 0, &co, &t), -EINVAL); /* SOCK_DGRAM */
    co.sock = lfd;
    REFUSED(cio_create_connection(&cli_proto, c, "127.0.0.1", port, &co, &t), -EINVAL);
    REFUSED(cio_create_unix_connection(&cli_proto, c, NULL, &co, &t), -EINVAL); /* AF_INET */
    REFUSED(cio_connect_accepted_socket(&cli_proto, c, lfd, &co, &t), -EINVAL); /* two sockets */
    co.local_host = "127.0.0.1";
    REFUSED(cio_create_connection(&cli_proto, c, NULL, 0, &co, &t), -EINVAL);
    co = (cio_conn_opts_t){.sock = lfd}; /* has_sock forgotten: not taken for "no socket" */
    REFUSED(cio_create_connection(&cli_proto, c, "127.0.0.1", port, &co, &t), -EINVAL);
    co = (cio_conn_opts_t){.has_sock = 1, .sock = -1};
    REFUSED(cio_create_connection(&cli_proto, c, NULL, 0, &co, &t), -EBADF);
    CHECK_INT(c->made, 0);

    cio_dgram_opts_t o = {.has_sock = 1, .sock = ufd, .local_port = uport};
    REFUSED(cio_create_datagram_endpoint(&dgram_proto, d, &o, &t), -EINVAL);
    o = (cio_dgram_opts_t){.has_sock = 1, .sock = ufd, .remote_host = "127.0.0.1", .remote_port = port};
    REFUSED(cio_create_datagram_endpoint(&dgram_proto, d, &o, &t), -EINVAL);
    o = (cio_dgram_opts_t){.has_sock = 1, .sock = ufd, .allow_broadcast = 1};
    REFUSED(cio_create_datagram_endpoint(&dgram_proto, d, &o, &t), -EINVAL);
    o = (cio_dgram_opts_t){.has_sock = 1, .sock = ufd, .local_path = "/tmp/x.sock"};
    REFUSED(cio_create_datagram_endpoint(&dgram_proto, d, &o, &t), -EINVAL);
    o = (cio_dgram_opts_t){.sock = ufd, .local_host = "127.0.0.1"}; /* has_sock forgotten */
    REFUSED(cio_create_datagram_endpoint(&dgram_proto, d, &o, &t), -EINVAL);
    o = (cio_dgram_opts_t){.has_sock = 1, .sock = lfd}; /* SOCK_STREAM */
    REFUSED(cio_create_datagram_endpoint(&dgram_proto, d, &o, &t), -EINVAL);
    o.sock = pfd[1];
    REFUSED(cio_create_datagram_endpoint(&dgram_proto, d, &o, &t), -ENOTSOCK);
    int dead = dup(ufd);
    REQ(dead >= 0);
    close(dead);
    o.sock = dead;
    REFUSED(cio_create_datagram_endpoint(&dgram_proto, d, &o, &t), -EBADF);
    so = (cio_server_opts_t){.has_sock = 1, .sock = dead};
    REFUSED(cio_create_server(&srv_proto, sv, NULL, 0, &so, &server), -EBADF);
    CHECK_INT(d->made, 0);

    CHECK(fd_is_open(lfd) && fd_is_open(ufd) && fd_is_open(pfd[0]) && fd_is_open(pfd[1]));
    CHECK(!fd_is_nonblocking(lfd));
    CHECK(!fd_is_nonblocking(ufd));
out:
    if (lfd >= 0)
        close(lfd);
    if (ufd >= 0)
        close(ufd);
    if (pfd[0] >= 0)
        close(pfd[0]);
    if (pfd[1] >= 0)
        close(pfd[1]);
    return 0;
}
#undef REFUSED

static void t_sock_refused(void)
{
    run_case(m_sock_refused);
}

/* ============================================================ many clients */

#define NCLIENTS 100
#define CLIENT_BYTES (4 * KB)
static int many_port;

static int body_client(void *arg, void **result)
{
    struct side *c = arg;
    cio_transport_t *t = NULL;
    int rc = cio_create_connection(&cli_proto, c, "127.0.0.1", many_port, NULL, &t);
    if (rc < 0)
        return rc;
    c->ref = t;
    for (size_t k = 0; k < CLIENT_BYTES; k += KB) {
        rc = cio_transport_write(t, patbuf + c->pat_off + k, KB);
        if (rc < 0)
            return rc;
        cio_sleep(0);
    }
    double dl = now_s() + 10.0;
    while (c->total < CLIENT_BYTES && !c->lost && now_s() < dl)
        cio_sleep(0.002);
    rc = cio_transport_close(t);
    if (rc < 0)
        return rc;
    while (!c->lost && now_s() < dl)
        cio_sleep(0.002);
    return c->total == CLIENT_BYTES && c->bad_at < 0 && c->lost == 1 ? 0 : -EIO;
}

static int m_many(void *arg, void **result)
{
    struct srv *sv = new_srv();
    sv->tmpl.echo = 1;
    cio_server_opts_t opts = {.backlog = 256};
    cio_server_t *server = start_srv(sv, NULL, "127.0.0.1", &opts, &many_port);
    if (!server)
        return -1;
    cio_task_t *tasks[NCLIENTS];
    struct side *c[NCLIENTS];
    for (int i = 0; i < NCLIENTS; i++) {
        c[i] = new_side('C');
        c[i]->check_pat = 1;
        c[i]->pat_off = (size_t)i * 4099;
        tasks[i] = cio_create_task(body_client, c[i]);
        REQ(tasks[i] != NULL);
    }
    int rcs[NCLIENTS];
    CHECK_RC(cio_gather(tasks, NCLIENTS, NULL, rcs, CIO_RETURN_EXCEPTIONS), 0);
    int bad = 0;
    for (int i = 0; i < NCLIENTS; i++) {
        if (rcs[i] != 0 && bad++ < 5)
            FAILF("client %d: %s (got %zu bytes, bad_at %lld, lost %d err %d)", i, cio_err_name(rcs[i]),
                  c[i]->total, c[i]->bad_at, c[i]->lost, c[i]->lost_err);
        CHECK_RC(c[i]->lost_err, 0);
        cio_unref(tasks[i]);
    }
    CHECK_INT(sv->n, NCLIENTS);
    WAIT_UNTIL(({
                   int all = 1;
                   for (int i = 0; i < sv->n; i++)
                       all &= sv->conns[i]->lost == 1;
                   all;
               }),
               5.0);
    for (int i = 0; i < sv->n; i++) {
        CHECK_INT(sv->conns[i]->total, CLIENT_BYTES);
        CHECK_RC(sv->conns[i]->lost_err, 0);
        CHECK_INT(sv->conns[i]->write_err, 0);
    }
out:
    release_refs();
    stop_srv(server);
    return 0;
}

static void t_many_concurrent_clients(void)
{
    run_case(m_many);
}

/* ========================================================== bad arguments */

static int m_refused(void *arg, void **result)
{
    struct side *c = new_side('C');
    cio_transport_t *t = NULL;
    CHECK_RC(cio_create_connection(&cli_proto, c, "127.0.0.1", free_port(SOCK_STREAM), NULL, &t), -ECONNREFUSED);
    CHECK(t == NULL);
    CHECK_INT(c->made, 0);
    CHECK_INT(c->lost, 0);
    return 0;
}

static void t_connection_refused(void)
{
    run_case(m_refused);
}

static int m_bad_args(void *arg, void **result)
{
    struct side *c = new_side('C');
    struct srv *sv = new_srv();
    cio_transport_t *t = NULL;
    cio_server_t *server = NULL;
    int port = free_port(SOCK_STREAM);
    CHECK_RC(cio_create_connection(NULL, c, "127.0.0.1", port, NULL, &t), -EINVAL);
    CHECK_RC(cio_create_connection(&cli_proto, c, "127.0.0.1", port, NULL, NULL), -EINVAL);
    CHECK_RC(cio_create_connection(&cli_proto, c, "127.0.0.1", -1, NULL, &t), -EINVAL);
    CHECK_RC(cio_create_connection(&cli_proto, c, "127.0.0.1", 65536, NULL, &t), -EINVAL);
    int rc = cio_create_connection(&cli_proto, c, "no.such.host.invalid", 80, NULL, &t);
    if (rc != CIO_ENONAME && rc != CIO_EDNSAGAIN && rc != CIO_EDNSFAIL)
        FAILF("create_connection to an unknown host == %d (%s), expected CIO_ENONAME", rc, cio_err_name(rc));
    CHECK(t == NULL);
    CHECK_INT(c->made, 0);

    CHECK_RC(cio_create_server(NULL, sv, "127.0.0.1", 0, NULL, &server), -EINVAL);
    CHECK_RC(cio_create_server(&srv_proto, sv, "127.0.0.1", 0, NULL, NULL), -EINVAL);
    CHECK_RC(cio_create_server(&srv_proto, sv, "127.0.0.1", -1, NULL, &server), -EINVAL);
    CHECK_RC(cio_create_server(&srv_proto, sv, "127.0.0.1", 70000, NULL, &server), -EINVAL);
    rc = cio_create_server(&srv_proto, sv, "no.such.host.invalid", 0, NULL, &server);
    if (rc != CIO_ENONAME && rc != CIO_EDNSAGAIN && rc != CIO_EDNSFAIL)
        FAILF("create_server on an unknown host == %d (%s), expected CIO_ENONAME", rc, cio_err_name(rc));
    CHECK(server == NULL);
    CHECK_RC(cio_create_unix_server(&srv_proto, sv, NULL, NULL, &server), -EINVAL);
    CHECK_RC(cio_create_unix_server(NULL, sv, "/tmp/x.sock", NULL, &server), -EINVAL);
    CHECK_RC(cio_create_unix_connection(&cli_proto, c, NULL, NULL, &t), -EINVAL);
    CHECK_RC(cio_create_unix_connection(NULL, c, "/tmp/x.sock", NULL, &t), -EINVAL);
    char longpath[200];
    memset(longpath, 'a', sizeof longpath - 1);
    longpath[0] = '/';
    longpath[sizeof longpath - 1] = 0;
    rc = cio_create_unix_connection(&cli_proto, c, longpath, NULL, &t);
    if (rc != -ENAMETOOLONG && rc != -EINVAL)
        FAILF("create_unix_connection with a 199-byte path == %d (%s), expected -ENAMETOOLONG or -EINVAL", rc,
              cio_err_name(rc));
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) == 0) {
        CHECK_RC(cio_connect_accepted_socket(NULL, c, pair[0], NULL, &t), -EINVAL);
        CHECK_RC(cio_connect_accepted_socket(&cli_proto, c, pair[0], NULL, NULL), -EINVAL);
        CHECK(fcntl(pair[0], F_GETFD) >= 0); /* refused: still ours */
        close(pair[0]);
        close(pair[1]);
    }
    CHECK_RC(cio_create_datagram_endpoint(NULL, c, NULL, &t), -EINVAL);
    cio_dgram_opts_t o = {.local_host = "127.0.0.1"};
    CHECK_RC(cio_create_datagram_endpoint(&dgram_proto, c, &o, NULL), -EINVAL);
    cio_dgram_opts_t o2 = {.local_host = "127.0.0.1", .local_port = -5};
    CHECK_RC(cio_create_datagram_endpoint(&dgram_proto, c, &o2, &t), -EINVAL);
    CHECK(t == NULL);
    CHECK_INT(c->made, 0);

    /* NULL transport / server */
    CHECK_RC(cio_transport_write(NULL, "x", 1), -EINVAL);
    CHECK_RC(cio_transport_writev(NULL, NULL, 0), -EINVAL);
    CHECK_RC(cio_transport_sendto(NULL, "x", 1, NULL, 0), -EINVAL);
    CHECK_RC(cio_transport_close(NULL), -EINVAL);
    CHECK_RC(cio_transport_abort(NULL), -EINVAL);
    CHECK_RC(cio_transport_write_eof(NULL), -EINVAL);
    CHECK_RC(cio_transport_pause_reading(NULL), -EINVAL);
    CHECK_RC(cio_transport_resume_reading(NULL), -EINVAL);
    CHECK_RC(cio_transport_set_write_buffer_limits(NULL, 0, 0), -EINVAL);
    CHECK_RC(cio_transport_fd(NULL), -EINVAL);
    CHECK_RC(cio_transport_set_ud(NULL, NULL), -EINVAL);
    CHECK(cio_transport_get_ud(NULL) == NULL);
    CHECK_INT(cio_transport_get_write_buffer_size(NULL), 0);
    struct sockaddr_storage a;
    socklen_t len = sizeof a;
    CHECK_RC(cio_transport_peername(NULL, &a, &len), -EINVAL);
    CHECK_RC(cio_server_port(NULL), -EINVAL);
    CHECK_RC(cio_server_close(NULL), -EINVAL);
    CHECK_RC(cio_server_start_serving(NULL), -EINVAL);
    CHECK_RC(cio_server_sockets(NULL, NULL, 0), -EINVAL);
    CHECK_RC(cio_server_close_clients(NULL), -EINVAL);
    CHECK_RC(cio_server_abort_clients(NULL), -EINVAL);
    CHECK_RC(cio_server_wait_closed(NULL), -EINVAL);

    /* a live transport with bad arguments */
    struct srv *sv2 = new_srv();
    int p2 = 0;
    server = start_srv(sv2, NULL, "127.0.0.1", NULL, &p2);
    if (server) {
        struct side *c2 = new_side('C');
        cio_transport_t *t2 = connect_side(c2, NULL, p2);
        if (t2) {
            CHECK_RC(cio_transport_write(t2, NULL, 1), -EINVAL);
            CHECK_RC(cio_transport_writev(t2, NULL, 1), -EINVAL);
            CHECK_RC(cio_transport_writev(t2, NULL, -1), -EINVAL);
            CHECK_RC(cio_transport_peername(t2, NULL, &len), -EINVAL);
            CHECK_RC(cio_transport_write((cio_transport_t *)server, "x", 1), -EINVAL); /* not a transport */
            CHECK_RC(cio_server_port((cio_server_t *)t2), -EINVAL);                   /* not a server */
            close_and_wait(c2);
        }
        WAIT_UNTIL(sv2->n == 1 && sv2->conns[0]->lost, 5.0);
        release_refs();
        stop_srv(server);
    }
    return 0;
}

static void t_bad_arguments(void)
{
    run_case(m_bad_args);
}

/* The calls that need a task, called with no loop at all. */
static void t_outside_task(void)
{
    patbuf_init();
    reset_state();
    struct side *c = new_side('C');
    cio_transport_t *t = NULL;
    int rc = cio_create_connection(&cli_proto, c, "127.0.0.1", 1, NULL, &t);
    if (rc != CIO_ENOLOOP && rc != CIO_ENOTASK)
        FAILF("create_connection without a loop == %d (%s), expected CIO_ENOLOOP or CIO_ENOTASK", rc,
              cio_err_name(rc));
    cio_server_t *server = NULL;
    struct srv *sv = new_srv();
    rc = cio_create_server(&srv_proto, sv, "127.0.0.1", 0, NULL, &server);
    if (rc != CIO_ENOLOOP && rc != CIO_ENOTASK)
        FAILF("create_server without a loop == %d (%s), expected CIO_ENOLOOP or CIO_ENOTASK", rc, cio_err_name(rc));
    cio_dgram_opts_t o = {.local_host = "127.0.0.1"};
    rc = cio_create_datagram_endpoint(&dgram_proto, c, &o, &t);
    if (rc != CIO_ENOLOOP && rc != CIO_ENOTASK)
        FAILF("create_datagram_endpoint without a loop == %d (%s), expected CIO_ENOLOOP or CIO_ENOTASK", rc,
              cio_err_name(rc));
    CHECK_RC(cio_connect_read_pipe(&cli_proto, c, 0, &t), CIO_ENOLOOP);
    CHECK_RC(cio_connect_write_pipe(&cli_proto, c, 1, &t), CIO_ENOLOOP);
    CHECK(t == NULL && server == NULL);
}

/* ================================================================ pipes */

/* A pipe, both ends close-on-exec and blocking (the transport makes its own
 * end non-blocking). */
static int mk_pipe(int p[2])
{
    if (pipe2(p, O_CLOEXEC) == 0)
        return 0;
    FAILF("pipe2: %s", strerror(errno));
    p[0] = p[1] = -1;
    return -1;
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* Open, and still blocking: as the caller left it. */
static int fd_untouched(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl >= 0 && !(fl & O_NONBLOCK);
}

/* Write s raw into a pipe whose read end is the transport t, while t is
 * open: a pipe without a reader (t closed early, after a failed allocation
 * in the sweep) would raise SIGPIPE, which a read pipe does not make cio
 * ignore. */
static void pipe_put(int fd, cio_transport_t *t, const char *s)
{
    ssize_t n = (ssize_t)strlen(s);
    if (cio_transport_is_closing(t) != 0)
        FAILF("the read pipe transport closed early");
    else if (write(fd, s, (size_t)n) != n)
        FAILF("write to the pipe: %s", strerror(errno));
}

/* connect_read_pipe: connection_made has run when it returns (asyncio's
 * await); the fd is made non-blocking, its close-on-exec flag left alone
 * (asyncio's neither); the bytes written raw on the other end arrive; pause_reading
 * holds them back until resume_reading; the writer's close is eof_received
 * and then connection_lost(0), the transport closing although eof_received
 * asks to stay open (asyncio's read pipe transport ignores its result); the
 * fd was the transport's.  The writing calls are refused. */
static int m_read_pipe(void *arg, void **result)
{
    int p[2] = {-1, -1}, owned = -1;
    REQ(mk_pipe(p) == 0);
    CHECK(fcntl(p[0], F_SETFD, 0) == 0); /* inheritable, as a stdin would be */
    struct side *r = new_side('R');
    r->eof_keep = 1;
    cio_transport_t *t = NULL;
    CHECK_RC(cio_connect_read_pipe(&cli_proto, r, p[0], &t), 0);
    REQ(t);
    r->ref = t;
    owned = p[0];
    p[0] = -1;
    CHECK_INT(r->made, 1);
    CHECK(r->t == t);
    CHECK_INT(cio_transport_fd(t), owned);
    CHECK(fcntl(owned, F_GETFL) & O_NONBLOCK);
    CHECK_INT(fcntl(owned, F_GETFD) & FD_CLOEXEC, 0); /* left as it was */
    CHECK_INT(cio_transport_is_reading(t), 1);
    CHECK_INT(cio_transport_is_closing(t), 0);
    CHECK_INT(cio_transport_can_write_eof(t), 0);
    CHECK_RC(cio_transport_write(t, "x", 1), -ENOTSUP);
    struct iovec v = {"x", 1};
    CHECK_RC(cio_transport_writev(t, &v, 1), -ENOTSUP);
    CHECK_RC(cio_transport_write_eof(t), -ENOTSUP);
    CHECK_RC(cio_transport_set_write_buffer_limits(t, 0, 0), -ENOTSUP);
    size_t hi, lo;
    CHECK_RC(cio_transport_get_write_buffer_limits(t, &hi, &lo), -ENOTSUP);
    CHECK_INT(cio_transport_get_write_buffer_size(t), 0);

    pipe_put(p[1], t, "hello ");
    WAIT_UNTIL(r->total == 6, 5.0);
    CHECK_OK(cio_transport_pause_reading(t));
    CHECK_INT(cio_transport_is_reading(t), 0);
    pipe_put(p[1], t, "world");
    cio_sleep(0.05);
    CHECK_INT(r->total, 6); /* paused: nothing delivered */
    CHECK_OK(cio_transport_resume_reading(t));
    CHECK_INT(cio_transport_is_reading(t), 1);
    WAIT_UNTIL(r->total == 11, 5.0);
    CHECK_STR(r->text, "hello world");
    CHECK_INT(r->eofs, 0);
    close_fd(&p[1]);
    WAIT_UNTIL(r->lost == 1, 5.0);
    CHECK_STR(r->log, "made data eof lost");
    CHECK_RC(r->lost_err, 0);
    CHECK_INT(cio_transport_is_closing(t), 1);
    CHECK_RC(cio_transport_fd(t), CIO_ECLOSED);
    errno = 0;
    CHECK(fcntl(owned, F_GETFD) < 0 && errno == EBADF); /* closed with the transport */
out:
    release_refs();
    close_fd(&p[0]);
    close_fd(&p[1]);
    return 0;
}

static void t_read_pipe(void)
{
    run_case(m_read_pipe);
}

/* connect_write_pipe into connect_read_pipe on one pipe: 1 MiB written in
 * 16 KiB chunks by a writer that stops at pause_writing and goes on at
 * resume_writing arrives exactly (the pipe holds 64 KiB at most: the rest
 * waits in the transport's buffer, none of it lost).  close flushes, then
 * connection_lost(0); the reader gets the EOF.  The reading calls are
 * refused on the write end.  On a second pipe write_eof is the close: the
 * buffered bytes, then EOF. */
static int m_write_pipe(void *arg, void **result)
{
    int p[2] = {-1, -1}, q[2] = {-1, -1};
    REQ(mk_pipe(p) == 0);
    struct side *r = new_side('R'), *w = new_side('W');
    r->check_pat = 1;
    cio_transport_t *rt = NULL, *wt = NULL;
    CHECK_RC(cio_connect_read_pipe(&cli_proto, r, p[0], &rt), 0);
    REQ(rt);
    r->ref = rt;
    p[0] = -1;
    CHECK_RC(cio_connect_write_pipe(&cli_proto, w, p[1], &wt), 0);
    REQ(wt);
    w->ref = wt;
    p[1] = -1;
    CHECK_INT(w->made, 1);
    CHECK_INT(cio_transport_can_write_eof(wt), 1);
    CHECK_INT(cio_transport_is_reading(wt), 0);
    CHECK_RC(cio_transport_pause_reading(wt), -ENOTSUP);
    CHECK_RC(cio_transport_resume_reading(wt), -ENOTSUP);

    const size_t total = MB, chunk = 16 * KB;
    size_t maxbuf = 0;
    for (size_t off = 0; off < total;) {
        if (w->pauses > w->resumes) { /* the protocol's side of flow control */
            if (!WAIT_UNTIL(w->pauses == w->resumes || w->lost, 10.0) || w->lost)
                break;
            continue;
        }
        int rc = cio_transport_write(wt, patbuf + off, chunk);
        if (rc < 0) {
            CHECK_RC(rc, 0);
            break;
        }
        off += chunk;
        size_t sz = cio_transport_get_write_buffer_size(wt);
        if (sz > maxbuf)
            maxbuf = sz;
    }
    CHECK(maxbuf > 64 * KB); /* the pipe was full and the high-water mark crossed */
    CHECK(w->pauses >= 1);
    CHECK_OK(cio_transport_close(wt));
    CHECK_INT(cio_transport_is_closing(wt), 1);
    WAIT_UNTIL(w->lost == 1, 10.0);
    CHECK_RC(w->lost_err, 0);
    CHECK_STR(w->log, "made lost");
    WAIT_UNTIL(r->lost == 1, 10.0);
    CHECK_INT(r->total, total);
    CHECK_INT(r->bad_at, -1);
    CHECK_STR(r->log, "made data eof lost");
    CHECK_RC(r->lost_err, 0);

    REQ(mk_pipe(q) == 0);
    struct side *r2 = new_side('r'), *w2 = new_side('w');
    cio_transport_t *t = NULL;
    REQ_OK(cio_connect_read_pipe(&cli_proto, r2, q[0], &t));
    r2->ref = t;
    q[0] = -1;
    t = NULL;
    REQ_OK(cio_connect_write_pipe(&cli_proto, w2, q[1], &t));
    w2->ref = t;
    q[1] = -1;
    CHECK_RC(cio_transport_write(t, "abc", 3), 0);
    CHECK_RC(cio_transport_write_eof(t), 0);
    CHECK_RC(cio_transport_write(t, "d", 1), CIO_ECLOSED);
    WAIT_UNTIL(w2->lost == 1 && r2->lost == 1, 5.0);
    CHECK_RC(w2->lost_err, 0);
    CHECK_STR(r2->text, "abc");
    CHECK_STR(r2->log, "made data eof lost");
out:
    release_refs();
    close_fd(&p[0]);
    close_fd(&p[1]);
    close_fd(&q[0]);
    close_fd(&q[1]);
    return 0;
}

static void t_write_pipe(void)
{
    run_case(m_write_pipe);
}

/* The reader of a write pipe goes away; the write end reports an error
 * (asyncio's "reader trick").  Nothing buffered: connection_lost(0) with
 * no write.  Bytes buffered: connection_lost(-EPIPE).  A write that meets
 * the closed pipe itself returns -EPIPE, connection_lost(-EPIPE) follows,
 * and SIGPIPE does not end the process (cio ignores it, as for subprocess
 * pipes). */
static int m_write_pipe_reader_gone(void *arg, void **result)
{
    int p[2] = {-1, -1}, q[2] = {-1, -1}, u[2] = {-1, -1};
    cio_transport_t *t = NULL;
    REQ(mk_pipe(p) == 0);
    struct side *a = new_side('A');
    REQ_OK(cio_connect_write_pipe(&cli_proto, a, p[1], &t));
    a->ref = t;
    p[1] = -1;
    close_fd(&p[0]);
    WAIT_UNTIL(a->lost == 1, 5.0);
    CHECK_RC(a->lost_err, 0);
    CHECK_STR(a->log, "made lost");
    CHECK_INT(cio_transport_is_closing(t), 1);
    CHECK_RC(cio_transport_write(t, "x", 1), CIO_ECLOSED);

    REQ(mk_pipe(q) == 0);
    struct side *b = new_side('B');
    t = NULL;
    REQ_OK(cio_connect_write_pipe(&cli_proto, b, q[1], &t));
    b->ref = t;
    q[1] = -1;
    CHECK_RC(write_pat(t, 0, 256 * KB, 16 * KB), 0);
    CHECK(cio_transport_get_write_buffer_size(t) > 0);
    close_fd(&q[0]);
    WAIT_UNTIL(b->lost == 1, 5.0);
    CHECK_RC(b->lost_err, -EPIPE);
    CHECK_INT(cio_transport_get_write_buffer_size(t), 0);
    CHECK_RC(cio_transport_write(t, "x", 1), -EPIPE);

    REQ(mk_pipe(u) == 0);
    struct side *c = new_side('C');
    t = NULL;
    REQ_OK(cio_connect_write_pipe(&cli_proto, c, u[1], &t));
    c->ref = t;
    u[1] = -1;
    close_fd(&u[0]);
    CHECK_RC(cio_transport_write(t, "x", 1), 0); /* gathered: it meets the error at the iteration's end */
    WAIT_UNTIL(c->lost == 1, 5.0);
    CHECK_RC(c->lost_err, -EPIPE);
    CHECK_STR(c->log, "made lost");
out:
    release_refs();
    close_fd(&p[0]);
    close_fd(&p[1]);
    close_fd(&q[0]);
    close_fd(&q[1]);
    close_fd(&u[0]);
    close_fd(&u[1]);
    return 0;
}

static void t_write_pipe_reader_gone(void)
{
    run_case(m_write_pipe_reader_gone);
}

/* What the pipe calls refuse, the fd left open and as it was: NULL protocol
 * or out (-EINVAL), a negative or closed fd and the wrong end of a pipe
 * (-EBADF), a regular file or a directory (-EINVAL: asyncio's "Pipe
 * transport is only for pipes, sockets and character devices"), /dev/null,
 * which epoll cannot watch (-EPERM, not left non-blocking). */
static int m_pipe_bad_args(void *arg, void **result)
{
    int p[2] = {-1, -1}, f = -1, d = -1, n = -1;
    struct side *s = new_side('P');
    cio_transport_t *t = NULL;
    REQ(mk_pipe(p) == 0);
    CHECK_RC(cio_connect_read_pipe(NULL, s, p[0], &t), -EINVAL);
    CHECK_RC(cio_connect_read_pipe(&cli_proto, s, p[0], NULL), -EINVAL);
    CHECK_RC(cio_connect_write_pipe(NULL, s, p[1], &t), -EINVAL);
    CHECK_RC(cio_connect_write_pipe(&cli_proto, s, p[1], NULL), -EINVAL);
    CHECK_RC(cio_connect_read_pipe(&cli_proto, s, -1, &t), -EBADF);
    CHECK_RC(cio_connect_write_pipe(&cli_proto, s, -1, &t), -EBADF);
    CHECK_RC(cio_connect_read_pipe(&cli_proto, s, p[1], &t), -EBADF);
    CHECK_RC(cio_connect_write_pipe(&cli_proto, s, p[0], &t), -EBADF);
    CHECK(fd_untouched(p[0]) && fd_untouched(p[1]));

    char path[] = "/tmp/cio-pipe-XXXXXX";
    f = mkostemp(path, O_CLOEXEC);
    REQ(f >= 0);
    unlink(path);
    CHECK_RC(cio_connect_read_pipe(&cli_proto, s, f, &t), -EINVAL);
    CHECK_RC(cio_connect_write_pipe(&cli_proto, s, f, &t), -EINVAL);
    CHECK(fd_untouched(f));
    d = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    REQ(d >= 0);
    CHECK_RC(cio_connect_read_pipe(&cli_proto, s, d, &t), -EINVAL);
    CHECK(fd_untouched(d));
    n = open("/dev/null", O_RDWR | O_CLOEXEC);
    REQ(n >= 0);
    CHECK_RC(cio_connect_read_pipe(&cli_proto, s, n, &t), -EPERM);
    CHECK_RC(cio_connect_write_pipe(&cli_proto, s, n, &t), -EPERM);
    CHECK(fd_untouched(n));
    int gone = p[0];
    close_fd(&p[0]);
    CHECK_RC(cio_connect_read_pipe(&cli_proto, s, gone, &t), -EBADF);
    CHECK(t == NULL);
    CHECK_INT(s->made, 0);
out:
    close_fd(&p[0]);
    close_fd(&p[1]);
    close_fd(&f);
    close_fd(&d);
    close_fd(&n);
    return 0;
}

static void t_pipe_bad_arguments(void)
{
    run_case(m_pipe_bad_args);
}

/* ================================================================== main */

static const struct test_case cases[] = {
    TEST(t_echo),
    TEST(t_callback_order_full_life),
    TEST(t_buffered_protocol_1mb),
    TEST(t_flow_control_8mb),
    TEST(t_write_buffer_limits),
    TEST(t_pause_resume_reading),
    TEST(t_write_eof_half_open),
    TEST(t_eof_received_null_closes),
    TEST(t_close_flushes_buffer),
    TEST(t_abort_drops_buffer),
    TEST(t_lost_once_and_references),
    TEST(t_peer_reset),
    TEST(t_peername_sockname_fd),
    TEST(t_server_basics),
    TEST(t_server_delay_start),
    TEST(t_server_close_keeps_connections),
    TEST(t_server_close_clients),
    TEST(t_server_abort_clients),
    TEST(t_server_hosts_list),
    TEST(t_server_reuse_port),
    TEST(t_unix_server_and_connection),
    TEST(t_connect_accepted_socket),
    TEST(t_datagram_udp_echo),
    TEST(t_datagram_connected_refused),
    TEST(t_datagram_unix),
    TEST(t_sock_server_and_connection),
    TEST(t_sock_unix_server_and_connection),
    TEST(t_sock_datagram),
    TEST(t_sock_refused),
    TEST(t_many_concurrent_clients),
    TEST(t_connection_refused),
    TEST(t_bad_arguments),
    TEST(t_outside_task),
    TEST(t_read_pipe),
    TEST(t_write_pipe),
    TEST(t_write_pipe_reader_gone),
    TEST(t_pipe_bad_arguments),
};

int main(int argc, char **argv)
{
    int rc = run_tests(argc, argv, cases, NCASES(cases));
    free(patbuf);
    return rc;
}
