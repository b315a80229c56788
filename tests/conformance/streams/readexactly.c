/* from: test_streams.py::StreamTests::test_readexactly / test_readexactly_eof / test_readexactly_zero_or_less */
#include "conf.h"

static int amain(void *arg, void **result)
{
    cio_stream_t *s;
    int peer;
    conf_pair(0, &s, &peer);
    conf_send(peer, "0123456789abc");
    conf_eof(peer);
    char buf[16];
    ssize_t n = cio_stream_readexactly(s, buf, 4);
    P("b'%.*s'", (int)n, buf);
    n = cio_stream_readexactly(s, buf, 0);
    P("b'%.*s'", (int)n, buf);
    n = cio_stream_readexactly(s, buf, 6);
    P("b'%.*s'", (int)n, buf);
    n = cio_stream_readexactly(s, buf, 10);
    if (n == CIO_EINCOMPLETE)
        P("IncompleteReadError partial b'%.*s' expected 10", (int)cio_stream_partial(s), buf);
    cio_stream_close(s);
    cio_unref(s);
    close(peer);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
