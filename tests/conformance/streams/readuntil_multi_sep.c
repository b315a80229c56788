/* from: test_streams.py::StreamTests::test_readuntil_multi_separators (3.13: a tuple of separators, the earliest match wins)
   requires: 3.13 */
#include "conf.h"

static void show(const char *buf, ssize_t n)
{
    char out[64];
    size_t k = 0;
    for (ssize_t i = 0; i < n; i++) {
        if (buf[i] == '\r') { out[k++] = '\\'; out[k++] = 'r'; }
        else if (buf[i] == '\n') { out[k++] = '\\'; out[k++] = 'n'; }
        else out[k++] = buf[i];
    }
    P("b'%.*s'", (int)k, out);
}

static int amain(void *arg, void **result)
{
    cio_stream_t *s;
    int peer;
    conf_pair(0, &s, &peer);
    conf_send(peer, "abc\r\ndef\nghi\r\n");
    conf_eof(peer);
    const void *seps[2] = {"\r\n", "\n"};
    size_t lens[2] = {2, 1};
    char buf[64];
    for (int i = 0; i < 3; i++) {
        ssize_t n = cio_stream_readuntil_any(s, seps, lens, 2, buf, sizeof buf);
        show(buf, n);
    }
    cio_stream_close(s);
    cio_unref(s);
    close(peer);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
