/* W13 fairness under a pipelining flood: one client pipelines 1 KiB lines
 * and reads their echoes back as fast as it can (a legitimate client: it
 * never lets its receive buffer fill), while a probe connection does one
 * 64-byte round trip every 10 ms.  What the probe's round trips take is how
 * long the server makes every other client (and its timers) wait while one
 * client keeps it busy.
 *
 * usage: w13_fair streams PORT    cio_start_server; each connection's task
 *                                 loops cio_stream_readline, cio_stream_write,
 *                                 cio_stream_drain (the guide's line echo)
 *        w13_fair protocol PORT   cio_create_server, data_received ->
 *                                 cio_transport_write
 *        w13_fair client PORT [SECS]   the load (plain sockets and threads,
 *                                 no cio): a flood connection (a writer thread
 *                                 sending 64 lines of 1 KiB per send(), a
 *                                 reader thread reading and checking every
 *                                 echoed byte) and a probe (the main thread:
 *                                 a 64-byte line, then its echo, every 10 ms
 *                                 on a fixed schedule, for SECS, default 10).
 * The servers serve on 127.0.0.1 until killed and print nothing on stdout.
 * The client prints one line:
 *   probes=N probe_p50_ms=.. probe_p99_ms=.. probe_max_ms=.. flood_mb_s=..
 *   (MB = 10^6 bytes of echo received by the flood over the probe's window)
 * (secs: how long the probing took, a late last probe's wait included).
 * A probe whose echo has not come 20 s after SECS ended ends the run:
 * probe_lost=1, that probe counted as taking all that time.  Exits 1 if an
 * echo differs from what was sent. */
#include <cio.h>

#include "bench.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* --------------------------------------------------------------- servers */
#define LINE_MAX_ 65536

static int quiet(int rc)
{
    return (rc == -ECONNRESET || rc == -EPIPE || rc == -ETIMEDOUT || rc == CIO_ECLOSED) ? 0 : rc;
}

static int line_echo(cio_stream_t *s, void *arg)
{
    (void)arg;
    char *line = malloc(LINE_MAX_);
    if (!line)
        return -ENOMEM;
    int rc;
    for (;;) {
        ssize_t n = cio_stream_readline(s, line, LINE_MAX_);
        if (n <= 0) {
            rc = (int)n;
            break;
        }
        if ((rc = cio_stream_write(s, line, (size_t)n)) < 0)
            break;
        if ((rc = cio_stream_drain(s)) < 0)
            break;
    }
    free(line);
    return quiet(rc);
}

static void proto_data(cio_transport_t *t, const void *data, size_t n, void *ud)
{
    (void)ud;
    static int said;
    int rc = cio_transport_write(t, data, n);
    if (rc < 0 && !said++)
        fprintf(stderr, "w13_fair: cio_transport_write: %s\n", cio_strerror(rc));
}

static const cio_protocol_t echo_protocol = {.data_received = proto_data};

struct srv_args {
    int protocol, port;
};

static int amain(void *arg, void **result)
{
    (void)result;
    const struct srv_args *a = arg;
    cio_server_opts_t opts = {.backlog = 128};
    cio_server_t *sv = NULL;
    int rc = a->protocol ? cio_create_server(&echo_protocol, NULL, "127.0.0.1", a->port, &opts, &sv)
                         : cio_start_server(line_echo, NULL, "127.0.0.1", a->port, &opts, &sv);
    if (rc < 0) {
        fprintf(stderr, "w13_fair: listen on 127.0.0.1:%d: %s\n", a->port, cio_strerror(rc));
        return rc;
    }
    rc = cio_server_serve_forever(sv);
    cio_unref(sv);
    return rc;
}

/* ---------------------------------------------------------------- client */
#define FLOOD_LINE 1024
#define FLOOD_BATCH 64
#define PROBE_LEN 64
#define PROBE_EVERY_NS 10000000ull
#define LOST_AFTER_NS 20000000000ull

