/* from: test_streams.py::StreamTests::test_writelines / drain with write buffer limits */
#include "conf.h"
#include <sys/uio.h>

static int amain(void *arg, void **result)
{
    cio_stream_t *s;
    int peer;
    conf_pair(0, &s, &peer);
    struct iovec iov[3] = {{"a", 1}, {"bc", 2}, {"def", 3}};
    cio_stream_writev(s, iov, 3);
    cio_stream_drain(s);
    cio_sleep(0); /* the gathered writes leave at the end of the iteration */
    char buf[100];
    ssize_t n = read(peer, buf, sizeof buf);
    P("peer got b'%.*s'", (int)n, buf);
    cio_stream_set_write_buffer_limits(s, 100, 10);
    size_t hi, lo;
    cio_stream_get_write_buffer_limits(s, &hi, &lo);
    P("limits (%zu, %zu)", lo, hi);
    P("buffer size %zu", cio_stream_write_buffer_size(s));
    P("is_closing %s", B(cio_stream_is_closing(s)));
    cio_stream_close(s);
    P("is_closing after close %s", B(cio_stream_is_closing(s)));
    cio_stream_wait_closed(s);
    n = read(peer, buf, sizeof buf);
    P("peer sees EOF: b'%.*s'", (int)n, buf);
    close(peer);
    cio_unref(s);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
