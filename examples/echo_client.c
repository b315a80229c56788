/* echo_client: asyncio's "TCP echo client using streams" (the asyncio-stream
 * documentation), the client of echo_server.
 *
 *     async def tcp_echo_client(message):
 *         reader, writer = await asyncio.open_connection(
 *             '127.0.0.1', 8888)
 *
 *         print(f'Send: {message!r}')
 *         writer.write(message.encode())
 *         await writer.drain()
 *
 *         data = await reader.read(100)
 *         print(f'Received: {data.decode()!r}')
 *
 *         print('Close the connection')
 *         writer.close()
 *         await writer.wait_closed()
 *
 *     asyncio.run(tcp_echo_client('Hello World!'))
 *
 * Here every message is a line: it is sent with its '\n' and the echo is
 * read back with readline (not read(100), which may return part of it).
 *
 * Usage: echo_client [HOST [PORT [LINE...]]]
 *   default 127.0.0.1 8888 "Hello World!"; exits 0 when every echo came back
 *   equal to what was sent.  Start a server first (echo_server, or
 *   `echo_server 0 --once` and the port it prints).
 */
#include <cio.h>
#include <errno.h>
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

struct client {
    const char *host;
    int port;
    char **lines;
    int nlines;
};

static int tcp_echo_client(void *arg, void **result)
{
    struct client *c = arg;
    cio_stream_t *s;
    int rc = cio_open_connection(c->host, c->port, &s);
    if (rc < 0) return rc;
    char msg[1024], echo[1024];
    int matched = 1;
    for (int i = 0; i < c->nlines; i++) {
        int len = snprintf(msg, sizeof msg, "%s\n", c->lines[i]);
        if (len >= (int)sizeof msg) {
            rc = -EMSGSIZE;
            break;
        }
        printf("Send: %s\n", repr(msg, (size_t)len));
        if ((rc = cio_stream_write(s, msg, (size_t)len)) < 0 || (rc = cio_stream_drain(s)) < 0) break;
        ssize_t n = cio_stream_readline(s, echo, sizeof echo);
        if (n < 0) {
            rc = (int)n;
            break;
        }
        printf("Received: %s\n", repr(echo, (size_t)n));
        matched &= n == len && memcmp(echo, msg, (size_t)len) == 0;
    }
    puts("Close the connection");
    cio_stream_close(s);
    int wrc = cio_stream_wait_closed(s);
    cio_unref(s);
    if (rc == 0) rc = wrc;
    if (rc == 0 && !matched) {
        fprintf(stderr, "echo_client: an echo differs from what was sent\n");
        rc = -EPROTO;
    }
    return rc;
}

int main(int argc, char **argv)
{
    static char *hello[] = {"Hello World!"};
    struct client c = {"127.0.0.1", 8888, hello, 1};
    if (argc > 1) c.host = argv[1];
    if (argc > 2) {
        char *end;
        long port = strtol(argv[2], &end, 10);
        if (!*argv[2] || *end || port < 1 || port > 65535) {
            fprintf(stderr, "usage: echo_client [HOST [PORT [LINE...]]]\n");
            return 2;
        }
        c.port = (int)port;
    }
    if (argc > 3) {
        c.lines = argv + 3;
        c.nlines = argc - 3;
    }
    double start = perf_counter();
    int rc = cio_run(tcp_echo_client, &c, NULL);
    if (rc < 0) {
        fprintf(stderr, "echo_client: %s\n", cio_strerror(rc));
        return 1;
    }
    printf("elapsed: %.2f s\n", perf_counter() - start);
    return 0;
}
