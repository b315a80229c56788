/* W10 idle connections: IDLE connections that stay open and idle, plus
 * ACTIVE busy ones, against a TCP echo server on 127.0.0.1.
 *
 * The server is a cio streams echo server (cio_start_server, per connection
 * a task: n = cio_stream_read_ref(s, 65536, &data); cio_stream_write;
 * cio_stream_drain; until EOF; W10_HANDLER=copy: cio_stream_read into a
 * 4 KiB buffer on the task's stack instead) run by this process; the
 * client runs in a child forked before the server starts, so that the
 * server's memory is measured alone.  With --server PID PORT the client runs
 * alone against another server process (the peers: bench/run.sh points it at
 * the shared harness's W4 streams echo servers).
 *
 * The client:
 *   1. reads the server's VmRSS (/proc/PID/status): rss0;
 *   2. opens IDLE connections, in batches of 200, and makes one 64-byte
 *      round trip on each (so that the server has read from each);
 *   3. 0.2 s later reads VmRSS again: rss_idle;
 *      bytes_per_conn = (rss_idle - rss0) * 1024 / IDLE;
 *   4. opens ACTIVE more connections and for SECS seconds keeps one 64-byte
 *      message in flight on each (as shared/peers/echo_client.c), checked
 *      byte for byte: rps, p50_us, p99_us, and the server's CPU over that
 *      window (utime+stime from /proc/PID/stat) as srv_cpu_pct;
 *   5. makes one more round trip on every idle connection (idle_ok= counts
 *      those that still echo), then closes everything.
 * The open-file soft limit is raised to the hard limit first (both processes
 * hold IDLE + ACTIVE sockets).
 *
 * usage: w10_idle [IDLE [ACTIVE [SECS]]]                 (default 10000 100 3)
 *        w10_idle --server PID PORT [IDLE [ACTIVE [SECS]]]
 * prints: bytes_per_conn= rps= conns_idle= conns_active= p50_us= p99_us=
 *         srv_cpu_pct= srv_rss0_kb= srv_rss_idle_kb= srv_hwm_kb= connect_s=
 *         idle_ok= errors=
 * Exit status 1 on any error (refused connection, wrong echo, lost idle
 * connection), 2 on usage errors. */
#define _GNU_SOURCE
#include <cio.h>

#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define MSG 64
#define BATCH 200
#define HIST_US 1000000

/* ------------------------------------------------------------------ client */

static long errors;

/* Count an error; the first five are described on stderr. */
static void err(const char *what, long i)
{
    if (errors++ < 5)
        fprintf(stderr, "w10_idle: %s (connection #%ld)\n", what, i);
}

/* A /proc/PID/status field in kB (VmRSS, VmHWM), -1 if unreadable. */
static long proc_status_kb(pid_t pid, const char *key)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long v = -1;
    size_t kl = strlen(key);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
            v = strtol(line + kl + 1, NULL, 10);
            break;
        }
    fclose(f);
    return v;
}

/* utime+stime of PID in clock ticks (all threads), -1 if unreadable. */
static long proc_cpu_ticks(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')'); /* after comm, which may hold spaces */
    if (!p)
        return -1;
    unsigned long ut = 0, st = 0;
    /* fields 3..15: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime */
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return -1;
    return (long)(ut + st);
}

static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct timeval tv = {.tv_sec = 10};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

static void fill(unsigned char *m, uint64_t seq)
{
    for (int i = 0; i < MSG; i++)
        m[i] = (unsigned char)('A' + (seq + (uint64_t)i) % 58);
}

static int send_msg(int fd, uint64_t seq)
{
    unsigned char m[MSG];
    fill(m, seq);
    return send(fd, m, MSG, MSG_NOSIGNAL) == MSG ? 0 : -1;
}

/* Blocking (SO_RCVTIMEO 10 s) receipt of the echo of message seq. */
static int recv_echo(int fd, uint64_t seq)
{
    unsigned char m[MSG], r[MSG];
    size_t got = 0;
    while (got < MSG) {
        ssize_t n = recv(fd, r + got, MSG - got, 0);
        if (n <= 0) {
            if (n < 0 && errno == EINTR)
                continue;
            return -1;
        }
        got += (size_t)n;
    }
    fill(m, seq);
    return memcmp(m, r, MSG) == 0 ? 0 : -1;
}

