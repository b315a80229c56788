/* from: test_selector_events.py::test_write_eof / write after write_eof: RuntimeError */
#include "conf.h"

static int amain(void *arg, void **result)
{
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    static const cio_protocol_t p = {0};
    cio_transport_t *t;
    cio_connect_accepted_socket(&p, NULL, sv[0], NULL, &t);
    P("can_write_eof %s", B(cio_transport_can_write_eof(t)));
    cio_transport_write(t, "data", 4);
    cio_transport_write_eof(t);
    int rc = cio_transport_write(t, "more", 4);
    P("write after write_eof: %s", rc == CIO_ECLOSED ? "RuntimeError" : EXC(rc));
    cio_sleep(0.01);
    char a[100], b[100];
    ssize_t n1 = read(sv[1], a, sizeof a), n2 = read(sv[1], b, sizeof b);
    P("peer got b'%.*s' then b'%.*s'", (int)n1, a, (int)n2, b);
    cio_transport_close(t);
    close(sv[1]);
    cio_unref(t);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
