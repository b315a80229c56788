/* from: test_streams.py::StreamTests::test_start_unix_server / test_open_unix_connection (the socket file removed at close, 3.13)
   requires: 3.13 */
#include "conf.h"
#include <ctype.h>
#include <sys/stat.h>

static int handle(cio_stream_t *s, void *arg)
{
    char line[64];
    ssize_t n = cio_stream_readline(s, line, sizeof line);
    if (n < 0)
        return (int)n;
    for (ssize_t i = 0; i < n; i++)
        line[i] = (char)toupper((unsigned char)line[i]);
    cio_stream_write(s, line, (size_t)n);
    cio_stream_drain(s);
    return cio_stream_close(s);
}

static int amain(void *arg, void **result)
{
    char dir[] = "/tmp/cioconfXXXXXX", path[64];
    if (!mkdtemp(dir))
        return -errno;
    snprintf(path, sizeof path, "%s/s.sock", dir);
    cio_server_t *sv;
    int rc = cio_start_unix_server(handle, NULL, path, NULL, &sv);
    if (rc < 0)
        return rc;
    cio_stream_t *s;
    cio_open_unix_connection(path, NULL, &s);
    cio_stream_write(s, "hello\n", 6);
    char buf[64];
    ssize_t n = cio_stream_readline(s, buf, sizeof buf);
    P("b'%.*s\\n'", (int)n - 1, buf);
    cio_stream_close(s);
    cio_stream_wait_closed(s);
    cio_unref(s);
    cio_server_close(sv);
    cio_server_wait_closed(sv);
    cio_unref(sv);
    struct stat st;
    P("socket file removed: %s", B(stat(path, &st) < 0));
    rmdir(dir);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
