/* from: test_server.py::TestServer2::test_close_clients (3.13)
   requires: 3.13
   xfail: a read pending when the stream is closed (by close_clients or the stream's own close) returns CIO_ECLOSED; asyncio's reader sees EOF (b'') (a new finding) */
#include "conf.h"

static int handle(cio_stream_t *s, void *arg)
{
    char *all;
    ssize_t n = cio_stream_read_all(s, &all);
    P("info: handler read_all -> %s", n >= 0 ? "data" : cio_err_name((int)n));
    if (n >= 0) {
        P("handler: reader at EOF");
        cio_free(all);
    }
    cio_stream_close(s);
    return 0;
}

static int amain(void *arg, void **result)
{
    cio_server_t *sv;
    int rc = cio_start_server(handle, NULL, "127.0.0.1", 0, NULL, &sv);
    if (rc < 0)
        return rc;
    cio_stream_t *s;
    cio_open_connection("127.0.0.1", cio_server_port(sv), &s);
    cio_sleep(0.2);
    cio_server_close(sv);
    cio_server_close_clients(sv);
    char *all;
    ssize_t n = cio_stream_read_all(s, &all);
    P("client sees EOF: b'%.*s'", (int)(n > 0 ? n : 0), n > 0 ? all : "");
    if (n >= 0)
        cio_free(all);
    cio_server_wait_closed(sv);
    P("wait_closed returned");
    cio_stream_close(s);
    cio_unref(s);
    cio_unref(sv);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
