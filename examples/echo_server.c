/* echo_server: asyncio's "TCP echo server using streams" (the asyncio-stream
 * documentation; the seeds list start_server among the loop's methods but
 * show no server).
 *
 *     async def handle_echo(reader, writer):
 *         data = await reader.read(100)
 *         message = data.decode()
 *         addr = writer.get_extra_info('peername')
 *
 *         print(f"Received {message!r} from {addr!r}")
 *
 *         print(f"Send: {message!r}")
 *         writer.write(data)
 *         await writer.drain()
 *
 *         print("Close the connection")
 *         writer.close()
 *         await writer.wait_closed()
 *
 *     async def main():
 *         server = await asyncio.start_server(
 *             handle_echo, '127.0.0.1', 8888)
 *
 *         addrs = ', '.join(str(sock.getsockname()) for sock in server.sockets)
 *         print(f'Serving on {addrs}')
 *
 *         async with server:
 *             await server.serve_forever()
 *
 *     asyncio.run(main())
 *
 * Here the handler echoes line after line until the client closes
 * (`async for line in reader: writer.write(line); await writer.drain()`)
 * rather than one read(100): one task per client, started by the server.
 *
 * Usage: echo_server [PORT] [--once | --count N | --selftest]
 *   PORT        port on 127.0.0.1 (default 8888; 0: a free one)
 *   --once      serve one client, then exit (--count 1)
 *   --count N   serve N clients, then exit
 *   --selftest  serve on a free port and run echo_client's logic against it:
 *               two clients at once, each sending three lines; exit 0 when
 *               every echo came back right (the demo's entry)
 *
 * With no flag the server runs forever and quietly, as a benchmark wants it:
 * each client's task loops over cio_stream_read of up to 64 KiB,
 * cio_stream_write and cio_stream_drain (asyncio: reader.read(65536),
 * writer.write, await writer.drain()), with one buffer per connection and
 * no allocation per message.  Try it with `echo_client 127.0.0.1 PORT`.
 */
#include <cio.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double perf_counter(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Python's repr() of a short str, in a static buffer (one per printf). */
static const char *repr(const char *s, size_t n)
{
    static char out[512];
    size_t o = 0;
    out[o++] = '\'';
    for (size_t i = 0; i < n && o < sizeof out - 8; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n') o += (size_t)sprintf(out + o, "\\n");
        else if (c == '\r') o += (size_t)sprintf(out + o, "\\r");
        else if (c == '\\' || c == '\'') o += (size_t)sprintf(out + o, "\\%c", c);
        else if (c < 0x20 || c == 0x7f) o += (size_t)sprintf(out + o, "\\x%02x", c);
        else out[o++] = (char)c;
    }
    out[o++] = '\'';
    out[o] = '\0';
    return out;
}

/* get_extra_info('peername') as Python prints it: ('127.0.0.1', 54321) */
static void peername(cio_stream_t *s, char *buf, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    char host[64], port[16]; /* numeric: an IPv6 address is at most 46 bytes */
    if (cio_stream_peername(s, &ss, &len) < 0 ||
        getnameinfo((struct sockaddr *)&ss, len, host, sizeof host, port, sizeof port, NI_NUMERICHOST | NI_NUMERICSERV))
        snprintf(buf, cap, "?");
    else
        snprintf(buf, cap, "('%.46s', %.7s)", host, port);
}

/* A peer that resets or vanishes ends its handler quietly. */
static int quiet(int rc)
{
    return rc == -ECONNRESET || rc == -EPIPE || rc == CIO_ECLOSED ? 0 : rc;
}

/* --------------------------------------------------------------- servers */

struct echo_server {
    cio_server_t *server;
    int remaining; /* clients still to serve; < 0: no limit */
};

/* The line echo of --once / --count / --selftest. */
static int handle_echo(cio_stream_t *s, void *arg)
{
    struct echo_server *es = arg;
    if (es->remaining > 0 && --es->remaining == 0)
        cio_server_close(es->server); /* the last one: stop listening */
    char addr[80];
    peername(s, addr, sizeof addr);
    const char *line;
    ssize_t n;
    int rc = 0;
    while ((n = cio_stream_readline_ref(s, &line)) > 0) { /* async for line in reader */
        printf("Received %s from %s\n", repr(line, (size_t)n), addr);
        printf("Send: %s\n", repr(line, (size_t)n));
        if ((rc = cio_stream_write(s, line, (size_t)n)) < 0 || (rc = cio_stream_drain(s)) < 0) break;
    }
    if (n < 0) rc = (int)n;
    puts("Close the connection"); /* the stream is closed when we return */
    return quiet(rc);
}

#define BUFSZ (64 * 1024)

/* The bulk echo of the forever mode: no output, no allocation per message.
 * The buffer is one malloc per connection: it does not fit a task's default
 * 64 KiB stack. */
