/* from: test_selector_events.py::test_write_buffer_limits / test_pause_writing / test_resume_writing / test_abort */
#include "conf.h"

static cio_future_t *done;
static int peer;

static void pw(cio_transport_t *t, void *ud) { P("pause_writing"); }
static void rw(cio_transport_t *t, void *ud) { P("resume_writing"); }
static void lost(cio_transport_t *t, int err, void *ud)
{
    P("connection_lost %s", err ? EXC(err) : "None");
    cio_future_set_result(done, NULL);
}

static int drain_peer(void *arg, void **result)
{
    size_t want = (size_t)(uintptr_t)arg, got = 0;
    static char buf[1 << 16];
    while (got < want) {
        ssize_t n = read(peer, buf, sizeof buf);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    *result = IV(got == want);
    return 0;
}

static int amain(void *arg, void **result)
{
    done = cio_create_future();
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    peer = sv[1];
    static const cio_protocol_t p = {.pause_writing = pw, .resume_writing = rw, .connection_lost = lost};
    cio_transport_t *t;
    cio_connect_accepted_socket(&p, NULL, sv[0], NULL, &t);
    cio_transport_set_write_buffer_limits(t, 1000, 100);
    size_t hi, lo;
    cio_transport_get_write_buffer_limits(t, &hi, &lo);
    P("limits (%zu, %zu)", lo, hi);
    P("buffered %zu", cio_transport_get_write_buffer_size(t));
    size_t n = 4 << 20;
    char *big = malloc(n);
    memset(big, 'x', n);
    cio_transport_write(t, big, n);
    P("buffered above the high mark: %s", B(cio_transport_get_write_buffer_size(t) > 1000));
    void *ok;
    cio_to_thread(drain_peer, (void *)(uintptr_t)n, &ok);
    P("peer read all: %s", B(VI(ok)));
    cio_sleep(0.05);
    P("buffered %zu", cio_transport_get_write_buffer_size(t));
    cio_transport_write(t, big, n);
    cio_transport_abort(t);
    P("after abort: is_closing %s", B(cio_transport_is_closing(t)));
    cio_await(done, NULL);
    close(peer);
    free(big);
    cio_unref(t);
    cio_unref(done);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
