/* from: test_streams.py::StreamTests::test_start_server / test_open_connection (a client per task; echo) */
#include "conf.h"
#include <arpa/inet.h>
#include <netinet/in.h>

static int handle(cio_stream_t *s, void *arg)
{
    char line[128] = "echo: ";
    ssize_t n = cio_stream_readline(s, line + 6, sizeof line - 6);
    if (n < 0)
        return (int)n;
    cio_stream_write(s, line, 6 + (size_t)n);
    cio_stream_drain(s);
    cio_stream_close(s);
    return cio_stream_wait_closed(s);
}

static int amain(void *arg, void **result)
{
    cio_server_t *sv;
    int rc = cio_start_server(handle, NULL, "127.0.0.1", 0, NULL, &sv);
    if (rc < 0)
        return rc;
    int port = cio_server_port(sv);
    P("serving: %s", B(cio_server_is_serving(sv)));
    const char *msgs[2] = {"one\n", "two\n"};
    for (int i = 0; i < 2; i++) {
        cio_stream_t *s;
        cio_open_connection("127.0.0.1", port, &s);
        cio_stream_write(s, msgs[i], 4);
        cio_stream_drain(s);
        char buf[128];
        ssize_t n = cio_stream_readline(s, buf, sizeof buf);
        P("b'%.*s\\n'", (int)n - 1, buf);
        n = cio_stream_read(s, buf, sizeof buf);
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;
        cio_stream_peername(s, &ss, &len);
        char host[64];
        inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, host, sizeof host);
        P("then EOF: b'%.*s' peername is 127.0.0.1: %s", (int)n, buf, B(strcmp(host, "127.0.0.1") == 0));
        cio_stream_close(s);
        cio_stream_wait_closed(s);
        cio_unref(s);
    }
    cio_server_close(sv);
    cio_server_wait_closed(sv);
    P("serving: %s", B(cio_server_is_serving(sv)));
    cio_unref(sv);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
