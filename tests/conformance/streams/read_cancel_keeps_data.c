/* from: test_streams.py::StreamTests::test_read_cancel / a cancelled read loses no byte */
#include "conf.h"

static cio_stream_t *s;

static int reader(void *arg, void **result)
{
    static char buf[64];
    ssize_t n = cio_stream_readline(s, buf, sizeof buf);
    return n < 0 ? (int)n : 0;
}

static int amain(void *arg, void **result)
{
    int peer;
    conf_pair(0, &s, &peer);
    cio_task_t *t = cio_create_task(reader, NULL);
    cio_sleep(0.01);
    conf_send(peer, "half");
    cio_sleep(0.01);
    cio_task_cancel(t, NULL);
    P("readline: %s", EXC(cio_await(t, NULL)));
    conf_send(peer, " line\n");
    char buf[64];
    ssize_t n = cio_stream_readline(s, buf, sizeof buf);
    P("next readline: b'%.*s\\n'", (int)n - 1, buf);
    cio_unref(t);
    cio_stream_close(s);
    cio_unref(s);
    close(peer);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
