/* from: test_events.py / Protocol.eof_received returning True keeps the transport open for writing */
#include "conf.h"

static cio_future_t *lost;

static void data(cio_transport_t *t, const void *d, size_t n, void *ud) { P("data_received b'%.*s'", (int)n, (const char *)d); }
static int eof(cio_transport_t *t, void *ud)
{
    P("eof_received -> True (keep open)");
    cio_transport_write(t, "late reply", 10);
    cio_transport_close(t);
    return 1;
}
static void lost_cb(cio_transport_t *t, int err, void *ud)
{
    P("connection_lost %s", err ? EXC(err) : "None");
    cio_future_set_result(lost, NULL);
}

static int amain(void *arg, void **result)
{
    lost = cio_create_future();
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    static const cio_protocol_t p = {.data_received = data, .eof_received = eof, .connection_lost = lost_cb};
    cio_transport_t *t;
    cio_connect_accepted_socket(&p, NULL, sv[0], NULL, &t);
    conf_send(sv[1], "question");
    conf_eof(sv[1]);
    cio_await(lost, NULL);
    char buf[100];
    ssize_t n = read(sv[1], buf, sizeof buf);
    P("peer got b'%.*s'", (int)n, buf);
    close(sv[1]);
    cio_unref(t);
    cio_unref(lost);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
