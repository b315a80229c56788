/* W4 TCP echo server on 127.0.0.1, for the peers' load client
 * (shared/peers/echo_client.c), in two variants as the Python peers have:
 *   streams   cio_start_server; each connection's task loops
 *             n = cio_stream_read(s, buf, 65536); cio_stream_write(s, buf, n);
 *             cio_stream_drain(s);  until EOF (asyncio's start_server with
 *             reader.read(65536), writer.write, await writer.drain())
 *   protocol  cio_create_server with a protocol whose data_received calls
 *             cio_transport_write (asyncio's Protocol echo)
 * The 64 KiB read buffer of the streams variant is one malloc per connection
 * (as the libuv peer's per-connection buffer): it does not fit the default
 * 64 KiB task stack.  Backlog 1024, as the peers.  Serves until killed
 * (SIGTERM's default action ends it).
 * usage: w4_echo streams|protocol PORT   (the peers' harness appends PORT)
 * prints nothing on stdout; a note on stderr if accepted sockets do not have
 * TCP_NODELAY (asyncio and libuv's peer set it). */
#include <cio.h>

#include "bench.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#define BUFSZ 65536

static void check_nodelay(int fd)
{
    static int checked;
    if (checked++ || fd < 0)
        return;
    int v = 0;
    socklen_t len = sizeof v;
    if (getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &len) == 0 && !v)
        fprintf(stderr, "w4_echo: note: accepted sockets have TCP_NODELAY off (asyncio turns it on)\n");
}

/* A connection error ends the handler quietly, as the Python peer's
 * `except ConnectionError`; anything else goes to the exception handler. */
static int quiet(int rc)
{
    return (rc == -ECONNRESET || rc == -EPIPE || rc == -ETIMEDOUT || rc == CIO_ECLOSED) ? 0 : rc;
}

static int echo_stream(cio_stream_t *s, void *arg)
{
    (void)arg;
    check_nodelay(cio_stream_fd(s));
    char *buf = malloc(BUFSZ);
    if (!buf)
        return -ENOMEM;
    int rc = 0;
    for (;;) {
        ssize_t n = cio_stream_read(s, buf, BUFSZ);
        if (n <= 0) {
            rc = (int)n;
            break;
        }
        if ((rc = cio_stream_write(s, buf, (size_t)n)) < 0)
            break;
        if ((rc = cio_stream_drain(s)) < 0)
            break;
    }
    free(buf);
    return quiet(rc);
}

static long write_errors;

static void proto_made(cio_transport_t *t, void *ud)
{
    (void)ud;
    check_nodelay(cio_transport_fd(t));
}

static void proto_data(cio_transport_t *t, const void *data, size_t n, void *ud)
{
    (void)ud;
    int rc = cio_transport_write(t, data, n);
    if (rc < 0 && write_errors++ == 0)
        fprintf(stderr, "w4_echo: cio_transport_write: %s\n", cio_strerror(rc));
}

static const cio_protocol_t echo_protocol = {
    .connection_made = proto_made,
    .data_received = proto_data,
};

struct args {
    int protocol;
    int port;
};

static int amain(void *arg, void **result)
{
    (void)result;
    const struct args *a = arg;
    cio_server_opts_t opts = {.backlog = 1024};
    cio_server_t *sv = NULL;
    int rc = a->protocol ? cio_create_server(&echo_protocol, NULL, "127.0.0.1", a->port, &opts, &sv)
                         : cio_start_server(echo_stream, NULL, "127.0.0.1", a->port, &opts, &sv);
    if (rc < 0) {
        fprintf(stderr, "w4_echo: listen on 127.0.0.1:%d: %s\n", a->port, cio_strerror(rc));
        return rc;
    }
    rc = cio_server_serve_forever(sv);
    cio_unref(sv);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[1], "streams") != 0 && strcmp(argv[1], "protocol") != 0)) {
        fprintf(stderr, "usage: %s streams|protocol PORT\n", argv[0]);
        return 2;
    }
    struct args a = {.protocol = strcmp(argv[1], "protocol") == 0, .port = (int)bench_arg(argc, argv, 2, 0)};
    if (a.port <= 0 || a.port > 65535) {
        fprintf(stderr, "w4_echo: bad port '%s'\n", argv[2]);
        return 2;
    }
    int rc = cio_run(amain, &a, NULL);
    if (rc < 0 && rc != -ECANCELED)
        fprintf(stderr, "w4_echo: %s\n", cio_strerror(rc));
    return rc < 0 && rc != -ECANCELED;
}
