/* local_httpbin.h: a tiny HTTP/1.1 server for the HTTP client examples (the
 * machine running the demo has no internet), started on 127.0.0.1 and a free
 * port by httpbin_start, on cio's own streams, a task per connection:
 *
 *     GET /delay/S    200 after S seconds (0..10)
 *     GET /status/N   status N (200..599)
 *     GET /bytes/N    200 with N bytes (up to 1 GiB), sent in 64 KiB writes
 *
 * Anything else is a 404.  Requests with a body are not supported (400 and
 * the connection closed).  Connections are kept alive. */
#ifndef LOCAL_HTTPBIN_H
#define LOCAL_HTTPBIN_H

#include <cio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int httpbin_reply(cio_stream_t *s, int status, long long len, const char *body)
{
    char head[160];
    int n = snprintf(head, sizeof head, "HTTP/1.1 %d %s\r\nContent-Length: %lld\r\n\r\n", status,
                     status == 200 ? "OK" : status == 404 ? "Not Found" : "Status", len);
    int rc = cio_stream_write(s, head, (size_t)n);
    static char block[65536];
    for (long long off = 0; rc == 0 && off < len; off += (long long)sizeof block) {
        size_t k = len - off < (long long)sizeof block ? (size_t)(len - off) : sizeof block;
        if (!body) /* /bytes/N: a printable pattern, 64 bytes a line */
            for (size_t i = 0; i < k; i++) block[i] = (off + (long long)i) % 64 == 63 ? '\n' : 'a' + (off + i) % 26;
        if ((rc = cio_stream_write(s, body ? body : block, body ? (size_t)len : k)) == 0)
            rc = cio_stream_drain(s); /* waits while the client is slow: back-pressure */
    }
    return rc;
}

static int httpbin_serve(cio_stream_t *s, void *arg)
{
    char line[1024], path[512];
    for (;;) {
        ssize_t n = cio_stream_readline(s, line, sizeof line);
        if (n <= 0) return 0;
        if (sscanf(line, "GET %511s HTTP/1.1", path) != 1) path[0] = 0;
        int has_body = 0;
        do { /* the headers, to the blank line */
            if ((n = cio_stream_readline(s, line, sizeof line)) <= 0) return 0;
            has_body |= strncasecmp(line, "Content-Length:", 15) == 0 || strncasecmp(line, "Transfer-Encoding:", 18) == 0;
        } while (!(n <= 2 && (line[0] == '\n' || line[0] == '\r')));
        double d;
        long long v;
        int rc;
        if (!path[0] || has_body) return httpbin_reply(s, 400, 11, "Bad Request") < 0 ? -1 : 0;
        if (sscanf(path, "/delay/%lf", &d) == 1 && d >= 0 && d <= 10) {
            if ((rc = cio_sleep(d)) < 0) return rc;
            rc = httpbin_reply(s, 200, 8, "delayed\n");
        } else if (sscanf(path, "/status/%lld", &v) == 1 && v >= 200 && v <= 599) {
            rc = httpbin_reply(s, (int)v, 7, "status\n");
        } else if (sscanf(path, "/bytes/%lld", &v) == 1 && v >= 0 && v <= (1LL << 30)) {
            rc = httpbin_reply(s, 200, v, NULL);
        } else {
            rc = httpbin_reply(s, 404, 10, "not found\n");
        }
        if (rc < 0) return rc;
    }
}

/* Start the server; its base URL ("http://127.0.0.1:PORT") into base. */
static int httpbin_start(cio_server_t **sv, char *base, size_t cap)
{
    int rc = cio_start_server(httpbin_serve, NULL, "127.0.0.1", 0, NULL, sv);
    if (rc == 0) snprintf(base, cap, "http://127.0.0.1:%d", cio_server_port(*sv));
    return rc;
}

static void httpbin_stop(cio_server_t *sv)
{
    cio_server_close(sv);
    cio_server_wait_closed(sv);
    cio_unref(sv);
}

#endif
