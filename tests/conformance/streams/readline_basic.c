/* from: test_streams.py::StreamTests::test_readline / test_readline_eof / test_readline_empty_eof */
#include "conf.h"

static int amain(void *arg, void **result)
{
    cio_stream_t *s;
    int peer;
    conf_pair(0, &s, &peer);
    conf_send(peer, "line1\nline2\npartial");
    conf_eof(peer);
    char buf[64];
    for (int i = 0; i < 3; i++) {
        ssize_t n = cio_stream_readline(s, buf, sizeof buf);
        if (n > 0 && buf[n - 1] == '\n')
            P("b'%.*s\\n'", (int)n - 1, buf);
        else
            P("b'%.*s'", (int)n, buf);
    }
    ssize_t n = cio_stream_readline(s, buf, sizeof buf);
    P("b'%.*s' at_eof %s", (int)n, buf, B(cio_stream_at_eof(s)));
    cio_stream_close(s);
    cio_stream_wait_closed(s);
    cio_unref(s);
    close(peer);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
