/* from: test_events.py::test_create_datagram_endpoint (datagram_received with the sender's address; sendto back) */
#include "conf.h"
#include <netinet/in.h>

static cio_future_t *got;

static void s_dgram(cio_transport_t *t, const void *d, size_t n, const struct sockaddr *addr, socklen_t alen, void *ud)
{
    P("server got b'%.*s'", (int)n, (const char *)d);
    char rev[64];
    for (size_t i = 0; i < n && i < sizeof rev; i++)
        rev[i] = ((const char *)d)[n - 1 - i];
    cio_transport_sendto(t, rev, n, addr, alen);
}
static void c_dgram(cio_transport_t *t, const void *d, size_t n, const struct sockaddr *addr, socklen_t alen, void *ud)
{
    P("client got b'%.*s'", (int)n, (const char *)d);
    cio_future_set_result(got, NULL);
}

static int amain(void *arg, void **result)
{
    got = cio_create_future();
    static const cio_protocol_t sp = {.datagram_received = s_dgram}, cp = {.datagram_received = c_dgram};
    cio_dgram_opts_t so = {.local_host = "127.0.0.1", .local_port = 0};
    cio_transport_t *st, *ct;
    int rc = cio_create_datagram_endpoint(&sp, NULL, &so, &st);
    if (rc < 0)
        return rc;
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    cio_transport_sockname(st, &ss, &len);
    cio_dgram_opts_t co = {.remote_host = "127.0.0.1", .remote_port = ntohs(((struct sockaddr_in *)&ss)->sin_port)};
    cio_create_datagram_endpoint(&cp, NULL, &co, &ct);
    cio_transport_sendto(ct, "abc", 3, NULL, 0);
    cio_await(got, NULL);
    cio_transport_close(ct);
    cio_transport_close(st);
    cio_unref(ct);
    cio_unref(st);
    cio_unref(got);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
