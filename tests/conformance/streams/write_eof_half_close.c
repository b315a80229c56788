/* from: test_streams.py / StreamWriter.can_write_eof / write_eof (half-close: the peer sees EOF, we still read) */
#include "conf.h"

static int peer;

static int recv_all(void *arg, void **result)
{
    static char got[128];
    size_t len = 0;
    ssize_t n;
    while ((n = read(peer, got + len, sizeof got - 1 - len)) > 0)
        len += (size_t)n;
    got[len] = 0;
    *result = got;
    return 0;
}

static int amain(void *arg, void **result)
{
    cio_stream_t *s;
    conf_pair(0, &s, &peer);
    P("can_write_eof %s", B(cio_stream_can_write_eof(s)));
    cio_stream_write(s, "request", 7);
    cio_stream_write_eof(s);
    cio_stream_drain(s);
    void *got;
    cio_to_thread(recv_all, NULL, &got);
    P("peer got b'%s' then EOF", (char *)got);
    conf_send(peer, "reply");
    close(peer);
    char *all;
    ssize_t n = cio_stream_read_all(s, &all);
    P("still readable: b'%.*s'", (int)n, all);
    cio_free(all);
    cio_stream_close(s);
    cio_unref(s);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
