/* from: test_server.py::test_server_start_serving (start_serving=False, then start_serving; sockets; get_loop) */
#include "conf.h"

static int handle(cio_stream_t *s, void *arg)
{
    cio_stream_write(s, "hi\n", 3);
    cio_stream_drain(s);
    return cio_stream_close(s);
}

static int amain(void *arg, void **result)
{
    cio_loop_t *loop;
    cio_get_running_loop(&loop);
    cio_server_opts_t o = {.delay_start = 1};
    cio_server_t *sv;
    int rc = cio_start_server(handle, NULL, "127.0.0.1", 0, &o, &sv);
    if (rc < 0)
        return rc;
    int fds[4];
    P("serving before: %s sockets: %d get_loop: %s", B(cio_server_is_serving(sv)), cio_server_sockets(sv, fds, 4),
      B(cio_server_get_loop(sv) == loop));
    cio_server_start_serving(sv);
    P("serving after: %s", B(cio_server_is_serving(sv)));
    cio_stream_t *s;
    cio_open_connection("127.0.0.1", cio_server_port(sv), &s);
    char buf[16];
    ssize_t n = cio_stream_readline(s, buf, sizeof buf);
    P("b'%.*s\\n'", (int)n - 1, buf);
    cio_stream_close(s);
    cio_unref(s);
    cio_server_close(sv);
    cio_server_wait_closed(sv);
    P("after close: serving %s", B(cio_server_is_serving(sv)));
    cio_unref(sv);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
