/* from: test_events.py::test_write_pipe (write, close flushes, connection_lost None) */
#include "conf.h"
#include <sys/uio.h>

static cio_future_t *done;

static void made(cio_transport_t *t, void *ud) { P("connection_made"); }
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
    static const cio_protocol_t p = {.connection_made = made, .connection_lost = lost};
    cio_transport_t *t;
    cio_connect_write_pipe(&p, NULL, fds[1], &t);
    P("can_write_eof %s", B(cio_transport_can_write_eof(t)));
    cio_transport_write(t, "one ", 4);
    struct iovec iov[2] = {{"two ", 4}, {"three", 5}};
    cio_transport_writev(t, iov, 2);
    cio_transport_close(t);
    cio_await(done, NULL);
    char buf[100];
    ssize_t n = read(fds[0], buf, sizeof buf);
    P("reader got b'%.*s'", (int)n, buf);
    close(fds[0]);
    cio_unref(t);
    cio_unref(done);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
