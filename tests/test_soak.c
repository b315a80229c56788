/* Soak (issue 7): many loopback connections for a bounded time, each of which
 * connects, exchanges random-sized framed messages with an echo server,
 * half-closes, closes, or is reset at a random point by either side, and is
 * replaced by a new one.  Checked throughout:
 *
 *   - every byte a client sent comes back exactly once, byte for byte, in
 *     order (a position-dependent pattern: a byte lost, duplicated, moved or
 *     corrupted shows at once), or its loss is known to the sender: it reset
 *     the connection itself, or the stream reported the server's reset
 *     (-ECONNRESET / -EPIPE) -- a clean EOF never hides a loss;
 *   - the server sees every frame intact (magic, sequence, checksum) and no
 *     reset it was not told to expect;
 *   - no error code other than the ones the header promises for each case;
 *   - every task finishes, every accepted connection's handler returns, the
 *     server's wait_closed returns;
 *   - memory stays flat: the run is split into a warm-up and a main phase,
 *     and at the end of each, once every connection is gone, the library's
 *     live allocations (counted by a wrapper over the harness's allocator)
 *     and the process's RSS are sampled; the main phase, with thousands more
 *     connections, must end where the warm-up ended.  The harness checks for
 *     leaks after the case.
 *
 * The server (cio_start_server) and the clients (cio_open_connection) run
 * in one loop; a client is two tasks, a writer that follows the
 * connection's plan and a reader that verifies the echo as it arrives.
 * Writes come in random pieces (some through writev) with yields, sleeps
 * and drains between them; reads go through read_ref, read and readexactly;
 * some reads and drains are cut short by a timeout of a millisecond or less
 * and started again (nothing may be lost to that); a fifth of the
 * connections run with small send buffers and low water marks, so that
 * writes are taken in part and drains wait.
 *
 * Duration and size: about 30 s with 250 connections open at once (10 s and
 * 100 in sanitized builds).  CIO_SOAK_SECS and CIO_SOAK_CONNS (connections
 * open at once) override them, CIO_SOAK_SEED fixes the plans' random seed
 * (the interleaving still varies).  A one-line summary goes to stderr. */
#include "harness.h"

#include <stdarg.h>
#include <stdint.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#ifdef CIO_TEST_SANITIZED
#define DEFAULT_SECS 10.0
#define DEFAULT_CONNS 100
#define SESSION_TIMEOUT 60.0
#else
#define DEFAULT_SECS 30.0
#define DEFAULT_CONNS 250
#define SESSION_TIMEOUT 30.0
#endif
#define MIN_TOTAL_CONNS 2000 /* the count, over the default run */
/* New connections per second, whatever the number open at once: the pauses
 * between frames stretch to match.  Bounded so that the client sockets left
 * in TIME_WAIT (a minute each, for the connections the client closes first)
 * stay well inside the ephemeral port range. */
#define TARGET_RATE 400.0
#define MEAN_FRAMES 5.5

#define HDR 32                /* frame header: 8 x uint32 */
#define MAXMSG (64 * 1024)    /* payload 1 B .. 64 KiB */
#define MAXFRAMES 10
#define CHUNK (16 * 1024)     /* the writer's and the server's buffers (heap) */
#define FRAME_MAGIC 0x4b414f53u /* "SOAK" */
#define F_CABORT 1u           /* flag: this client will reset the connection */
#define F_SMALLBUF 2u         /* flag: small send buffers on both ends (flow control) */
#define SMALLBUF 4096

/* ------------------------------------------------------------ parameters */

static struct {
    double secs;
    int conns;
    uint64_t seed;
    int port;
    double deadline; /* now_s() after which workers start no new connection */
    double think;    /* mean pause between a client's frames, seconds */
} P;

static double env_num(const char *name, double def)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return def;
    char *end;
    double d = strtod(v, &end);
    return end != v && d > 0 ? d : def;
}

/* ------------------------------------------------------------ accounting */

enum { END_HALFCLOSE, END_CLOSE, END_CABORT, END_SABORT, NEND };
static const char *const end_name[NEND] = {"half-close", "close", "client-reset", "server-reset"};
enum { CA_MID, CA_AFTER, CA_HALF }; /* where a client reset happens */

static struct {
    /* clients */
    long opened, finished, by_end[NEND];
    uint64_t sent, verified, lost_client_reset, lost_server_reset;
    long write_errs; /* write/drain errors reported to the sender (server resets) */
    long read_timeouts, drain_timeouts; /* calls cut short by a timeout, then resumed */
    long errors;     /* unexpected outcomes (each one printed, up to a limit) */
    long open_now, open_max;
    /* server */
    long srv_started, srv_finished, srv_active;
    long srv_frames, srv_self_resets, srv_peer_resets, srv_clean_eofs;
    uint64_t srv_bytes_echoed;
    long srv_errors;
    long exceptions;
} S;

static void soak_fail(const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 1, 2)))
#endif
    ;
static void soak_fail(const char *fmt, ...)
{
    if (S.errors++ < 12) {
        char msg[400];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        FAILF("%s", msg);
    } else {
        test_failed = 1;
    }
}

static int is_reset(long rc)
{
    return rc == -ECONNRESET || rc == -EPIPE;
}

/* ------------------------------------------------- memory measurement */

/* The library's live bytes, kept by a wrapper over the harness's counting
 * allocator (whose header records each block's size), so the harness's own
 * leak check still sees every allocation. */
static atomic_llong soak_live_bytes;

