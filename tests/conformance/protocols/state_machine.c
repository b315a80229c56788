/* from: test_events.py::test_create_connection / test_create_server (connection_made, data_received, eof_received, connection_lost, each end once) */
#include "conf.h"
#include <ctype.h>

static cio_future_t *got, *done_server, *done_client;

static void s_made(cio_transport_t *t, void *ud) { P("info: server: connection_made (its order against the client's is not specified)"); }
static void s_data(cio_transport_t *t, const void *data, size_t n, void *ud)
{
    char up[64];
    P("server: data_received b'%.*s'", (int)n, (const char *)data);
    for (size_t i = 0; i < n && i < sizeof up; i++)
        up[i] = (char)toupper(((const unsigned char *)data)[i]);
    cio_transport_write(t, up, n);
}
static int s_eof(cio_transport_t *t, void *ud) { P("server: eof_received"); return 0; }
static void s_lost(cio_transport_t *t, int err, void *ud)
{
    P("server: connection_lost %s", err ? EXC(err) : "None");
    cio_future_set_result(done_server, NULL);
}

static void c_made(cio_transport_t *t, void *ud) { P("client: connection_made"); }
static void c_data(cio_transport_t *t, const void *data, size_t n, void *ud)
{
    P("client: data_received b'%.*s'", (int)n, (const char *)data);
    cio_future_set_result(got, NULL);
}
static int c_eof(cio_transport_t *t, void *ud) { P("client: eof_received"); return 0; }
static void c_lost(cio_transport_t *t, int err, void *ud)
{
    P("client: connection_lost %s", err ? EXC(err) : "None");
    cio_future_set_result(done_client, NULL);
}

static int amain(void *arg, void **result)
{
    got = cio_create_future();
    done_server = cio_create_future();
    done_client = cio_create_future();
    static const cio_protocol_t sp = {.connection_made = s_made, .data_received = s_data, .eof_received = s_eof,
                                      .connection_lost = s_lost};
    static const cio_protocol_t cp = {.connection_made = c_made, .data_received = c_data, .eof_received = c_eof,
                                      .connection_lost = c_lost};
    cio_server_t *srv;
    int rc = cio_create_server(&sp, NULL, "127.0.0.1", 0, NULL, &srv);
    if (rc < 0)
        return rc;
    cio_transport_t *t;
    cio_create_connection(&cp, NULL, "127.0.0.1", cio_server_port(srv), NULL, &t);
    P("create_connection returned");
    cio_transport_write(t, "hello", 5);
    cio_await(got, NULL);
    cio_transport_write_eof(t);
    cio_await(done_server, NULL);
    cio_await(done_client, NULL);
    cio_server_close(srv);
    cio_server_wait_closed(srv);
    cio_unref(srv);
    cio_unref(t);
    cio_unref(got);
    cio_unref(done_server);
    cio_unref(done_client);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
