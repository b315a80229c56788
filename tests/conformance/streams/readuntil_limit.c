/* from: test_streams.py::StreamTests::test_readuntil_limit_found_sep (LimitOverrunError, the data kept) */
#include "conf.h"

static int amain(void *arg, void **result)
{
    cio_stream_t *s;
    int peer;
    conf_pair(4, &s, &peer);
    conf_send(peer, "0123456789|");
    conf_eof(peer);
    cio_sleep(0.01);
    char buf[64];
    ssize_t n = cio_stream_readuntil(s, "|", 1, buf, sizeof buf);
    P("%s", EXC((int)n));
    n = cio_stream_read(s, buf, 100);
    P("data kept: b'%.*s'", (int)n, buf);
    cio_stream_close(s);
    cio_unref(s);
    close(peer);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
