/* udp_echo: asyncio's "UDP Echo Server" and "UDP Echo Client" (the
 * asyncio-protocol documentation; the seeds name
 * loop.create_datagram_endpoint), both in one process.
 *
 *     class EchoServerProtocol:
 *         def connection_made(self, transport):
 *             self.transport = transport
 *
 *         def datagram_received(self, data, addr):
 *             message = data.decode()
 *             print('Received %r from %s' % (message, addr))
 *             print('Send %r to %s' % (message, addr))
 *             self.transport.sendto(data, addr)
 *
 *     class EchoClientProtocol:
 *         def __init__(self, message, on_con_lost):
 *             self.message = message
 *             self.on_con_lost = on_con_lost
 *             self.transport = None
 *
 *         def connection_made(self, transport):
 *             self.transport = transport
 *             print('Send:', self.message)
 *             self.transport.sendto(self.message.encode())
 *
 *         def datagram_received(self, data, addr):
 *             print("Received:", data.decode())
 *             print("Close the socket")
 *             self.transport.close()
 *
 *         def error_received(self, exc):
 *             print('Error received:', exc)
 *
 *         def connection_lost(self, exc):
 *             print("Connection closed")
 *             self.on_con_lost.set_result(True)
 *
 *     async def main():                       # the client's main
 *         loop = asyncio.get_running_loop()
 *         on_con_lost = loop.create_future()
 *         message = "Hello World!"
 *         transport, protocol = await loop.create_datagram_endpoint(
 *             lambda: EchoClientProtocol(message, on_con_lost),
 *             remote_addr=('127.0.0.1', 9999))
 *         try:
 *             await on_con_lost
 *         finally:
 *             transport.close()
 *
 * The server's main creates its endpoint with local_addr=('127.0.0.1',
 * 9999) and serves for an hour; here it binds a free port, three clients
 * (three messages) run at once against it by gather, and the server is
 * closed when they are done.  A client's wait for its echo is bounded
 * (wait_for, 5 s: UDP may lose datagrams, though not on loopback).  Exits 0
 * when every client got its own message back.
 */
#include <cio.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static double perf_counter(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* An address as Python prints it: ('127.0.0.1', 9999) */
static const char *addr_str(const struct sockaddr *addr, socklen_t len)
{
    static char out[NI_MAXHOST + NI_MAXSERV + 8];
    char host[NI_MAXHOST], port[NI_MAXSERV];
    if (getnameinfo(addr, len, host, sizeof host, port, sizeof port, NI_NUMERICHOST | NI_NUMERICSERV))
        return "?";
    snprintf(out, sizeof out, "('%s', %s)", host, port);
    return out;
}

/* ------------------------------------------------------------ the server */

static void server_datagram_received(cio_transport_t *t, const void *data, size_t n, const struct sockaddr *addr,
                                     socklen_t addrlen, void *ud)
{
    printf("Received '%.*s' from %s\n", (int)n, (const char *)data, addr_str(addr, addrlen));
    printf("Send '%.*s' to %s\n", (int)n, (const char *)data, addr_str(addr, addrlen));
    cio_transport_sendto(t, data, n, addr, addrlen);
}

static const cio_protocol_t echo_server_protocol = {
    .datagram_received = server_datagram_received,
};

/* ------------------------------------------------------------ the client */

struct echo_client {
    const char *message;
    int port;
    cio_future_t *on_con_lost; /* the protocol's own reference, until connection_lost */
    int echoed;                /* the message came back */
};

static void client_connection_made(cio_transport_t *t, void *ud)
{
    struct echo_client *c = ud;
    printf("Send: %s\n", c->message);
    cio_transport_sendto(t, c->message, strlen(c->message), NULL, 0); /* connected: no address */
}

static void client_datagram_received(cio_transport_t *t, const void *data, size_t n, const struct sockaddr *addr,
                                     socklen_t addrlen, void *ud)
{
    struct echo_client *c = ud;
    printf("Received: %.*s\n", (int)n, (const char *)data);
    c->echoed = n == strlen(c->message) && memcmp(data, c->message, n) == 0;
    puts("Close the socket");
    cio_transport_close(t);
}

static void client_error_received(cio_transport_t *t, int err, void *ud)
{
    printf("Error received: %s\n", cio_strerror(err));
}

static void client_connection_lost(cio_transport_t *t, int err, void *ud)
{
    struct echo_client *c = ud;
    puts("Connection closed");
    cio_future_set_result(c->on_con_lost, NULL); /* refused if wait_for gave up on it */
    cio_unref(c->on_con_lost);
}

static const cio_protocol_t echo_client_protocol = {
    .connection_made = client_connection_made,
    .datagram_received = client_datagram_received,
    .error_received = client_error_received,
    .connection_lost = client_connection_lost,
};

static int udp_echo_client(void *arg, void **result)
{
    struct echo_client *c = arg;
    cio_future_t *on_con_lost = cio_create_future();
    if (!on_con_lost) return -ENOMEM;
    c->on_con_lost = cio_ref(on_con_lost); /* one reference for the protocol */
    cio_dgram_opts_t opts = {.remote_host = "127.0.0.1", .remote_port = c->port};
    cio_transport_t *transport;
    int rc = cio_create_datagram_endpoint(&echo_client_protocol, c, &opts, &transport);
    if (rc < 0) {
        cio_unref(on_con_lost); /* the protocol's: it never starts */
    } else {
        rc = cio_wait_for(on_con_lost, 5.0, NULL); /* try: await on_con_lost */
        cio_transport_close(transport);            /* finally: transport.close() */
        cio_unref(transport);
    }
    cio_unref(on_con_lost);
    return rc;
}

/* ---------------------------------------------------------------- main */

struct run {
    struct echo_client *clients;
    size_t n;
};

static int amain(void *arg, void **result)
{
    struct run *run = arg;
    puts("Starting UDP server");
    cio_dgram_opts_t opts = {.local_host = "127.0.0.1", .local_port = 0};
    cio_transport_t *server;
    int rc = cio_create_datagram_endpoint(&echo_server_protocol, NULL, &opts, &server);
    if (rc < 0) return rc;
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if ((rc = cio_transport_sockname(server, &ss, &len)) == 0) {
        printf("Serving on %s\n", addr_str((struct sockaddr *)&ss, len));
        int port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
        cio_call_t calls[8];
        for (size_t i = 0; i < run->n; i++) {
            run->clients[i].port = port;
            calls[i] = (cio_call_t){udp_echo_client, &run->clients[i]};
        }
        rc = cio_gather_calls(calls, run->n, NULL, NULL, 0);
    }
    cio_transport_close(server);
    cio_unref(server);
    for (size_t i = 0; i < run->n && rc == 0; i++)
        if (!run->clients[i].echoed) {
            fprintf(stderr, "udp_echo: no echo of '%s'\n", run->clients[i].message);
            rc = -EPROTO;
        }
    return rc;
}

int main(void)
{
    /* they outlive the loop: a protocol's callbacks may still run at its shutdown */
    struct echo_client clients[] = {{.message = "Hello World!"}, {.message = "How are you?"}, {.message = "Bye!"}};
    struct run run = {clients, sizeof clients / sizeof *clients};
    double start = perf_counter();
    int rc = cio_run(amain, &run, NULL);
    if (rc < 0) {
        fprintf(stderr, "udp_echo: %s\n", cio_strerror(rc));
        return 1;
    }
    printf("elapsed: %.2f s\n", perf_counter() - start);
    return 0;
}
