/* from: test_selector_events.py::test_pause_resume_reading (no data_received while paused; is_reading) */
#include "conf.h"

static cio_future_t *got;

static void data(cio_transport_t *t, const void *d, size_t n, void *ud)
{
    P("data_received b'%.*s'", (int)n, (const char *)d);
    cio_future_set_result(got, NULL);
}

static int amain(void *arg, void **result)
{
    got = cio_create_future();
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    static const cio_protocol_t p = {.data_received = data};
    cio_transport_t *t;
    cio_connect_accepted_socket(&p, NULL, sv[0], NULL, &t);
    cio_sleep(0);
    P("is_reading %s", B(cio_transport_is_reading(t)));
    cio_transport_pause_reading(t);
    P("is_reading after pause %s", B(cio_transport_is_reading(t)));
    conf_send(sv[1], "held back");
    cio_sleep(0.02);
    P("nothing delivered while paused: %s", B(!cio_future_done(got)));
    cio_transport_resume_reading(t);
    P("is_reading after resume %s", B(cio_transport_is_reading(t)));
    cio_await(got, NULL);
    cio_transport_close(t);
    close(sv[1]);
    cio_unref(t);
    cio_unref(got);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
