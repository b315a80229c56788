/* from: test_streams.py::StreamTests::test_read_until_eof / test_read_zero / test_read_eof */
#include "conf.h"

static int amain(void *arg, void **result)
{
    cio_stream_t *s;
    int peer;
    conf_pair(0, &s, &peer);
    conf_send(peer, "chunk1 ");
    char buf[128];
    ssize_t n = cio_stream_read(s, buf, 0);
    P("read(0): b'%.*s'", (int)n, buf);
    n = cio_stream_read(s, buf, 100);
    P("read(100): b'%.*s'", (int)n, buf);
    conf_send(peer, "chunk2 chunk3");
    conf_eof(peer);
    char *all;
    n = cio_stream_read_all(s, &all);
    P("read(-1): b'%.*s'", (int)n, all);
    cio_free(all);
    n = cio_stream_read(s, buf, 100);
    P("at EOF read(100): b'%.*s' at_eof %s", (int)n, buf, B(cio_stream_at_eof(s)));
    cio_stream_close(s);
    cio_unref(s);
    close(peer);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