static char flood_pat[FLOOD_LINE];
static atomic_int stop;
static atomic_ullong flood_rx;
static atomic_int flood_bad;
static int flood_fd;

static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void *flood_writer(void *arg)
{
    (void)arg;
    static char batch[FLOOD_LINE * FLOOD_BATCH];
    for (int i = 0; i < FLOOD_BATCH; i++)
        memcpy(batch + i * FLOOD_LINE, flood_pat, FLOOD_LINE);
    while (!atomic_load(&stop)) {
        size_t off = 0;
        while (off < sizeof batch && !atomic_load(&stop)) {
            ssize_t w = send(flood_fd, batch + off, sizeof batch - off, MSG_NOSIGNAL);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                return NULL;
            off += (size_t)w;
        }
    }
    return NULL;
}

static void *flood_reader(void *arg)
{
    (void)arg;
    static char buf[1 << 18];
    unsigned long long at = 0;
    for (;;) {
        ssize_t r = recv(flood_fd, buf, sizeof buf, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        for (ssize_t i = 0; i < r;) { /* every byte echoed as sent */
            size_t p = (size_t)((at + (unsigned long long)i) % FLOOD_LINE);
            size_t k = FLOOD_LINE - p < (size_t)(r - i) ? FLOOD_LINE - p : (size_t)(r - i);
            if (memcmp(buf + i, flood_pat + p, k) != 0) {
                atomic_store(&flood_bad, 1);
                return NULL;
            }
            i += (ssize_t)k;
        }
        at += (unsigned long long)r;
        atomic_store(&flood_rx, at);
    }
    return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void sleep_until(uint64_t t)
{
    uint64_t now = bench_now_ns();
    if (t > now) {
        struct timespec ts = {(time_t)((t - now) / 1000000000ull), (long)((t - now) % 1000000000ull)};
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
        }
    }
}

static int client(int port, int secs)
{
    for (int i = 0; i < FLOOD_LINE - 1; i++)
        flood_pat[i] = (char)('!' + (i * 7) % 90);
    flood_pat[FLOOD_LINE - 1] = '\n';
    flood_fd = connect_to(port);
    int probe = connect_to(port);
    if (flood_fd < 0 || probe < 0) {
        fprintf(stderr, "w13_fair: connect to 127.0.0.1:%d: %s\n", port, strerror(errno));
        return 1;
    }
    pthread_t wt, rt;
    if (pthread_create(&rt, NULL, flood_reader, NULL) != 0 || pthread_create(&wt, NULL, flood_writer, NULL) != 0) {
        fprintf(stderr, "w13_fair: pthread_create failed\n");
        return 1;
    }
    sleep_until(bench_now_ns() + 200000000ull); /* the flood gets going */

    size_t cap = (size_t)secs * 1000000000ull / PROBE_EVERY_NS + 16, n = 0;
    uint64_t *rtt = malloc(cap * sizeof *rtt);
    if (!rtt)
        return 1;
    int lost = 0, bad = 0;
    uint64_t t0 = bench_now_ns(), end = t0 + (uint64_t)secs * 1000000000ull, next = t0;
    unsigned long long rx0 = atomic_load(&flood_rx), rx_end = 0;
    uint64_t t_end = 0; /* when the window ended (a probe may still wait) */
    while (next < end && n < cap) {
        sleep_until(next);
        char msg[PROBE_LEN], got[PROBE_LEN];
        memset(msg, 'p', sizeof msg);
        int h = snprintf(msg, sizeof msg, "probe %zu ", n);
        msg[h] = 'p';
        msg[PROBE_LEN - 1] = '\n';
        uint64_t ts = bench_now_ns();
        if (send(probe, msg, sizeof msg, MSG_NOSIGNAL) != (ssize_t)sizeof msg) {
            bad = 1;
            break;
        }
        size_t have = 0;
        while (have < sizeof got) {
            uint64_t now = bench_now_ns();
            if (now >= end && !t_end) {
                t_end = now;
                rx_end = atomic_load(&flood_rx);
            }
            if (now > end + LOST_AFTER_NS) {
                lost = 1;
                break;
            }
            uint64_t until = t_end ? end + LOST_AFTER_NS : end;
            struct pollfd pf = {.fd = probe, .events = POLLIN};
            int pr = poll(&pf, 1, (int)((until - now) / 1000000ull) + 1);
            if (pr < 0 && errno == EINTR)
                continue;
            if (pr <= 0)
                continue;
            ssize_t r = recv(probe, got + have, sizeof got - have, 0);
            if (r <= 0) {
                bad = 1;
                break;
            }
            have += (size_t)r;
        }
        uint64_t te = bench_now_ns();
        rtt[n++] = te - ts;
        if (lost || bad)
            break;
        if (memcmp(got, msg, sizeof msg) != 0) {
            bad = 1;
            break;
        }
        next += PROBE_EVERY_NS;
        if (next < te)
            next = te; /* late: the next probe at once, no catching up */
    }
    uint64_t t1 = bench_now_ns();
    unsigned long long rx1 = atomic_load(&flood_rx);
    if (t_end) { /* the flood's rate over the window, not over a late probe's wait */
        t1 = t_end;
        rx1 = rx_end;
    }
    atomic_store(&stop, 1);
    shutdown(flood_fd, SHUT_RDWR);
    pthread_join(wt, NULL);
    pthread_join(rt, NULL);
    close(flood_fd);
    close(probe);
    if (atomic_load(&flood_bad)) {
        fprintf(stderr, "w13_fair: the flood's echo differs from what was sent\n");
        bad = 1;
    }
    if (n == 0) {
        fprintf(stderr, "w13_fair: no probe completed\n");
        free(rtt);
        return 1;
    }
    qsort(rtt, n, sizeof *rtt, cmp_u64);
    size_t i50 = (n * 50 + 99) / 100, i99 = (n * 99 + 99) / 100;
    double secs_w = (double)(t1 - t0) / 1e9, waited = (double)(bench_now_ns() - t0) / 1e9;
    printf("probes=%zu probe_p50_ms=%.3f probe_p99_ms=%.3f probe_max_ms=%.3f flood_mb_s=%.1f secs=%.2f%s%s\n", n,
           (double)rtt[i50 ? i50 - 1 : 0] / 1e6, (double)rtt[i99 ? i99 - 1 : 0] / 1e6, (double)rtt[n - 1] / 1e6,
           (double)(rx1 - rx0) / 1e6 / secs_w, waited, lost ? " probe_lost=1" : "", bad ? " status=BAD-ECHO" : "");
    free(rtt);
    return bad; /* a lost probe is a result (probe_lost=1), not a failure */
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4 ||
        (strcmp(argv[1], "streams") != 0 && strcmp(argv[1], "protocol") != 0 && strcmp(argv[1], "client") != 0) ||
        (argc == 4 && strcmp(argv[1], "client") != 0)) {
        fprintf(stderr, "usage: %s streams|protocol PORT\n       %s client PORT [SECS]\n", argv[0], argv[0]);
        return 2;
    }
    int port = (int)bench_arg(argc, argv, 2, 0);
    if (port <= 0 || port > 65535) {
        fprintf(stderr, "w13_fair: bad port '%s'\n", argv[2]);
        return 2;
    }
    if (strcmp(argv[1], "client") == 0) {
        long secs = bench_arg(argc, argv, 3, 10);
        if (secs < 1 || secs > 3600) {
            fprintf(stderr, "w13_fair: SECS must be in [1, 3600]\n");
            return 2;
        }
        return client(port, (int)secs);
    }
    struct srv_args a = {.protocol = strcmp(argv[1], "protocol") == 0, .port = port};
    int rc = cio_run(amain, &a, NULL);
    if (rc < 0 && rc != -ECANCELED)
        fprintf(stderr, "w13_fair: %s\n", cio_strerror(rc));
    return rc < 0 && rc != -ECANCELED;
}
