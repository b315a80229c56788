/* from: test_streams.py::StreamTests::test_readuntil_separator / test_readuntil_eof / test_readuntil_multi_chunks */
#include "conf.h"

static int amain(void *arg, void **result)
{
    cio_stream_t *s;
    int peer;
    conf_pair(0, &s, &peer);
    conf_send(peer, "key=value;;next;;tail");
    conf_eof(peer);
    char buf[64];
    for (int i = 0; i < 2; i++) {
        ssize_t n = cio_stream_readuntil(s, ";;", 2, buf, sizeof buf);
        P("b'%.*s'", (int)n, buf);
    }
    ssize_t n = cio_stream_readuntil(s, ";;", 2, buf, sizeof buf);
    if (n == CIO_EINCOMPLETE)
        P("IncompleteReadError partial b'%.*s'", (int)cio_stream_partial(s), buf);
    n = cio_stream_readuntil(s, "", 0, buf, sizeof buf);
    P("empty separator: %s", EXC((int)n));
    cio_stream_close(s);
    cio_unref(s);
    close(peer);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
