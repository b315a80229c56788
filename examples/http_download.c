/* http_download: a streamed download (aiohttp's
 *
 *     async with session.get(url) as resp:
 *         with open(path, "wb") as f:
 *             async for chunk in resp.content.iter_chunked(65536):
 *                 f.write(chunk)
 *
 * ) on cio's HTTP client: the body comes chunk by chunk and never whole in
 * memory (curl is paused while the reader is behind: at most read_buffer
 * bytes wait), then the same body once more line by line (readline, as
 * resp.content.readline()).
 *
 * Usage: http_download [URL [FILE]].  Without a URL (the demo: no internet
 * here) it starts a small local httpbin (examples/local_httpbin.h) and
 * downloads 32 MiB of it to a temporary file, checking the size. */
#include <cio_http.h>
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "local_httpbin.h"

static int download(cio_http_session_t *s, const char *url, FILE *out, long long *total)
{
    cio_http_response_t *r;
    static char chunk[65536];
    int rc = cio_http_get(s, url, &r);
    if (rc < 0) return rc;
    const char *len = cio_http_response_header(r, "content-length", 0);
    printf("%d %s, %s bytes\n", cio_http_response_status(r), cio_http_response_reason(r), len ? len : "?");
    ssize_t n;
    while ((n = cio_http_response_read_chunk(r, chunk, sizeof chunk)) > 0) { /* iter_chunked */
        if (fwrite(chunk, 1, (size_t)n, out) != (size_t)n) { n = -EIO; break; }
        if ((*total += n) % (8 << 20) < n) printf("  %lld MiB\n", *total >> 20);
    }
    cio_http_response_free(r);
    return n < 0 ? (int)n : 0;
}

static int count_lines(cio_http_session_t *s, const char *url, long long *lines)
{
    cio_http_response_t *r;
    char line[256];
    ssize_t n;
    int rc = cio_http_get(s, url, &r);
    if (rc < 0) return rc;
    while ((n = cio_http_response_readline(r, line, sizeof line)) > 0) ++*lines;
    cio_http_response_free(r);
    return n < 0 ? (int)n : 0;
}

struct args { int argc; char **argv; };

static int amain(void *arg, void **result)
{
    struct args *a = arg;
    char base[64], url[256], path[] = "/tmp/http_downloadXXXXXX";
    cio_server_t *sv = NULL;
    cio_http_session_t *s = NULL;
    long long total = 0, lines = 0, want = 32LL << 20;
    if (!cio_http_available()) {
        puts("built without libcurl: the HTTP client is not there (-ENOTSUP); skipped");
        return 0;
    }
    int rc = a->argc > 1 ? 0 : httpbin_start(&sv, base, sizeof base);
    if (rc < 0) return rc;
    snprintf(url, sizeof url, "%s/bytes/%lld", base, want);
    const char *target = a->argc > 1 ? a->argv[1] : url;
    int fd = a->argc > 2 ? -1 : mkstemp(path);
    FILE *out = a->argc > 2 ? fopen(a->argv[2], "wb") : fd >= 0 ? fdopen(fd, "wb") : NULL;
    cio_http_session_opts_t o = {.read_buffer = 256 << 10, .max_redirects = 10};
    if (!out) rc = -errno;
    if (rc == 0) rc = cio_http_session_new(&o, &s);
    if (rc == 0) rc = download(s, target, out, &total);
    if (out) fclose(out);
    printf("downloaded %lld bytes to %s\n", total, a->argc > 2 ? a->argv[2] : path);
    if (rc == 0 && sv) rc = count_lines(s, target, &lines);
    if (sv) printf("the same body has %lld lines of 64 bytes\n", lines);
    if (rc == 0 && sv && (total != want || lines != want / 64)) rc = -EIO;
    if (a->argc <= 2 && fd >= 0) unlink(path);
    cio_http_session_free(s);
    if (sv) httpbin_stop(sv);
    return rc;
}

int main(int argc, char **argv)
{
    struct args a = {argc, argv};
    int rc = cio_run(amain, &a, NULL);
    if (rc < 0) fprintf(stderr, "http_download: %s\n", cio_strerror(rc));
    return rc < 0;
}
