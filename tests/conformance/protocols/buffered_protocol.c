/* from: test_buffered_proto.py::test_buffered_protocol (get_buffer / buffer_updated instead of data_received) */
#include "conf.h"

static cio_future_t *done;
static char buf[4], got[64];
static size_t ngot;

static void *get_buffer(cio_transport_t *t, size_t hint, size_t *size, void *ud) { *size = sizeof buf; return buf; }
static void updated(cio_transport_t *t, size_t n, void *ud) { memcpy(got + ngot, buf, n); ngot += n; }
static int eof(cio_transport_t *t, void *ud)
{
    P("eof_received; got b'%.*s' in pieces of at most %zu", (int)ngot, got, sizeof buf);
    return 0;
}
static void lost(cio_transport_t *t, int err, void *ud) { cio_future_set_result(done, NULL); }

static int amain(void *arg, void **result)
{
    done = cio_create_future();
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    static const cio_protocol_t p = {.get_buffer = get_buffer, .buffer_updated = updated, .eof_received = eof,
                                     .connection_lost = lost};
    cio_transport_t *t;
    cio_connect_accepted_socket(&p, NULL, sv[0], NULL, &t);
    conf_send(sv[1], "0123456789");
    conf_eof(sv[1]);
    cio_await(done, NULL);
    close(sv[1]);
    cio_unref(t);
    cio_unref(done);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