static size_t blk_size(void *p)
{
    return p ? ((struct test_hdr *)p - 1)->size : 0;
}
static void *soak_malloc(void *ud, size_t n)
{
    void *p = test_malloc(ud, n);
    if (p)
        atomic_fetch_add(&soak_live_bytes, (long long)n);
    return p;
}
static void *soak_realloc(void *ud, void *p, size_t n)
{
    size_t old = blk_size(p);
    void *q = test_realloc(ud, p, n);
    if (q)
        atomic_fetch_add(&soak_live_bytes, (long long)n - (long long)old);
    return q;
}
static void soak_free(void *ud, void *p)
{
    atomic_fetch_sub(&soak_live_bytes, (long long)blk_size(p));
    test_free(ud, p);
}

static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

struct sample {
    long rss_kb, allocs;
    long long bytes;
    long conns; /* connections made so far */
};

static struct sample take_sample(void)
{
    return (struct sample){rss_kb(), atomic_load(&test_live_allocs), atomic_load(&soak_live_bytes), S.opened};
}

/* ------------------------------------------------------------ the protocol */

/* A frame: a 32-byte header (magic, connection id, sequence number, payload
 * length, server-reset point, flags, payload checksum, header check) and
 * the payload, whose bytes are a function of (connection, sequence,
 * offset).  The server echoes each frame as it reads it. */
static inline uint8_t pat(uint32_t id, uint32_t seq, uint32_t i)
{
    uint32_t x = i * 2654435761u ^ seq * 0x9e3779b9u ^ id * 0x85ebca6bu;
    x ^= x >> 15;
    x *= 0x2c1b3c6du;
    x ^= x >> 12;
    return (uint8_t)(x ^ (x >> 8) ^ (i >> 8));
}