/* One round trip on each of fds[0..n), all messages sent first. */
static long round_trips(const int *fds, long n, uint64_t seq0)
{
    long ok = 0;
    for (long i = 0; i < n; i++)
        if (fds[i] >= 0 && send_msg(fds[i], seq0 + (uint64_t)i) < 0)
            err("send on an idle connection failed", i);
    for (long i = 0; i < n; i++) {
        if (fds[i] < 0)
            continue;
        if (recv_echo(fds[i], seq0 + (uint64_t)i) == 0)
            ok++;
        else
            err("no echo or a wrong one on an idle connection", i);
    }
    return ok;
}

struct conn {
    int fd;
    size_t sent, rcvd;
    uint64_t t_send, seq;
    unsigned char tx[MSG], rx[MSG];
};

static uint64_t *hist;

static double pct_us(uint64_t total, double p)
{
    if (!total)
        return 0;
    uint64_t target = (uint64_t)(p * (double)total), acc = 0;
    if (target >= total)
        target = total - 1;
    for (uint64_t i = 0; i < HIST_US; i++)
        if ((acc += hist[i]) > target)
            return (double)i;
    return HIST_US;
}

static void start_msg(struct conn *c, uint64_t seq)
{
    fill(c->tx, seq);
    c->seq = seq;
    c->sent = c->rcvd = 0;
    c->t_send = bench_now_ns();
    ssize_t w = send(c->fd, c->tx, MSG, MSG_NOSIGNAL); /* 64 bytes: all or error */
    if (w == MSG)
        c->sent = MSG;
    else
        err("send on an active connection failed", -1);
}

/* ACTIVE closed-loop connections for secs seconds; returns round trips done. */
static uint64_t active_load(int port, long nactive, double secs, double *elapsed)
{
    struct conn *cs = calloc((size_t)nactive, sizeof *cs);
    hist = calloc(HIST_US, sizeof *hist);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (!cs || !hist || ep < 0) {
        err("out of memory or no epoll", 0);
        return 0;
    }
    for (long i = 0; i < nactive; i++) {
        cs[i].fd = connect_to(port);
        if (cs[i].fd < 0) {
            err("connect of an active connection failed", i);
            continue;
        }
        fcntl(cs[i].fd, F_SETFL, fcntl(cs[i].fd, F_GETFL) | O_NONBLOCK);
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &cs[i]};
        epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev);
    }
    uint64_t rtts = 0, seq = 1u << 30;
    uint64_t t0 = bench_now_ns(), deadline = t0 + (uint64_t)(secs * 1e9);
    for (long i = 0; i < nactive; i++)
        if (cs[i].fd >= 0)
            start_msg(&cs[i], seq++);
    struct epoll_event evs[256];
    for (;;) {
        uint64_t now = bench_now_ns();
        if (now >= deadline)
            break;
        int n = epoll_wait(ep, evs, 256, (int)((deadline - now + 999999) / 1000000));
        if (n < 0 && errno != EINTR)
            break;
        for (int k = 0; k < n; k++) {
            struct conn *c = evs[k].data.ptr;
            if (c->fd < 0)
                continue;
            ssize_t r = recv(c->fd, c->rx + c->rcvd, MSG - c->rcvd, 0);
            if (r < 0 && (errno == EAGAIN || errno == EINTR))
                continue;
            if (r <= 0 || c->rcvd + (size_t)r > c->sent) {
                err("an active connection was lost", (long)(c - cs));
                close(c->fd);
                c->fd = -1;
                continue;
            }
            c->rcvd += (size_t)r;
            if (c->rcvd < MSG)
                continue;
            uint64_t t = bench_now_ns();
            if (memcmp(c->rx, c->tx, MSG) != 0) {
                err("wrong echo on an active connection", (long)(c - cs));
                close(c->fd);
                c->fd = -1;
                continue;
            }
            rtts++;
            uint64_t us = (t - c->t_send) / 1000;
            hist[us < HIST_US ? us : HIST_US - 1]++;
            if (t < deadline)
                start_msg(c, seq++);
        }
    }
    *elapsed = (double)(bench_now_ns() - t0) / 1e9;
    for (long i = 0; i < nactive; i++)
        if (cs[i].fd >= 0)
            close(cs[i].fd);
    close(ep);
    free(cs);
    return rtts;
}

