/* from: test_streams.py::StreamTests::test_readline_limit (over the limit: ValueError, the line dropped) */
#include "conf.h"

static int amain(void *arg, void **result)
{
    cio_stream_t *s;
    int peer;
    conf_pair(8, &s, &peer);
    conf_send(peer, "0123456789ABCDEF\nshort\n");
    conf_eof(peer);
    cio_sleep(0.01);
    char buf[64];
    ssize_t n = cio_stream_readline(s, buf, sizeof buf);
    if (n == CIO_ELIMITOVERRUN)
        P("readline over the limit: ValueError");
    n = cio_stream_readline(s, buf, sizeof buf);
    P("next: b'%.*s\\n'", (int)n - 1, buf);
    cio_stream_close(s);
    cio_unref(s);
    close(peer);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
