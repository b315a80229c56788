/* from: test_streams.py::StreamTests::test___aiter__ / async for line in reader (ends at EOF; a last line without newline included) */
#include "conf.h"

static int amain(void *arg, void **result)
{
    cio_stream_t *s;
    int peer;
    conf_pair(0, &s, &peer);
    conf_send(peer, "alpha\nbeta\ngamma");
    conf_eof(peer);
    const char *line;
    ssize_t n;
    while ((n = cio_stream_readline_ref(s, &line)) > 0) {
        if (line[n - 1] == '\n')
            P("line b'%.*s\\n'", (int)n - 1, line);
        else
            P("line b'%.*s'", (int)n, line);
    }
    P("loop ended at EOF");
    cio_stream_close(s);
    cio_unref(s);
    close(peer);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