/* The whole measurement against server process spid on 127.0.0.1:port;
 * prints the result line.  0, or 1 on errors. */
static int client(pid_t spid, int port, long nidle, long nactive, double secs)
{
    long rss0 = proc_status_kb(spid, "VmRSS");
    if (rss0 < 0) {
        fprintf(stderr, "w10_idle: cannot read /proc/%d/status\n", (int)spid);
        return 1;
    }
    int *fds = malloc((size_t)(nidle ? nidle : 1) * sizeof *fds);
    if (!fds)
        return 1;
    uint64_t t0 = bench_now_ns();
    long ok = 0;
    for (long b = 0; b < nidle; b += BATCH) {
        long m = nidle - b < BATCH ? nidle - b : BATCH;
        for (long i = b; i < b + m; i++) {
            fds[i] = connect_to(port);
            if (fds[i] < 0) {
                if (errors++ < 5)
                    fprintf(stderr, "w10_idle: connect #%ld: %s\n", i, strerror(errno));
            }
        }
        ok += round_trips(fds + b, m, (uint64_t)b);
    }
    double connect_s = (double)(bench_now_ns() - t0) / 1e9;
    usleep(200000);
    long rss_idle = proc_status_kb(spid, "VmRSS");

    long hz = sysconf(_SC_CLK_TCK);
    long c0 = proc_cpu_ticks(spid);
    double elapsed = 0;
    uint64_t rtts = nactive > 0 ? active_load(port, nactive, secs, &elapsed) : 0;
    long c1 = proc_cpu_ticks(spid);

    long idle_ok = round_trips(fds, nidle, 1u << 20);
    long hwm = proc_status_kb(spid, "VmHWM");
    for (long i = 0; i < nidle; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    free(fds);

    printf("bytes_per_conn=%.0f rps=%.1f conns_idle=%ld conns_active=%ld p50_us=%.0f p99_us=%.0f "
           "srv_cpu_pct=%.0f srv_rss0_kb=%ld srv_rss_idle_kb=%ld srv_hwm_kb=%ld connect_s=%.2f idle_ok=%ld errors=%ld\n",
           nidle ? (double)(rss_idle - rss0) * 1024.0 / (double)nidle : 0.0, elapsed > 0 ? (double)rtts / elapsed : 0.0,
           nidle, nactive, pct_us(rtts, 0.50), pct_us(rtts, 0.99),
           elapsed > 0 && c0 >= 0 && c1 >= 0 ? (double)(c1 - c0) / (double)hz / elapsed * 100.0 : -1.0, rss0, rss_idle,
           hwm, connect_s, idle_ok, errors);
    fflush(stdout);
    (void)ok;
    return errors || idle_ok != nidle || (nactive > 0 && rtts == 0);
}

/* ------------------------------------------------------------------ server */

static int quiet(int rc)
{
    return (rc == -ECONNRESET || rc == -EPIPE || rc == -ETIMEDOUT || rc == CIO_ECLOSED) ? 0 : rc;
}

/* The echo handler.  By default it reads with cio_stream_read_ref (no
 * buffer of its own: an idle connection holds none); W10_HANDLER=copy reads
 * into a 4 KiB buffer on the task's stack instead (two stack pages live
 * while idle). */
static int use_copy;

static int echo_stream(cio_stream_t *s, void *arg)
{
    (void)arg;
    int rc = 0;
    for (;;) {
        const void *data;
        ssize_t n = cio_stream_read_ref(s, 65536, &data);
        if (n <= 0) {
            rc = (int)n;
            break;
        }
        if ((rc = cio_stream_write(s, data, (size_t)n)) < 0)
            break;
        if ((rc = cio_stream_drain(s)) < 0)
            break;
    }
    return quiet(rc);
}

static int echo_stream_copy(cio_stream_t *s, void *arg)
{
    (void)arg;
    char buf[4096];
    int rc = 0;
    for (;;) {
        ssize_t n = cio_stream_read(s, buf, sizeof buf);
        if (n <= 0) {
            rc = (int)n;
            break;
        }
        if ((rc = cio_stream_write(s, buf, (size_t)n)) < 0)
            break;
        if ((rc = cio_stream_drain(s)) < 0)
            break;
    }
    return quiet(rc);
}

struct srv {
    int port_w;  /* the port goes to the client through this pipe */
    int done_r;  /* EOF here once the client has exited */
};

static int server_main(void *arg, void **result)
{
    (void)result;
    struct srv *a = arg;
    cio_server_opts_t opts = {.backlog = 1024};
    cio_server_t *sv = NULL;
    const char *h = getenv("W10_HANDLER");
    use_copy = h && strcmp(h, "copy") == 0;
    int rc = cio_start_server(use_copy ? echo_stream_copy : echo_stream, NULL, "127.0.0.1", 0, &opts, &sv);
    if (rc < 0) {
        fprintf(stderr, "w10_idle: cio_start_server: %s\n", cio_strerror(rc));
        close(a->port_w);
        return rc;
    }
    int port = cio_server_port(sv);
    if (write(a->port_w, &port, sizeof port) != (ssize_t)sizeof port)
        rc = -EPIPE;
    close(a->port_w);
    if (rc == 0)
        rc = cio_wait_readable(a->done_r, -1); /* the client's end closes when it exits */
    cio_server_close(sv);
    /* Its connections end as the client's sockets closed; wait (bounded). */
    cio_timeout_t to;
    int rc2 = cio_timeout_enter(&to, 10.0);
    if (rc2 == 0)
        rc2 = cio_timeout_exit(&to, cio_server_wait_closed(sv));
    if (rc2 < 0)
        fprintf(stderr, "w10_idle: cio_server_wait_closed: %s\n", cio_strerror(rc2));
    cio_unref(sv);
    return rc < 0 ? rc : rc2;
}

int main(int argc, char **argv)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    signal(SIGPIPE, SIG_IGN);
    int ext = argc > 1 && strcmp(argv[1], "--server") == 0;
    int base = ext ? 3 : 0;
    if (ext && argc < 4) {
        fprintf(stderr, "usage: %s [IDLE [ACTIVE [SECS]]] | --server PID PORT [IDLE [ACTIVE [SECS]]]\n", argv[0]);
        return 2;
    }
    long nidle = bench_arg(argc, argv, base + 1, 10000);
    long nactive = bench_arg(argc, argv, base + 2, 100);
    long secs = bench_arg(argc, argv, base + 3, 3);
    if (secs <= 0)
        secs = 1;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && (rlim_t)(nidle + nactive + 64) > rl.rlim_cur)
        fprintf(stderr, "w10_idle: warning: open-file limit %ld is below %ld connections\n", (long)rl.rlim_cur,
                nidle + nactive);
    if (ext) {
        pid_t spid = (pid_t)bench_arg(argc, argv, 2, 0);
        int port = (int)bench_arg(argc, argv, 3, 0);
        return client(spid, port, nidle, nactive, (double)secs);
    }

    int pp[2], dp[2];
    if (pipe2(pp, O_CLOEXEC) < 0 || pipe2(dp, O_CLOEXEC) < 0) {
        perror("w10_idle: pipe");
        return 1;
    }
    pid_t server_pid = getpid();
    pid_t kid = fork();
    if (kid < 0) {
        perror("w10_idle: fork");
        return 1;
    }
    if (kid == 0) { /* the client: keeps dp[1] open until it exits */
        close(pp[1]);
        close(dp[0]);
        int port = 0;
        ssize_t n = read(pp[0], &port, sizeof port);
        close(pp[0]);
        if (n != (ssize_t)sizeof port)
            _exit(1); /* the server failed to start and said so */
        int rc = client(server_pid, port, nidle, nactive, (double)secs);
        fflush(stdout);
        _exit(rc);
    }
    close(pp[0]);
    close(dp[1]);
    fcntl(dp[0], F_SETFL, fcntl(dp[0], F_GETFL) | O_NONBLOCK);
    struct srv a = {.port_w = pp[1], .done_r = dp[0]};
    int rc = cio_run(server_main, &a, NULL);
    int st = 0;
    while (waitpid(kid, &st, 0) < 0 && errno == EINTR)
        ;
    if (rc < 0)
        fprintf(stderr, "w10_idle: server: %s\n", cio_strerror(rc));
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return 1;
    return rc < 0;
}
