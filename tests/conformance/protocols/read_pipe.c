/* from: test_events.py::test_read_pipe (data_received, eof_received, connection_lost on a pipe) */
#include "conf.h"

static cio_future_t *done;

static void made(cio_transport_t *t, void *ud) { P("connection_made"); }
static void data(cio_transport_t *t, const void *d, size_t n, void *ud) { P("data_received b'%.*s'", (int)n, (const char *)d); }
static int eof(cio_transport_t *t, void *ud) { P("eof_received"); return 0; }
static void lost(cio_transport_t *t, int err, void *ud)
{
    P("connection_lost %s", err ? EXC(err) : "None");
    cio_future_set_result(done, NULL);
}

static int amain(void *arg, void **result)
{
    done = cio_create_future();
    int fds[2];
    if (pipe(fds) < 0)
        return -errno;
    static const cio_protocol_t p = {.connection_made = made, .data_received = data, .eof_received = eof,
                                     .connection_lost = lost};
    cio_transport_t *t;
    cio_connect_read_pipe(&p, NULL, fds[0], &t);
    conf_send(fds[1], "through the pipe");
    cio_sleep(0.01);
    close(fds[1]);
    cio_await(done, NULL);
    cio_unref(t);
    cio_unref(done);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
