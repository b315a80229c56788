/* from: test_streams.py / closing the writer while another task reads: the reader sees EOF
   xfail: a read pending when the stream is closed (by close_clients or the stream's own close) returns CIO_ECLOSED; asyncio's reader sees EOF (b'') (a new finding) */
#include "conf.h"

static cio_stream_t *s;

static int reader(void *arg, void **result)
{
    static char buf[100];
    ssize_t n = cio_stream_read(s, buf, sizeof buf);
    *result = IV(n);
    return 0;
}

static int amain(void *arg, void **result)
{
    int peer;
    conf_pair(0, &s, &peer);
    cio_task_t *t = cio_create_task(reader, NULL);
    cio_sleep(0.01);
    cio_stream_close(s);
    void *v;
    cio_await(t, &v);
    if (VI(v) == 0)
        P("pending read returns b''");
    else
        P("pending read returns %s", EXC(VI(v)));
    cio_stream_wait_closed(s);
    cio_unref(t);
    cio_unref(s);
    close(peer);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