#define FNV_INIT 2166136261u
static inline uint32_t fnv(uint32_t h, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

static uint32_t payload_csum(uint32_t id, uint32_t seq, uint32_t len)
{
    uint32_t h = FNV_INIT;
    for (uint32_t i = 0; i < len; i++)
        h = (h ^ pat(id, seq, i)) * 16777619u;
    return h;
}

enum { H_MAGIC, H_ID, H_SEQ, H_LEN, H_SRESET, H_FLAGS, H_CSUM, H_CHECK };

static uint32_t hdr_check(const uint32_t *h)
{
    uint32_t x = 0x1234567u;
    for (int i = 0; i < H_CHECK; i++)
        x = (x ^ h[i]) * 0x01000193u + (uint32_t)i;
    return x;
}

/* xorshift64* */
static inline uint64_t rnd(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545f4914f6cdd1dull;
}
static inline uint32_t rnd_below(uint64_t *s, uint32_t n)
{
    return n ? (uint32_t)(rnd(s) % n) : 0;
}

/* ------------------------------------------------------------ the server */

/* The server's side of each connection, for the report of a session that
 * hangs: which call its handler is in. */
#define SLOTS 65536
static struct srv_slot {
    uint32_t id;
    cio_stream_t *s;
    const char *op;
} srv_slots[SLOTS];

static void srv_op(cio_stream_t *s, uint32_t id, const char *op)
{
    struct srv_slot *sl = &srv_slots[id % SLOTS];
    if (!id)
        return;
    if (op) {
        *sl = (struct srv_slot){id, s, op};
    } else if (sl->id == id) {
        *sl = (struct srv_slot){0};
    }
}

/* A small send buffer and low water marks: writes are taken in part,
 * drains wait.  (Not a small receive buffer: shrunk after the handshake it
 * makes loopback's 64 KiB segments overflow it, and the kernel stalls in
 * retransmission backoff for seconds to minutes with the data still in the
 * sender's kernel queue -- plain sockets do the same.) */
static void set_bufs(cio_stream_t *s)
{
    int v = SMALLBUF;
    setsockopt(cio_stream_fd(s), SOL_SOCKET, SO_SNDBUF, &v, sizeof v);
    CHECK_RC(cio_stream_set_write_buffer_limits(s, 2 * SMALLBUF, SMALLBUF / 2), 0);
}

/* Echo frames as they arrive, checking each one; reset the connection where
 * a frame asks for it.  A reset from the client is expected only where its
 * frames announced one, or before its first full header. */
static int h_soak(cio_stream_t *s, void *arg)
{
    (void)arg;
    S.srv_started++;
    S.srv_active++;
    uint8_t *buf = malloc(CHUNK);
    uint32_t h[8], id = 0, seq = 0, announced = 0;
    int have_header = 0;
    uint64_t rng = 0x2545f4914f6cdd1dull ^ (uint64_t)S.srv_started * 0x9e3779b97f4a7c15ull;
    long rc = 0; /* how the connection ended: 0 (EOF), or the stream's error */
    if (!buf) {
        S.srv_errors++;
        soak_fail("server: out of memory");
        goto out;
    }
    for (;;) {
        ssize_t n = cio_stream_readexactly(s, h, HDR);
        if (n == CIO_EINCOMPLETE) {
            if (cio_stream_partial(s) == 0) {
                S.srv_clean_eofs++; /* EOF at a frame boundary: the client is done */
            } else {
                S.srv_errors++;
                soak_fail("server: conn %u: EOF inside a frame header (%zu bytes)", id, cio_stream_partial(s));
            }
            goto out;
        }
        if (n < 0) {
            rc = n;
            break;
        }
        if (h[H_MAGIC] != FRAME_MAGIC || h[H_CHECK] != hdr_check(h) || (have_header && h[H_ID] != id) ||
            h[H_SEQ] != seq || h[H_LEN] < 1 || h[H_LEN] > MAXMSG || h[H_SRESET] > h[H_LEN] + 1) {
            S.srv_errors++;
            soak_fail("server: conn %u: bad header after %u frames (magic %08x id %u seq %u len %u)", id, seq,
                      h[H_MAGIC], h[H_ID], h[H_SEQ], h[H_LEN]);
            cio_stream_abort(s);
            goto out;
        }
        if (!have_header && (h[H_FLAGS] & F_SMALLBUF))
            set_bufs(s);
        id = h[H_ID];
        announced = h[H_FLAGS] & F_CABORT;
        have_header = 1;
        srv_op(s, id, "write header");
        if ((rc = cio_stream_write(s, h, HDR)) < 0)
            break;
        S.srv_bytes_echoed += HDR;
        uint32_t len = h[H_LEN], done = 0, csum = FNV_INIT;
        uint32_t reset_at = h[H_SRESET] ? h[H_SRESET] - 1 : UINT32_MAX;
        while (done < len && done < reset_at) {
            size_t want = len - done;
            if (want > CHUNK)
                want = CHUNK;
            if (want > reset_at - done)
                want = reset_at - done;
            srv_op(s, id, "read payload");
            n = cio_stream_read(s, buf, want);
            if (n == 0) {
                S.srv_errors++;
                soak_fail("server: conn %u frame %u: EOF inside the payload (%u of %u bytes)", id, seq, done, len);
                goto out;
            }
            if (n < 0) {
                rc = n;
                goto lost;
            }
            csum = fnv(csum, buf, (size_t)n);
            rc = cio_stream_write(s, buf, (size_t)n);
            srv_op(s, id, "drain");
            /* On small buffers, some drains are cut short by a timeout and
             * started again: nothing buffered may be lost. */
            while (rc == 0 && (h[H_FLAGS] & F_SMALLBUF) && rnd_below(&rng, 4) == 0) {
                cio_timeout_t to;
                if ((rc = cio_timeout_enter(&to, (1 + rnd_below(&rng, 500)) / 1e6)) == 0)
                    rc = cio_timeout_exit(&to, cio_stream_drain(s));
                if (rc != -ETIMEDOUT)
                    break;
                S.drain_timeouts++;
                rc = 0;
            }
            if (rc == 0)
                rc = cio_stream_drain(s);
            if (rc < 0)
                goto lost;
            done += (uint32_t)n;
            S.srv_bytes_echoed += (uint64_t)n;
        }
        if (done == len && csum != h[H_CSUM]) {
            S.srv_errors++;
            soak_fail("server: conn %u frame %u: payload checksum %08x, header says %08x", id, seq, csum, h[H_CSUM]);
            cio_stream_abort(s);
            goto out;
        }
        if (h[H_SRESET]) { /* the frame asks for a reset here */
            cio_stream_abort(s);
            S.srv_self_resets++;
            goto out;
        }
        S.srv_frames++;
        seq++;
        srv_op(s, id, "read header");
    }
lost:
    if (is_reset(rc) && (!have_header || announced)) {
        S.srv_peer_resets++;
    } else {
        S.srv_errors++;
        soak_fail("server: conn %u after %u frames: %s (%s)", id, seq, cio_err_name((int)rc),
                  is_reset(rc) ? "a reset the client did not announce" : "unexpected error");
    }
out:
    srv_op(s, id, NULL);
    S.srv_active--;
    S.srv_finished++;
    free(buf);
    return 0;
}

/* ------------------------------------------------------------ the clients */

struct frame {
    uint32_t len, sreset, csum;
};

/* One connection: its plan, and what happened. */
struct conn {
    cio_stream_t *s;
    uint32_t id;
    int nframes, ending, ca_mode, smallbuf;
    struct frame f[MAXFRAMES];
    uint64_t total;      /* planned bytes (headers and payloads) */
    uint64_t abort_at;   /* CA_MID: the client resets after this many bytes */
    uint64_t stop_after; /* END_CLOSE: the reader stops once all is back */
    uint64_t sent;       /* bytes cio_stream_write(v) accepted */
    uint64_t verified;   /* bytes echoed back and checked */
    ssize_t reader_rc;   /* why the reader stopped: 0 (EOF or all read) or an error */
    int reader_bad;      /* the echo was wrong (already reported) */
    const char *rop;     /* the reader's current or last call, for reports */
    int rtimeouts;       /* the reader's calls cut short by a timeout */
};

static uint32_t next_conn_id;

static void build_header(const struct conn *c, int j, uint32_t h[8])
{
    h[H_MAGIC] = FRAME_MAGIC;
    h[H_ID] = c->id;
    h[H_SEQ] = (uint32_t)j;
    h[H_LEN] = c->f[j].len;
    h[H_SRESET] = c->f[j].sreset;
    h[H_FLAGS] = (c->ending == END_CABORT ? F_CABORT : 0) | (c->smallbuf ? F_SMALLBUF : 0);
    h[H_CSUM] = c->f[j].csum;
    h[H_CHECK] = hdr_check(h);
}

static void plan(struct conn *c, uint64_t *r)
{
    c->id = ++next_conn_id;
    c->nframes = 1 + (int)rnd_below(r, MAXFRAMES);
    c->smallbuf = rnd_below(r, 5) == 0;
    for (int j = 0; j < c->nframes; j++) {
        /* 1 B .. 64 KiB, log-uniform: mostly small, some large. */
        uint32_t len = 1 + rnd_below(r, 1u << rnd_below(r, 17));
        if (rnd_below(r, 32) == 0)
            len = MAXMSG;
        c->f[j] = (struct frame){len, 0, payload_csum(c->id, (uint32_t)j, len)};
        c->total += HDR + len;
    }
    uint32_t e = rnd_below(r, 100);
    c->ending = e < 35 ? END_HALFCLOSE : e < 55 ? END_CLOSE : e < 85 ? END_CABORT : END_SABORT;
    if (c->ending == END_CABORT) {
        c->ca_mode = (int)rnd_below(r, 3);
        if (c->ca_mode == CA_MID)
            c->abort_at = rnd(r) % c->total; /* anywhere, the very start included */
    } else if (c->ending == END_SABORT) {
        int j = (int)rnd_below(r, (uint32_t)c->nframes);
        c->f[j].sreset = 1 + rnd_below(r, c->f[j].len + 1); /* after 0 .. len payload bytes */
    } else if (c->ending == END_CLOSE) {
        c->stop_after = c->total;
    }
}

static void reader_bad(struct conn *c, const char *what, int j, uint32_t off, unsigned got, unsigned want)
{
    c->reader_bad = 1;
    c->reader_rc = -EBADMSG;
    soak_fail("conn %u (%s): echo %s at frame %d/%d offset %u (got %02x, expected %02x); sent %llu, verified %llu",
              c->id, end_name[c->ending], what, j, c->nframes, off, got, want, (unsigned long long)c->sent,
              (unsigned long long)c->verified);
    cio_stream_abort(c->s); /* so that the writer never waits on it */
}

/* Where the reader is in the expected echo. */
struct rpos {
    int j;        /* frame */
    uint32_t off; /* within frame j, header included */
    uint32_t h[8];
};

/* Check n echoed bytes against the plan: 0, or -EBADMSG (reported). */
static int verify(struct conn *c, struct rpos *r, const uint8_t *p, size_t n)
{
    if (c->verified + n > c->sent) {
        reader_bad(c, "of bytes never sent", r->j, r->off, p[0], 0);
        return -EBADMSG;
    }
    for (size_t i = 0; i < n; i++) {
        if (r->j >= c->nframes) {
            reader_bad(c, "beyond the last frame", r->j, r->off, p[i], 0);
            return -EBADMSG;
        }
        unsigned want = r->off < HDR ? ((const uint8_t *)r->h)[r->off] : pat(c->id, (uint32_t)r->j, r->off - HDR);
        if (p[i] != want) {
            c->verified += i;
            reader_bad(c, "mismatch", r->j, r->off, p[i], want);
            return -EBADMSG;
        }
        if (++r->off == HDR + c->f[r->j].len) {
            r->j++;
            r->off = 0;
            if (r->j < c->nframes)
                build_header(c, r->j, r->h);
        }
    }
    c->verified += n;
    return 0;
}

/* Check the echo byte for byte as it arrives, through read_ref (no buffer of
 * our own), read, or readexactly (up to the end of the current frame), some
 * of them under a timeout of a millisecond or two that may cut them short:
 * a read that times out must not have consumed anything. */
static int reader_task(void *arg, void **result)
{
    (void)result;
    struct conn *c = arg;
    struct rpos r = {0};
    uint8_t buf[4096];
    uint64_t rng = 0x9e3779b97f4a7c15ull * (c->id | 1) + 1;
    build_header(c, 0, r.h);
    for (;;) {
        size_t max = MAXMSG;
        if (c->stop_after) {
            if (c->verified >= c->stop_after) {
                c->reader_rc = 0;
                break;
            }
            if (c->stop_after - c->verified < max)
                max = (size_t)(c->stop_after - c->verified);
        }
        uint32_t how = rnd_below(&rng, 10);
        int timed = rnd_below(&rng, 8) == 0;
        cio_timeout_t to;
        if (timed && cio_timeout_enter(&to, (1 + rnd_below(&rng, 2000)) / 1e6) < 0)
            timed = 0;
        const uint8_t *p = buf;
        ssize_t n;
        if (how < 5 || r.j >= c->nframes) {
            const void *data;
            c->rop = timed ? "timed read_ref" : "read_ref";
            n = cio_stream_read_ref(c->s, max, &data);
            p = data;
        } else if (how < 8) {
            c->rop = timed ? "timed read" : "read";
            n = cio_stream_read(c->s, buf, max < sizeof buf ? max : sizeof buf);
        } else {
            c->rop = timed ? "timed readexactly" : "readexactly";
            size_t k = HDR + c->f[r.j].len - r.off;
            if (k > sizeof buf)
                k = sizeof buf;
            if (k > max)
                k = max;
            n = cio_stream_readexactly(c->s, buf, k);
        }
        if (timed) {
            n = cio_timeout_exit(&to, (int)n);
            if (n == -ETIMEDOUT) {
                S.read_timeouts++;
                c->rtimeouts++;
                continue;
            }
        }
        if (n <= 0) {
            c->reader_rc = n;
            /* An error no plan leads to (in the allocation sweep, -ENOMEM):
             * with nobody reading the echo, the server and then the writer
             * would block for good; the outcome is a failure already. */
            if (n < 0 && n != -ECANCELED && n != CIO_ECLOSED && !is_reset(n))
                cio_stream_abort(c->s);
            return n == -ECANCELED ? (int)n : 0; /* a cancel is the awaiting writer's */
        }
        if (verify(c, &r, p, (size_t)n) < 0)
            break;
    }
    return 0;
}

struct worker {
    uint64_t rng;
    uint8_t *buf;
    long sessions;
};

/* A short random pause: none, a yield, a drain (maybe cut short by a
 * timeout), or a sleep under 3 ms. */
static int jitter(struct worker *w, cio_stream_t *s, int *wrc)
{
    switch (rnd_below(&w->rng, 8)) {
    case 0:
    case 1:
        return cio_yield();
    case 2: {
        int rc = cio_stream_drain(s);
        if (rc < 0 && rc != -ECANCELED && !*wrc)
            *wrc = rc;
        return rc == -ECANCELED ? rc : 0;
    }
    case 3:
        return cio_sleep(rnd_below(&w->rng, 3000) / 1e6);
    case 4: { /* a drain cut short by a timeout leaves the data buffered */
        cio_timeout_t to;
        int rc = cio_timeout_enter(&to, (1 + rnd_below(&w->rng, 1000)) / 1e6);
        if (rc == 0)
            rc = cio_timeout_exit(&to, cio_stream_drain(s));
        if (rc == -ETIMEDOUT) {
            S.drain_timeouts++;
            rc = 0;
        }
        if (rc < 0 && rc != -ECANCELED && !*wrc)
            *wrc = rc;
        return rc == -ECANCELED ? rc : 0;
    }
    default:
        return 0;
    }
}

/* Write the planned frames, in random pieces (some through writev), then
 * end as planned and wait for the reader.  *wrc gets the first error of a
 * write, drain or write_eof.  Returns 0, or -ECANCELED / the reader's
 * await error. */
static int drive(struct conn *c, struct worker *w, cio_task_t *reader, int *wrc)
{
    uint64_t pos = 0;
    int rc;
    for (int j = 0; j < c->nframes; j++) {
        uint32_t h[8];
        build_header(c, j, h);
        uint32_t flen = HDR + c->f[j].len, off = 0;
        while (off < flen) {
            if (c->ending == END_CABORT && c->ca_mode == CA_MID && pos == c->abort_at)
                goto reset;
            uint32_t piece = flen - off;
            if (piece > CHUNK)
                piece = CHUNK;
            if (rnd_below(&w->rng, 2))
                piece = 1 + rnd_below(&w->rng, piece);
            if (c->ending == END_CABORT && c->ca_mode == CA_MID && pos + piece > c->abort_at)
                piece = (uint32_t)(c->abort_at - pos);
            for (uint32_t k = 0; k < piece; k++) {
                uint32_t o = off + k;
                w->buf[k] = o < HDR ? ((const uint8_t *)h)[o] : pat(c->id, (uint32_t)j, o - HDR);
            }
            if (piece > 1 && rnd_below(&w->rng, 8) == 0) {
                uint32_t cut = 1 + rnd_below(&w->rng, piece - 1);
                struct iovec iov[3] = {{w->buf, cut}, {w->buf, 0}, {w->buf + cut, piece - cut}};
                rc = cio_stream_writev(c->s, iov, 3);
            } else {
                rc = cio_stream_write(c->s, w->buf, piece);
            }
            if (rc < 0) {
                *wrc = rc;
                goto written;
            }
            c->sent += piece;
            pos += piece;
            off += piece;
            if (rnd_below(&w->rng, 8) == 0 && (rc = jitter(w, c->s, wrc)) < 0)
                return rc;
            if (*wrc)
                goto written;
        }
        rc = cio_stream_drain(c->s);
        if (rc == -ECANCELED)
            return rc;
        if (rc < 0) {
            *wrc = rc;
            goto written;
        }
        if (rnd_below(&w->rng, 3) == 0 && (rc = jitter(w, c->s, wrc)) < 0)
            return rc;
        if (j + 1 < c->nframes && (rc = cio_sleep(P.think * 2 * (double)rnd_below(&w->rng, 1000) / 1000)) < 0)
            return rc;
        if (*wrc)
            goto written;
    }
written:
    if (c->ending == END_CABORT) {
        if (c->ca_mode == CA_HALF && !*wrc && (rc = cio_stream_write_eof(c->s)) < 0)
            *wrc = rc;
        goto reset;
    }
    if ((c->ending == END_HALFCLOSE || (c->ending == END_SABORT && rnd_below(&w->rng, 2))) && !*wrc &&
        (rc = cio_stream_write_eof(c->s)) < 0)
        *wrc = rc;
    /* A write that failed other than by the server's reset (in the
     * allocation sweep, -ENOMEM) is a failed outcome already; the echo the
     * reader waits for, or the server's planned reset, may never come. */
    if (*wrc && !is_reset(*wrc))
        cio_stream_abort(c->s);
    return cio_await(reader, NULL);
reset:
    if ((rc = jitter(w, c->s, wrc)) < 0)
        return rc;
    cio_stream_abort(c->s);
    return cio_await(reader, NULL);
}

/* The outcome of a connection that ran its course. */
static void check_outcome(struct conn *c, int wrc)
{
    uint64_t lost = c->sent - c->verified;
    const char *why = NULL;
    switch (c->ending) {
    case END_HALFCLOSE:
    case END_CLOSE:
        if (wrc)
            why = "a write, drain or write_eof failed";
        else if (c->reader_rc != 0)
            why = "the reader failed";
        else if (c->sent != c->total || c->verified != c->sent)
            why = "bytes lost with no error reported";
        break;
    case END_CABORT:
        /* Before the client's own reset the connection must have been fine;
         * after it a blocked read sees the end of the stream (0), as
         * asyncio's reader is fed EOF by connection_lost(None). */
        if (wrc)
            why = "a write, drain or write_eof failed before the reset";
        else if (c->reader_rc != 0 && c->reader_rc != CIO_EINCOMPLETE) /* readexactly's EOF */
            why = "the reader did not end with EOF";
        S.lost_client_reset += lost;
        break;
    case END_SABORT:
        /* The server reset the connection: the client must hear of it. */
        if (wrc && !is_reset(wrc))
            why = "a write, drain or write_eof failed with an unexpected code";
        else if (!is_reset(c->reader_rc))
            why = "the server's reset was not reported to the reader";
        S.lost_server_reset += lost;
        if (wrc)
            S.write_errs++;
        break;
    }
    if (why)
        soak_fail("conn %u (%s%s%s, %d frames, %llu bytes): %s: reader %s in %s after %d timeouts, writer %s; sent "
                  "%llu, verified %llu",
                  c->id, end_name[c->ending], c->smallbuf ? ", small buffers" : "",
                  c->ending != END_CABORT ? "" : c->ca_mode == CA_MID ? " mid" : c->ca_mode == CA_AFTER ? " after" : " half",
                  c->nframes, (unsigned long long)c->total, why, cio_err_name((int)c->reader_rc),
                  c->rop ? c->rop : "-", c->rtimeouts, cio_err_name(wrc),
                  (unsigned long long)c->sent, (unsigned long long)c->verified);
}

static void sock_queues(int fd, char *out, size_t cap)
{
    int inq = -1, outq = -1;
    if (fd >= 0) {
        ioctl(fd, SIOCINQ, &inq);
        ioctl(fd, SIOCOUTQ, &outq);
    }
    snprintf(out, cap, "fd %d: %d bytes to read, %d unsent in the kernel", fd, inq, outq);
}

/* Where the bytes of a hung connection are. */
static void dump_conn(struct conn *c)
{
    char a[120], b[120] = "gone";
    sock_queues(cio_stream_fd(c->s), a, sizeof a);
    struct srv_slot *sl = &srv_slots[c->id % SLOTS];
    const char *op = "-";
    size_t swb = 0;
    if (sl->id == c->id) {
        sock_queues(cio_stream_fd(sl->s), b, sizeof b);
        op = sl->op;
        swb = cio_stream_write_buffer_size(sl->s);
    }
    fprintf(stderr,
            "  conn %u: client: %zu bytes in the stream's write buffer, %s; reader in %s\n"
            "  conn %u: server: handler in %s, %zu bytes in the stream's write buffer, %s\n",
            c->id, cio_stream_write_buffer_size(c->s), a, c->rop ? c->rop : "-", c->id, op, swb, b);
}

/* One connection from open to close.  0, or -ECANCELED when the worker is
 * cancelled (the watchdog). */
static int session(struct worker *w)
{
    struct conn c = {0};
    cio_task_t *reader = NULL;
    int wrc = 0, rc;
    plan(&c, &w->rng);
    rc = cio_open_connection("127.0.0.1", P.port, &c.s);
    if (rc < 0) {
        if (rc == -ECANCELED)
            return rc;
        soak_fail("conn %u: cio_open_connection: %s", c.id, cio_err_name(rc));
        return cio_sleep(0.01); /* and on with the next one */
    }
    S.opened++;
    if (++S.open_now > S.open_max)
        S.open_max = S.open_now;
    S.by_end[c.ending]++;
    if (c.smallbuf)
        set_bufs(c.s);
    reader = cio_create_task(reader_task, &c);
    if (!reader) {
        soak_fail("conn %u: cio_create_task failed", c.id);
        goto done;
    }
    cio_timeout_t to;
    rc = cio_timeout_enter(&to, SESSION_TIMEOUT);
    if (rc == 0)
        rc = cio_timeout_exit(&to, drive(&c, w, reader, &wrc));
    if (rc < 0) {
        if (rc != -ECANCELED)
            dump_conn(&c);
        if (rc != -ECANCELED)
            soak_fail("conn %u (%s%s, %d frames, %llu bytes): %s; sent %llu, verified %llu, writer %s, reader in %s "
                      "after %d timeouts",
                      c.id, end_name[c.ending], c.smallbuf ? ", small buffers" : "", c.nframes,
                      (unsigned long long)c.total, cio_err_name(rc), (unsigned long long)c.sent,
                      (unsigned long long)c.verified, cio_err_name(wrc), c.rop ? c.rop : "-", c.rtimeouts);
    } else if (!c.reader_bad) {
        check_outcome(&c, wrc);
    }
    S.sent += c.sent;
    S.verified += c.verified;
    if (c.verified > c.sent)
        soak_fail("conn %u: verified %llu > sent %llu", c.id, (unsigned long long)c.verified,
                  (unsigned long long)c.sent);
done:
    /* Close and wait: 0, or for a connection the server reset its error. */
    cio_stream_close(c.s);
    if (!reader || !cio_future_done(reader)) {
        cio_stream_abort(c.s); /* wakes the reader: it sees the end (0) */
        if (reader)
            cio_await(reader, NULL);
    }
    if (rc >= 0) {
        cio_timeout_t to2;
        int wc = cio_timeout_enter(&to2, 10.0);
        if (wc == 0)
            wc = cio_timeout_exit(&to2, cio_stream_wait_closed(c.s));
        if (wc == -ECANCELED)
            rc = wc;
        else if (wc != 0 && !(c.ending == END_SABORT && is_reset(wc)) && !c.reader_bad)
            soak_fail("conn %u (%s): cio_stream_wait_closed: %s", c.id, end_name[c.ending], cio_err_name(wc));
    }
    cio_unref(reader);
    cio_unref(c.s);
    S.open_now--;
    S.finished++;
    return rc == -ECANCELED ? rc : 0;
}

static int worker_task(void *arg, void **result)
{
    (void)result;
    struct worker *w = arg;
    /* Start spread over one connection's length, not all at once. */
    int rc0 = cio_sleep(P.think * MEAN_FRAMES * (double)rnd_below(&w->rng, 1000) / 1000);
    if (rc0 < 0)
        return rc0;
    while (now_s() < P.deadline) {
        int rc = session(w);
        if (rc < 0)
            return rc;
        w->sessions++;
    }
    return 0;
}

/* ------------------------------------------------------------ the run */

static void soak_exc(cio_loop_t *loop, const cio_exc_context_t *ctx, void *ud)
{
    (void)loop;
    (void)ud;
    if (S.exceptions++ < 5)
        FAILF("exception handler called: %s: %s%s%s", ctx->message ? ctx->message : "(no message)",
              cio_err_name(ctx->error), ctx->error_message ? ": " : "", ctx->error_message ? ctx->error_message : "");
    test_failed = 1;
}

/* n workers open connections one after another until secs have passed;
 * then wait until every connection is gone, the server's included. */
static int run_phase(double secs, struct worker *ws, int n)
{
    int rc = 0;
    cio_task_t **ts = calloc((size_t)n, sizeof *ts);
    int *rcs = calloc((size_t)n, sizeof *rcs);
    int nt = 0;
    if (!ts || !rcs) {
        FAILF("out of memory");
        rc = -ENOMEM;
        goto out;
    }
    P.deadline = now_s() + secs;
    for (nt = 0; nt < n; nt++)
        if (!(ts[nt] = cio_create_task(worker_task, &ws[nt]))) {
            FAILF("cio_create_task failed");
            rc = -ENOMEM;
            break;
        }
    if (nt) {
        int grc = cio_gather(ts, (size_t)nt, NULL, rcs, CIO_RETURN_EXCEPTIONS);
        if (grc < 0)
            rc = grc;
        for (int i = 0; i < nt; i++)
            if (rcs[i] != 0 && rc == 0)
                rc = rcs[i];
    }
    reap_tasks(ts, (size_t)nt); /* if the gather failed, workers may still run */
    /* Quiesce: every client is done; wait for the server's handlers. */
    double t0 = now_s();
    while (rc == 0 && (S.srv_active > 0 || S.open_now > 0) && now_s() - t0 < 20)
        if ((rc = cio_sleep(0.005)) < 0)
            break;
    if (rc == 0 && (S.srv_active > 0 || S.open_now > 0)) {
        FAILF("%ld server handler(s) and %ld client(s) still running 20 s after the phase", S.srv_active, S.open_now);
        rc = -ETIMEDOUT;
    }
    for (int i = 0; rc == 0 && i < 10; i++)
        rc = cio_yield(); /* closing callbacks */
out:
    free(ts);
    free(rcs);
    return rc;
}

static int m_soak(void *arg, void **result)
{
    (void)arg;
    (void)result;
    cio_loop_t *loop = NULL;
    cio_server_t *sv = NULL;
    struct worker *ws = calloc((size_t)P.conns, sizeof *ws);
    struct sample s0 = {0}, s1 = {0};
    double t0 = now_s();
    REQ(ws);
    REQ(cio_get_running_loop(&loop) == 0);
    cio_loop_set_exception_handler(loop, soak_exc, NULL);
    for (int i = 0; i < P.conns; i++) {
        ws[i].rng = (P.seed ^ (0x9e3779b97f4a7c15ull * (uint64_t)(i + 1))) | 1;
        REQ((ws[i].buf = malloc(CHUNK)));
    }
    cio_server_opts_t o = {.backlog = 4096};
    int rc = cio_start_server(h_soak, NULL, "127.0.0.1", 0, &o, &sv);
    CHECK_RC(rc, 0);
    REQ(rc == 0 && sv);
    P.port = cio_server_port(sv);
    REQ(P.port > 0);

    /* Warm-up: a quarter of the time; then the main phase. */
    double warm = P.secs / 4;
    CHECK_RC(run_phase(warm, ws, P.conns), 0);
    s0 = take_sample();
    CHECK_RC(run_phase(P.secs - warm, ws, P.conns), 0);
    s1 = take_sample();

    CHECK_RC(cio_server_close(sv), 0);
    cio_timeout_t to;
    REQ(cio_timeout_enter(&to, 10) == 0);
    CHECK_RC(cio_timeout_exit(&to, cio_server_wait_closed(sv)), 0);
    cio_unref(sv);
    sv = NULL;
    double elapsed = now_s() - t0;

    /* Every connection was served and ended the way its plan said. */
    CHECK_INT(S.errors, 0);
    CHECK_INT(S.srv_errors, 0);
    CHECK_INT(S.exceptions, 0);
    CHECK_INT(S.finished, S.opened);
    CHECK_INT(S.open_now, 0);
    CHECK_INT(S.srv_started, S.opened);
    CHECK_INT(S.srv_finished, S.srv_started);
    CHECK_INT(S.srv_self_resets, S.by_end[END_SABORT]);
    CHECK_INT(S.srv_clean_eofs + S.srv_peer_resets, S.opened - S.by_end[END_SABORT]);
    CHECK(S.srv_clean_eofs >= S.by_end[END_HALFCLOSE] + S.by_end[END_CLOSE]);
    /* Every byte: echoed and verified, or lost to a reset the sender knew of. */
    CHECK_INT(S.sent, S.verified + S.lost_client_reset + S.lost_server_reset);
    CHECK(S.srv_bytes_echoed >= S.verified);
    /* Connections cycled: the workers reconnected. */
    CHECK(S.opened > P.conns);
    if (!getenv("CIO_SOAK_SECS") && !getenv("CIO_SOAK_CONNS")) {
#ifndef CIO_TEST_SANITIZED
        CHECK(S.opened >= MIN_TOTAL_CONNS);
#endif
    }
    /* Memory stays flat: with every connection gone, the main phase ends
     * where the warm-up ended. */
    if (s1.allocs > s0.allocs + 64)
        FAILF("live allocations grew from %ld after warm-up to %ld at the end (%ld more connections)", s0.allocs,
              s1.allocs, s1.conns - s0.conns);
    if (s1.bytes > s0.bytes + 1024 * 1024)
        FAILF("live library memory grew from %lld to %lld bytes", s0.bytes, s1.bytes);
#ifndef CIO_TEST_SANITIZED /* ASan's quarantine and shadow memory make RSS meaningless */
    if (s0.rss_kb > 0 && s1.rss_kb > s0.rss_kb + 20 * 1024)
        FAILF("RSS grew from %ld kB after warm-up to %ld kB at the end", s0.rss_kb, s1.rss_kb);
#endif

    fprintf(stderr,
            "soak: %.1f s, %ld connections (%d at once, max %ld; half-close %ld, close %ld, client reset %ld, "
            "server reset %ld); sent %.1f MB, echoed and verified %.1f MB, lost to resets %.1f MB known to the "
            "client + %.1f MB reported to it (%ld write errors); %ld reads and %ld drains timed out and resumed; server: %ld frames, %ld resets seen; library "
            "memory warm %ld allocs %lld kB -> end %ld allocs %lld kB; RSS %ld kB -> %ld kB; seed %llu\n",
            elapsed, S.opened, P.conns, S.open_max, S.by_end[END_HALFCLOSE], S.by_end[END_CLOSE],
            S.by_end[END_CABORT], S.by_end[END_SABORT], S.sent / 1e6, S.verified / 1e6, S.lost_client_reset / 1e6,
            S.lost_server_reset / 1e6, S.write_errs, S.read_timeouts, S.drain_timeouts, S.srv_frames, S.srv_peer_resets, s0.allocs, s0.bytes / 1024,
            s1.allocs, s1.bytes / 1024, s0.rss_kb, s1.rss_kb, (unsigned long long)P.seed);
out:
    if (sv) {
        cio_server_close(sv);
        cio_server_abort_clients(sv);
        cio_timeout_t to3;
        if (cio_timeout_enter(&to3, 5) == 0)
            cio_timeout_exit(&to3, cio_server_wait_closed(sv));
        cio_unref(sv);
    }
    if (ws)
        for (int i = 0; i < P.conns; i++)
            free(ws[i].buf);
    free(ws);
    return 0;
}

/* cio_run under a watchdog, as the harness's run_limited, with a deadline
 * that fits the soak's length. */
struct soak_watchdog {
    cio_loop_t *loop;
    cio_task_t *main;
    cio_handle_t *h;
    int fired;
};

static int soak_watchdog_cb(void *arg)
{
    struct soak_watchdog *w = arg;
    if (!w->fired)
        FAILF("timed out: the soak never finished");
    w->fired = 1;
    cio_task_cancel(w->main, "watchdog");
    cio_unref(w->h);
    w->h = NULL;
    cio_call_later(w->loop, 0.5, soak_watchdog_cb, w, &w->h);
    return 0;
}

static int soak_main(void *arg, void **result)
{
    struct soak_watchdog w = {.main = cio_current_task()};
    CHECK_RC(cio_get_running_loop(&w.loop), 0);
    CHECK_RC(cio_call_later(w.loop, P.secs * 2 + 120, soak_watchdog_cb, &w, &w.h), 0);
    int rc = m_soak(arg, result);
    cio_handle_cancel(w.h);
    cio_unref(w.h);
    return rc;
}

static void t_soak(void)
{
    P.secs = env_num("CIO_SOAK_SECS", DEFAULT_SECS);
    P.conns = (int)env_num("CIO_SOAK_CONNS", DEFAULT_CONNS);
    const char *seed = getenv("CIO_SOAK_SEED");
    P.seed = seed && *seed ? strtoull(seed, NULL, 0) : (uint64_t)time(NULL) * 2654435761u ^ (uint64_t)getpid();
    /* Two descriptors per connection (client and server) in this process. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        (rlim_t)P.conns * 2 + 64 > rl.rlim_cur) {
        int cap = (int)((rl.rlim_cur - 64) / 2);
        fprintf(stderr, "soak: RLIMIT_NOFILE %llu allows %d connections at once, not %d\n",
                (unsigned long long)rl.rlim_cur, cap, P.conns);
        P.conns = cap;
    }
    P.think = P.conns / TARGET_RATE / MEAN_FRAMES;
    memset(&S, 0, sizeof S);
    next_conn_id = 0;
    static const cio_allocator_t counting = {soak_malloc, soak_realloc, soak_free, NULL};
    static const cio_allocator_t plain = {test_malloc, test_realloc, test_free, NULL};
    cio_set_allocator(&counting);
    CHECK_RC(cio_run(soak_main, NULL, NULL), 0);
    cio_set_allocator(&plain);
}

static const struct test_case cases[] = {
    TEST(t_soak),
};

int main(int argc, char **argv)
{
    /* Raise the descriptor limit to the hard one. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    return run_tests(argc, argv, cases, NCASES(cases));
}