static int handle_echo_fast(cio_stream_t *s, void *arg)
{
    char *buf = malloc(BUFSZ);
    if (!buf) return -ENOMEM;
    ssize_t n;
    int rc = 0;
    while ((n = cio_stream_read(s, buf, BUFSZ)) > 0)
        if ((rc = cio_stream_write(s, buf, (size_t)n)) < 0 || (rc = cio_stream_drain(s)) < 0) break;
    if (n < 0) rc = (int)n;
    free(buf);
    return quiet(rc);
}

/* ------------------------------------------------ the selftest's clients */

struct client {
    int port;
    int id;
    int ok; /* every echo matched */
};

/* echo_client's tcp_echo_client: send lines, read each echo back. */
static int tcp_echo_client(void *arg, void **result)
{
    struct client *c = arg;
    cio_stream_t *s;
    int rc = cio_open_connection("127.0.0.1", c->port, &s);
    if (rc < 0) return rc;
    char msg[64], echo[64];
    c->ok = 1;
    for (int i = 1; i <= 3 && rc == 0; i++) {
        int len = snprintf(msg, sizeof msg, "client %d line %d\n", c->id, i);
        printf("[client %d] Send: %s\n", c->id, repr(msg, (size_t)len));
        if ((rc = cio_stream_write(s, msg, (size_t)len)) < 0 || (rc = cio_stream_drain(s)) < 0) break;
        ssize_t n = cio_stream_readline(s, echo, sizeof echo);
        if (n < 0) rc = (int)n;
        if (rc < 0) break;
        printf("[client %d] Received: %s\n", c->id, repr(echo, (size_t)n));
        c->ok &= n == len && memcmp(echo, msg, (size_t)len) == 0;
    }
    printf("[client %d] Close the connection\n", c->id);
    cio_stream_close(s);
    int wrc = cio_stream_wait_closed(s);
    cio_unref(s);
    return rc < 0 ? rc : wrc;
}

/* ------------------------------------------------------------------ main */

struct options {
    int port;
    int count;    /* clients to serve; -1: forever */
    int selftest;
};

static int selftest(struct echo_server *es)
{
    struct client clients[2] = {{.port = cio_server_port(es->server), .id = 1},
                                {.port = cio_server_port(es->server), .id = 2}};
    cio_call_t calls[2] = {{tcp_echo_client, &clients[0]}, {tcp_echo_client, &clients[1]}};
    int rcs[2];
    int rc = cio_gather_calls(calls, 2, NULL, rcs, CIO_RETURN_EXCEPTIONS);
    for (int i = 0; i < 2 && rc == 0; i++) {
        if (rcs[i] < 0) rc = rcs[i];
        else if (!clients[i].ok) rc = -EPROTO;
    }
    return rc;
}

static int amain(void *arg, void **result)
{
    struct options *opt = arg;
    struct echo_server es = {NULL, opt->count};
    int forever = opt->count < 0 && !opt->selftest;
    int rc = cio_start_server(forever ? handle_echo_fast : handle_echo, &es, "127.0.0.1", opt->port, NULL,
                              &es.server);
    if (rc < 0) return rc;
    printf("Serving on ('127.0.0.1', %d)\n", cio_server_port(es.server));
    fflush(stdout);

    if (forever) {
        rc = cio_server_serve_forever(es.server); /* until cancelled (or killed) */
    } else {
        if (opt->selftest) {
            cio_timeout_t to; /* a broken library fails the demo, never hangs it */
            rc = cio_timeout_enter(&to, 10);
            if (rc == 0) rc = cio_timeout_exit(&to, selftest(&es));
            cio_server_close(es.server);
        }
        int wrc = cio_server_wait_closed(es.server); /* the listener and every client gone */
        if (rc == 0) rc = wrc;
    }
    cio_unref(es.server);
    return rc;
}

static int usage(void)
{
    fprintf(stderr, "usage: echo_server [PORT] [--once | --count N | --selftest]\n");
    return 2;
}

/* A number in [lo, hi], or -1. */
static int number(const char *s, int lo, int hi)
{
    char *end;
    long v = strtol(s, &end, 10);
    return *s && !*end && v >= lo && v <= hi ? (int)v : -1;
}

int main(int argc, char **argv)
{
    struct options opt = {.port = 8888, .count = -1};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--once") == 0) opt.count = 1;
        else if (strcmp(argv[i], "--count") == 0 && i + 1 < argc) {
            if ((opt.count = number(argv[++i], 1, 1 << 30)) < 0) return usage();
        } else if (strcmp(argv[i], "--selftest") == 0) opt.selftest = 1;
        else if ((opt.port = number(argv[i], 0, 65535)) < 0) return usage();
    }
    if (opt.selftest && opt.count > 0) return usage();
    if (opt.selftest) opt.port = 0;
    double start = perf_counter();
    int rc = cio_run(amain, &opt, NULL);
    if (rc < 0) {
        fprintf(stderr, "echo_server: %s\n", cio_strerror(rc));
        return 1;
    }
    printf("elapsed: %.2f s\n", perf_counter() - start);
    return 0;
}
