/* The HTTP client (include/cio_http.h) against a small HTTP/1.1 server that
 * each case starts on 127.0.0.1 with cio's own server API, in the same loop.
 * Without libcurl the module's calls return -ENOTSUP and the cases say so. */
#include "harness.h"

#include <cio_http.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#define RUN(m) CHECK_RC(run_limited(m, NULL, NULL), 0)

/* ------------------------------------------------------------ the server */

static int served_conns; /* connections the server accepted */
static long long bytes_sent; /* body bytes of /bytes/N the client has taken (drained) */

static char pattern(size_t i)
{
    return (char)('a' + (i * 7 + i / 26) % 26);
}

static int send_all(cio_stream_t *s, const void *p, size_t n)
{
    int rc = cio_stream_write(s, p, n);
    return rc < 0 ? rc : cio_stream_drain(s);
}

static int send_head(cio_stream_t *s, int status, const char *extra, long long clen)
{
    char h[512];
    int n;
    if (clen >= 0)
        n = snprintf(h, sizeof h, "HTTP/1.1 %d %s\r\nContent-Length: %lld\r\n%s\r\n", status,
                     status == 200 ? "OK" : status == 404 ? "Not Found" : "Whatever", clen, extra);
    else
        n = snprintf(h, sizeof h, "HTTP/1.1 %d OK\r\nTransfer-Encoding: chunked\r\n%s\r\n", status, extra);
    return cio_stream_write(s, h, (size_t)n);
}

static int send_chunk(cio_stream_t *s, const char *p, size_t n)
{
    char h[32];
    int k = snprintf(h, sizeof h, "%zx\r\n", n);
    int rc = cio_stream_write(s, h, (size_t)k);
    if (rc == 0 && n)
        rc = cio_stream_write(s, p, n);
    if (rc == 0)
        rc = cio_stream_write(s, "\r\n", 2);
    return rc < 0 ? rc : cio_stream_drain(s);
}

/* Reads one request: its target and body (malloc'd, *blen bytes). */
static int read_request(cio_stream_t *s, char *target, size_t tcap, char *echo, size_t ecap, char **body,
                        size_t *blen, char *method)
{
    char line[2048];
    ssize_t n = cio_stream_readline(s, line, sizeof line);
    if (n <= 0)
        return n == 0 ? 1 : (int)n;
    if (sscanf(line, "%15s %1023s", method, target) != 2 || strlen(target) >= tcap)
        return -EPROTO;
    long long clen = 0;
    int chunked = 0;
    echo[0] = 0;
    for (;;) {
        n = cio_stream_readline(s, line, sizeof line);
        if (n <= 0)
            return n == 0 ? 1 : (int)n;
        if (line[0] == '\r' || line[0] == '\n')
            break;
        line[n] = 0;
        line[strcspn(line, "\r\n")] = 0;
        if (strncasecmp(line, "Content-Length:", 15) == 0)
            clen = atoll(line + 15);
        if (strncasecmp(line, "Transfer-Encoding:", 18) == 0 && strstr(line, "chunked"))
            chunked = 1;
        if (strncasecmp(line, "X-Echo:", 7) == 0)
            snprintf(echo, ecap, "%.200s", line + 8);
    }
    *body = NULL;
    *blen = 0;
    for (;;) {
        long long want = clen;
        if (chunked) {
            n = cio_stream_readline(s, line, sizeof line);
            if (n <= 0)
                return -EPROTO;
            want = strtoll(line, NULL, 16);
        }
        if (want > 0) {
            char *b = realloc(*body, *blen + (size_t)want + 1);
            if (!b)
                return -ENOMEM;
            *body = b;
            if ((n = cio_stream_readexactly(s, b + *blen, (size_t)want)) < 0)
                return (int)n;
            *blen += (size_t)want;
        }
        if (!chunked)
            break;
        if (cio_stream_readline(s, line, sizeof line) <= 0)
            return -EPROTO;
        if (want == 0)
            break;
    }
    return 0;
}

static int serve_one(cio_stream_t *s, const char *method, const char *target, const char *echo, const char *body,
                     size_t blen)
{
    if (strncmp(target, "http://", 7) == 0) /* as a proxy: the absolute form, echoed */
        return serve_one(s, method, "/echo", echo, target, strlen(target));
    long long n = 0;
    double d = 0;
    int rc = 0;
    if (sscanf(target, "/status/%lld", &n) == 1) {
        char b[32];
        int k = snprintf(b, sizeof b, "status %lld", n);
        if ((rc = send_head(s, (int)n, "Content-Type: text/plain\r\n", k)) == 0)
            rc = send_all(s, b, (size_t)k);
    } else if (sscanf(target, "/delay/%lf", &d) == 1) {
        if ((rc = cio_sleep(d)) == 0 && (rc = send_head(s, 200, "", 7)) == 0)
            rc = send_all(s, "delayed", 7);
    } else if (sscanf(target, "/bytes/%lld", &n) == 1) {
        static char b[65536];
        rc = send_head(s, 200, "", n);
        for (long long i = 0; rc == 0 && i < n; i += (long long)sizeof b) {
            size_t k = n - i < (long long)sizeof b ? (size_t)(n - i) : sizeof b;
            for (size_t j = 0; j < k; j++)
                b[j] = pattern((size_t)i + j);
            if ((rc = send_all(s, b, k)) == 0) /* waits while the client is slow */
                bytes_sent += (long long)k;
        }
    } else if (sscanf(target, "/chunked/%lld", &n) == 1) {
        char b[1000];
        rc = send_head(s, 200, "", -1);
        for (long long i = 0; rc == 0 && i < n; i += 1000) {
            size_t k = n - i < 1000 ? (size_t)(n - i) : 1000;
            for (size_t j = 0; j < k; j++)
                b[j] = pattern((size_t)i + j);
            rc = send_chunk(s, b, k);
        }
        if (rc == 0)
            rc = send_chunk(s, NULL, 0);
    } else if (sscanf(target, "/redirect/%lld", &n) == 1) {
        char loc[64];
        if (n <= 0) {
            if ((rc = send_head(s, 200, "", 6)) == 0)
                rc = send_all(s, "landed", 6);
        } else {
            snprintf(loc, sizeof loc, "Location: /redirect/%lld\r\n", n - 1);
            rc = send_head(s, 302, loc, 0);
            if (rc == 0)
                rc = cio_stream_drain(s);
        }
    } else if (sscanf(target, "/drip/%lld", &n) == 1) {
        rc = send_head(s, 200, "", n);
        for (long long i = 0; rc == 0 && i < n; i++) {
            char c = pattern((size_t)i);
            if ((rc = send_all(s, &c, 1)) == 0)
                rc = cio_sleep(0.01);
        }
    } else if (strcmp(target, "/reset") == 0) {
        char b[1000];
        memset(b, 'r', sizeof b);
        if ((rc = send_head(s, 200, "", 100000)) == 0 && (rc = send_all(s, b, sizeof b)) == 0)
            rc = cio_sleep(0.05);
        cio_stream_abort(s);
        return -ECONNRESET;
    } else if (strcmp(target, "/hang") == 0) {
        char c;
        while (cio_stream_read(s, &c, 1) > 0) /* until the client goes */
            ;
        return -ECONNRESET;
    } else if (strcmp(target, "/lines") == 0) {
        rc = send_head(s, 200, "", -1);
        if (rc == 0)
            rc = send_chunk(s, "one\ntw", 6);
        if (rc == 0)
            rc = send_chunk(s, "o\nthree\n", 8);
        if (rc == 0)
            rc = send_chunk(s, "last", 4);
        if (rc == 0)
            rc = send_chunk(s, NULL, 0);
    } else if (strncmp(target, "/echo", 5) == 0) {
        char extra[600];
        snprintf(extra, sizeof extra, "X-Echo: %s\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\n", echo);
        size_t hl = strlen(method) + strlen(target) + 2;
        if ((rc = send_head(s, 200, extra, (long long)(hl + blen))) == 0) {
            char h[1200];
            snprintf(h, sizeof h, "%s %s\n", method, target);
            rc = cio_stream_write(s, h, strlen(h));
            if (rc == 0 && blen)
                rc = cio_stream_write(s, body, blen);
            if (rc == 0)
                rc = cio_stream_drain(s);
        }
    } else {
        if ((rc = send_head(s, 404, "", 9)) == 0)
            rc = send_all(s, "not found", 9);
    }
    return rc;
}

static int serve(cio_stream_t *s, void *arg)
{
    served_conns++;
    for (;;) {
        char target[1024], echo[256], method[16];
        char *body = NULL;
        size_t blen = 0;
        int rc = read_request(s, target, sizeof target, echo, sizeof echo, &body, &blen, method);
        if (rc == 0)
            rc = serve_one(s, method, target, echo, body, blen);
        free(body);
        if (rc != 0)
            return 0;
    }
}

struct srv {
    cio_server_t *sv;
    char base[64];
};

static int srv_start(struct srv *v)
{
    served_conns = 0;
    int rc = cio_start_server(serve, NULL, "127.0.0.1", 0, NULL, &v->sv);
    if (rc == 0)
        snprintf(v->base, sizeof v->base, "http://127.0.0.1:%d", cio_server_port(v->sv));
    return rc;
}

static void srv_stop(struct srv *v)
{
    if (!v->sv)
        return;
    cio_server_close(v->sv);
    cio_server_wait_closed(v->sv);
    cio_unref(v->sv);
    v->sv = NULL;
}

static const char *url(struct srv *v, const char *path)
{
    static char u[8][256];
    static int k;
    k = (k + 1) % 8;
    snprintf(u[k], sizeof u[k], "%s%s", v->base, path);
    return u[k];
}

/* A session that never uses the environment's proxy for the local server. */
static int session(cio_http_session_t **s, int redirects, int maxconn)
{
    cio_http_session_opts_t o = {.no_proxy = "*", .max_redirects = redirects, .max_connections = maxconn};
    return cio_http_session_new(&o, s);
}

static int check_pattern(const char *b, size_t n, size_t from)
{
    for (size_t i = 0; i < n; i++)
        if (b[i] != pattern(from + i))
            return 0;
    return 1;
}

static int skip_without_curl(void)
{
    if (cio_http_available())
        return 0;
    printf("     (%s: skipped: built without libcurl)\n", test_current);
    return 1;
}

/* ------------------------------------------------------------- the cases */

static int m_status(void *arg, void **result)
{
    struct srv v = {0};
    cio_http_session_t *s = NULL;
    cio_http_response_t *r = NULL;
    const char *body;
    REQ_RC(srv_start(&v));
    REQ_RC(session(&s, 0, 0));
    static const int codes[] = {200, 204, 404, 500, 503};
    for (size_t i = 0; i < sizeof codes / sizeof *codes; i++) {
        char p[32];
        snprintf(p, sizeof p, "/status/%d", codes[i]);
        REQ_RC(cio_http_get(s, url(&v, p), &r));
        CHECK_INT(cio_http_response_status(r), codes[i]);
        CHECK_INT(cio_http_response_version(r), 11);
        CHECK_STR(cio_http_response_url(r), url(&v, p));
        CHECK_STR(cio_http_response_header(r, "content-TYPE", 0), "text/plain");
        CHECK(cio_http_response_header(r, "content-type", 1) == NULL);
        ssize_t n = cio_http_response_read(r, 100, &body);
        if (codes[i] == 204) {
            CHECK_INT(n, 0); /* 204 has no body, whatever the length says */
        } else {
            char want[32];
            snprintf(want, sizeof want, "status %d", codes[i]);
            CHECK_STR(body, want);
        }
        if (codes[i] == 200)
            CHECK_STR(cio_http_response_reason(r), "OK");
        if (codes[i] == 404)
            CHECK_STR(cio_http_response_reason(r), "Not Found");
        cio_http_response_free(r);
        r = NULL;
    }
    CHECK_INT(cio_http_session_connections(s), 1); /* kept alive, reused */
    CHECK_INT(served_conns, 1);
out:
    cio_http_response_free(r);
    if (s)
        CHECK_RC(cio_http_session_close(s, CIO_HTTP_WAIT), 0);
    cio_http_session_free(s);
    srv_stop(&v);
    return 0;
}
static void t_status(void)
{
    if (!skip_without_curl())
        RUN(m_status);
}

static ssize_t gen_body(void *ud, char *buf, size_t cap)
{
    int *left = ud;
    if (*left == 0)
        return 0;
    (*left)--;
    memcpy(buf, "abc", cap < 3 ? cap : 3);
    return cap < 3 ? (ssize_t)cap : 3;
}

static int m_echo(void *arg, void **result)
{
    struct srv v = {0};
    cio_http_session_t *s = NULL;
    cio_http_response_t *r = NULL;
    const char *body, *name, *value;
    char path[] = "/tmp/cio_http_bodyXXXXXX";
    int fd = -1;
    REQ_RC(srv_start(&v));
    static const char *const hs[] = {"X-Default: yes", NULL};
    cio_http_session_opts_t o = {.no_proxy = "*", .headers = hs};
    REQ_RC(cio_http_session_new(&o, &s));
    /* method, query parameters (encoded), a header, a body in memory */
    static const char *const params[] = {"a", "1", "b", "x y&z", NULL};
    static const char *const headers[] = {"X-Echo: hello there", NULL};
    cio_http_request_t req = {.method = "PUT", .url = url(&v, "/echo"), .params = params, .headers = headers,
                              .body = "payload", .body_len = 7};
    REQ_RC(cio_http_request(s, &req, &r));
    CHECK_INT(cio_http_response_status(r), 200);
    CHECK_STR(cio_http_response_header(r, "x-echo", 0), "hello there");
    CHECK_STR(cio_http_response_header(r, "Set-Cookie", 0), "a=1");
    CHECK_STR(cio_http_response_header(r, "SET-COOKIE", 1), "b=2");
    size_t nh = cio_http_response_headers(r, 0, &name, &value);
    CHECK_INT(nh, 4);
    CHECK_STR(name, "Content-Length");
    CHECK(cio_http_response_read(r, 0, &body) > 0);
    CHECK_STR(body, "PUT /echo?a=1&b=x+y%26z\npayload");
    cio_http_response_free(r);
    r = NULL;
    /* a body made by a callback, of unknown size (chunked) */
    int left = 4;
    req = (cio_http_request_t){.url = url(&v, "/echo"), .body_fn = gen_body, .body_ud = &left, .body_fn_size = -1};
    REQ_RC(cio_http_request(s, &req, &r));
    CHECK(cio_http_response_read(r, 0, &body) > 0);
    CHECK_STR(body, "POST /echo\nabcabcabcabc");
    cio_http_response_free(r);
    r = NULL;
    /* a file */
    REQ((fd = mkstemp(path)) >= 0);
    REQ(write(fd, "from a file", 11) == 11);
    req = (cio_http_request_t){.method = "POST", .url = url(&v, "/echo"), .body_file = path};
    REQ_RC(cio_http_request(s, &req, &r));
    CHECK(cio_http_response_read(r, 0, &body) > 0);
    CHECK_STR(body, "POST /echo\nfrom a file");
    cio_http_response_free(r);
    r = NULL;
    req = (cio_http_request_t){.method = "POST", .url = url(&v, "/echo"), .body_file = "/nonexistent/x"};
    CHECK_RC(cio_http_request(s, &req, &r), -ENOENT);
    /* HEAD: the head only */
    req = (cio_http_request_t){.method = "HEAD", .url = url(&v, "/bytes/5000")};
    REQ_RC(cio_http_request(s, &req, &r));
    CHECK_STR(cio_http_response_header(r, "content-length", 0), "5000");
    CHECK_INT(cio_http_response_read(r, 0, &body), 0);
out:
    if (fd >= 0) {
        close(fd);
        unlink(path);
    }
    cio_http_response_free(r);
    cio_http_session_free(s);
    srv_stop(&v);
    return 0;
}
static void t_echo(void)
{
    if (!skip_without_curl())
        RUN(m_echo);
}

static int m_large(void *arg, void **result)
{
    struct srv v = {0};
    cio_http_session_t *s = NULL;
    cio_http_response_t *r = NULL;
    const char *body;
    REQ_RC(srv_start(&v));
    REQ_RC(session(&s, 0, 0));
    REQ_RC(cio_http_get(s, url(&v, "/chunked/300001"), &r));
    REQ(cio_http_response_read(r, 1 << 20, &body) == 300001);
    CHECK(check_pattern(body, 300001, 0));
    CHECK_INT(cio_http_response_read(r, 1 << 20, &body), 300001); /* again: the same */
    cio_http_response_free(r);
    r = NULL;
    REQ_RC(cio_http_get(s, url(&v, "/bytes/3000000"), &r));
    REQ(cio_http_response_read(r, 0, &body) == 3000000);
    CHECK(check_pattern(body, 3000000, 0));
out:
    cio_http_response_free(r);
    cio_http_session_free(s);
    srv_stop(&v);
    return 0;
}
static void t_large_and_chunked(void)
{
    if (!skip_without_curl())
        RUN(m_large);
}

static int m_redirects(void *arg, void **result)
{
    struct srv v = {0};
    cio_http_session_t *s = NULL, *s0 = NULL;
    cio_http_response_t *r = NULL;
    const char *body;
    REQ_RC(srv_start(&v));
    REQ_RC(session(&s, 5, 0));
    REQ_RC(cio_http_get(s, url(&v, "/redirect/3"), &r));
    CHECK_INT(cio_http_response_status(r), 200);
    CHECK_STR(cio_http_response_url(r), url(&v, "/redirect/0"));
    CHECK_INT(cio_http_response_read(r, 0, &body), 6);
    CHECK_STR(body, "landed");
    cio_http_response_free(r);
    r = NULL;
    CHECK_RC(cio_http_get(s, url(&v, "/redirect/9"), &r), CIO_EREDIRECTS);
    CHECK(r == NULL);
    /* not followed by default: the 302 is the answer */
    REQ_RC(session(&s0, 0, 0));
    REQ_RC(cio_http_get(s0, url(&v, "/redirect/2"), &r));
    CHECK_INT(cio_http_response_status(r), 302);
    CHECK_STR(cio_http_response_header(r, "location", 0), "/redirect/1");
out:
    cio_http_response_free(r);
    cio_http_session_free(s);
    cio_http_session_free(s0);
    srv_stop(&v);
    return 0;
}
static void t_redirects(void)
{
    if (!skip_without_curl())
        RUN(m_redirects);
}

struct getter {
    cio_http_session_t *s;
    const char *url;
    size_t read_some; /* read this many bytes, then wait to be cancelled */
    int status;
    ssize_t got;
};

static int getter(void *arg, void **result)
{
    struct getter *g = arg;
    cio_http_response_t *r;
    const char *body;
    int rc = cio_http_get(g->s, g->url, &r);
    if (rc < 0)
        return rc;
    g->status = cio_http_response_status(r);
    if (g->read_some) {
        char b[64];
        while (g->got < (ssize_t)g->read_some) {
            ssize_t n = cio_http_response_read_chunk(r, b, sizeof b);
            if (n <= 0) {
                rc = n < 0 ? (int)n : -EIO;
                break;
            }
            g->got += n;
        }
        if (rc == 0)
            rc = (int)cio_http_response_read_chunk(r, b, sizeof b) < 0 ? -ECANCELED : 0;
        if (rc == 0)
            rc = cio_sleep(100);
    } else {
        ssize_t n = cio_http_response_read(r, 0, &body);
        rc = n < 0 ? (int)n : 0;
        g->got = n;
    }
    cio_http_response_free(r);
    return rc;
}

static int m_timeouts(void *arg, void **result)
{
    struct srv v = {0};
    cio_http_session_t *s = NULL;
    cio_http_response_t *r = NULL;
    cio_task_t *t = NULL;
    const char *body;
    REQ_RC(srv_start(&v));
    REQ_RC(session(&s, 0, 0));
    /* the request's own timeout */
    cio_http_request_t req = {.url = url(&v, "/hang"), .timeout = 0.2};
    CHECK_RC(cio_http_request(s, &req, &r), -ETIMEDOUT);
    /* cio_timeout around a request to a server that never answers */
    cio_timeout_t to;
    REQ_RC(cio_timeout_enter(&to, 0.2));
    int rc = cio_http_get(s, url(&v, "/hang"), &r);
    CHECK_RC(cio_timeout_exit(&to, rc), -ETIMEDOUT);
    CHECK(r == NULL);
    /* wait_for around a task reading a slow drip: cancelled mid-body */
    struct getter g = {.s = s, .url = url(&v, "/drip/100000"), .read_some = 5};
    REQ((t = cio_create_task(getter, &g)));
    CHECK_RC(cio_wait_for(t, 0.5, NULL), -ETIMEDOUT);
    CHECK_INT(g.status, 200);
    CHECK_INT(g.got, 5);
    /* the session goes on */
    REQ_RC(cio_http_get(s, url(&v, "/status/200"), &r));
    CHECK_INT(cio_http_response_read(r, 0, &body), 10);
out:
    if (t)
        cio_unref(t);
    cio_http_response_free(r);
    if (s)
        CHECK_RC(cio_http_session_close(s, CIO_HTTP_WAIT), 0);
    cio_http_session_free(s);
    srv_stop(&v);
    return 0;
}
static void t_timeouts_and_cancel(void)
{
    if (!skip_without_curl())
        RUN(m_timeouts);
}

static int m_body_cap(void *arg, void **result)
{
    struct srv v = {0};
    cio_http_session_t *s = NULL;
    cio_http_response_t *r = NULL;
    const char *body;
    REQ_RC(srv_start(&v));
    REQ_RC(session(&s, 0, 0));
    REQ_RC(cio_http_get(s, url(&v, "/bytes/100000"), &r)); /* announced */
    CHECK_RC(cio_http_response_read(r, 1000, &body), CIO_EBODYSIZE);
    CHECK(body == NULL);
    cio_http_response_free(r);
    r = NULL;
    REQ_RC(cio_http_get(s, url(&v, "/chunked/100000"), &r)); /* found out on the way */
    CHECK_RC(cio_http_response_read(r, 5000, &body), CIO_EBODYSIZE);
    CHECK(cio_http_response_error(r) != NULL);
    cio_http_response_free(r);
    r = NULL;
    cio_http_request_t req = {.url = url(&v, "/bytes/100000"), .max_body = 10};
    CHECK_RC(cio_http_request(s, &req, &r), CIO_EBODYSIZE);
    REQ_RC(cio_http_get(s, url(&v, "/bytes/1000"), &r)); /* exactly at the cap */
    CHECK_INT(cio_http_response_read(r, 1000, &body), 1000);
out:
    cio_http_response_free(r);
    cio_http_session_free(s);
    srv_stop(&v);
    return 0;
}
static void t_body_cap(void)
{
    if (!skip_without_curl())
        RUN(m_body_cap);
}

static int m_streaming(void *arg, void **result)
{
    struct srv v = {0};
    cio_http_session_t *s = NULL;
    cio_http_response_t *r = NULL;
    char buf[4096], line[64];
    REQ_RC(srv_start(&v));
    cio_http_session_opts_t o = {.no_proxy = "*", .read_buffer = 8192};
    REQ_RC(cio_http_session_new(&o, &s));
    REQ_RC(cio_http_get(s, url(&v, "/bytes/2000000"), &r));
    size_t total = 0, reads = 0;
    int ok = 1;
    for (;;) {
        ssize_t n = cio_http_response_read_chunk(r, buf, sizeof buf);
        REQ(n >= 0);
        if (n == 0)
            break;
        ok &= check_pattern(buf, (size_t)n, total);
        total += (size_t)n;
        if (++reads % 64 == 0)
            REQ_RC(cio_sleep(0.001)); /* a slow reader: curl waits */
    }
    CHECK_INT(total, 2000000);
    CHECK(ok);
    cio_http_response_free(r);
    r = NULL;
    /* a reader that stops: curl pauses, the server's writes stall (memory
     * stays bounded), and freeing the response mid-body ends the transfer */
    bytes_sent = 0;
    REQ_RC(cio_http_get(s, url(&v, "/bytes/200000000"), &r));
    REQ(cio_http_response_read_chunk(r, buf, sizeof buf) > 0);
    REQ_RC(cio_sleep(0.3));
    if (bytes_sent > (16 << 20))
        FAILF("the server sent %lld bytes to a reader that took 4 KiB", bytes_sent);
    cio_http_response_free(r);
    r = NULL;
    /* lines across chunk boundaries */
    REQ_RC(cio_http_get(s, url(&v, "/lines"), &r));
    CHECK_INT(cio_http_response_readline(r, line, sizeof line), 4);
    CHECK(memcmp(line, "one\n", 4) == 0);
    CHECK_INT(cio_http_response_readline(r, line, sizeof line), 4);
    CHECK(memcmp(line, "two\n", 4) == 0);
    CHECK_INT(cio_http_response_readline(r, line, 3), CIO_ELIMITOVERRUN);
    CHECK_INT(cio_http_response_readuntil(r, "ee", 2, line, sizeof line), 5);
    CHECK(memcmp(line, "three", 5) == 0);
    CHECK_INT(cio_http_response_readline(r, line, sizeof line), 1);
    CHECK_INT(cio_http_response_readuntil(r, "\n", 1, line, sizeof line), CIO_EINCOMPLETE);
    CHECK_INT(cio_http_response_readline(r, line, sizeof line), 4);
    CHECK(memcmp(line, "last", 4) == 0);
    CHECK_INT(cio_http_response_readline(r, line, sizeof line), 0);
out:
    cio_http_response_free(r);
    cio_http_session_free(s);
    srv_stop(&v);
    return 0;
}
static void t_streaming(void)
{
    if (!skip_without_curl())
        RUN(m_streaming);
}

static int m_many(void *arg, void **result)
{
#ifdef CIO_TEST_TSAN
    enum { N = 200, CAP = 8 }; /* a TSan fiber per task is slow to make */
#else
    enum { N = 1000, CAP = 8 };
#endif
    struct srv v = {0};
    cio_http_session_t *s = NULL;
    static cio_task_t *ts[N];
    static struct getter gs[N];
    size_t made = 0;
    REQ_RC(srv_start(&v));
    REQ_RC(session(&s, 0, CAP));
    for (; made < N; made++) {
        gs[made] = (struct getter){.s = s, .url = url(&v, "/bytes/1024")};
        REQ((ts[made] = cio_create_task(getter, &gs[made])));
    }
    CHECK_RC(cio_gather(ts, made, NULL, NULL, 0), 0);
    int ok = 0;
    for (size_t i = 0; i < made; i++)
        ok += gs[i].status == 200 && gs[i].got == 1024;
    CHECK_INT(ok, N);
    CHECK(cio_http_session_connections(s) <= CAP);
    CHECK(served_conns <= CAP);
out:
    for (size_t i = 0; i < made; i++) {
        cio_task_cancel(ts[i], NULL);
        cio_await(ts[i], NULL);
        cio_unref(ts[i]);
    }
    cio_http_session_free(s);
    srv_stop(&v);
    return 0;
}
static void t_thousand_in_flight(void)
{
    if (!skip_without_curl())
        RUN(m_many);
}

static int m_failures(void *arg, void **result)
{
    struct srv v = {0};
    cio_http_session_t *s = NULL;
    cio_http_response_t *r = NULL;
    cio_task_t *t = NULL;
    const char *body;
    char refused[128];
    REQ_RC(srv_start(&v));
    snprintf(refused, sizeof refused, "%s/status/200", v.base);
    srv_stop(&v); /* nobody listens there any more */
    REQ_RC(session(&s, 0, 0));
    CHECK_RC(cio_http_get(s, refused, &r), -ECONNREFUSED);
    /* the task that returns the code carries curl's message */
    struct getter g = {.s = s, .url = refused};
    REQ((t = cio_create_task(getter, &g)));
    CHECK_RC(cio_await(t, NULL), -ECONNREFUSED);
    const char *msg = cio_future_message(t);
    CHECK(msg && strstr(msg, "127.0.0.1"));
    cio_http_request_t req = {.url = "http://no-such-host.invalid/", .connect_timeout = 3};
    int rc = cio_http_request(s, &req, &r);
    CHECK(rc == CIO_ENONAME || rc == -ETIMEDOUT);
    /* a reset in the middle of the body */
    REQ_RC(srv_start(&v));
    REQ_RC(cio_http_get(s, url(&v, "/reset"), &r));
    rc = (int)cio_http_response_read(r, 0, &body);
    CHECK(rc == CIO_EINCOMPLETE || rc == -ECONNRESET);
    CHECK(cio_http_response_error(r) != NULL);
out:
    if (t)
        cio_unref(t);
    cio_http_response_free(r);
    cio_http_session_free(s);
    srv_stop(&v);
    return 0;
}
static void t_failures(void)
{
    if (!skip_without_curl())
        RUN(m_failures);
}

static int m_bad_input(void *arg, void **result)
{
    struct srv v = {0};
    cio_http_session_t *s = NULL;
    cio_http_response_t *r = NULL;
    REQ_RC(srv_start(&v));
    cio_http_session_opts_t bad = {.timeout = -1};
    CHECK_RC(cio_http_session_new(&bad, &s), -EINVAL);
    bad = (cio_http_session_opts_t){.connect_timeout = NAN};
    CHECK_RC(cio_http_session_new(&bad, &s), -EINVAL);
    static const char *const inj[] = {"X-A: 1\r\nX-B: 2", NULL};
    bad = (cio_http_session_opts_t){.headers = inj};
    CHECK_RC(cio_http_session_new(&bad, &s), -EINVAL);
    CHECK_RC(cio_http_session_new(NULL, NULL), -EINVAL);
    REQ_RC(session(&s, 0, 0));
    CHECK_RC(cio_http_get(s, "http://[::1", &r), -EINVAL);
    CHECK_RC(cio_http_get(s, "not a url", &r), -EINVAL);
    CHECK_RC(cio_http_get(s, "ftp://127.0.0.1/x", &r), -EPROTONOSUPPORT);
    CHECK_RC(cio_http_get(s, "file:///etc/passwd", &r), -EPROTONOSUPPORT);
    CHECK_RC(cio_http_get(s, NULL, &r), -EINVAL);
    CHECK_RC(cio_http_get(NULL, url(&v, "/"), &r), -EINVAL);
    cio_http_request_t req = {.url = url(&v, "/echo"), .headers = inj};
    CHECK_RC(cio_http_request(s, &req, &r), -EINVAL);
    static const char *const lf[] = {"X-A: 1\nX-B: 2", NULL}, *const nocolon[] = {"X-A 1", NULL};
    req.headers = lf;
    CHECK_RC(cio_http_request(s, &req, &r), -EINVAL);
    req.headers = nocolon;
    CHECK_RC(cio_http_request(s, &req, &r), -EINVAL);
    req = (cio_http_request_t){.url = url(&v, "/echo"), .method = "GE T"};
    CHECK_RC(cio_http_request(s, &req, &r), -EINVAL);
    req = (cio_http_request_t){.url = url(&v, "/echo"), .timeout = -0.5};
    CHECK_RC(cio_http_request(s, &req, &r), -EINVAL);
    req = (cio_http_request_t){.url = url(&v, "/echo"), .connect_timeout = NAN};
    CHECK_RC(cio_http_request(s, &req, &r), -EINVAL);
    req = (cio_http_request_t){.url = url(&v, "/echo"), .body = "x", .body_len = SIZE_MAX};
    CHECK_RC(cio_http_request(s, &req, &r), -EOVERFLOW);
    req = (cio_http_request_t){.url = url(&v, "/echo"), .body = "x", .body_len = 1, .body_file = "/etc/hostname"};
    CHECK_RC(cio_http_request(s, &req, &r), -EINVAL);
    static const char *const odd[] = {"key", NULL};
    req = (cio_http_request_t){.url = url(&v, "/echo"), .params = odd};
    CHECK_RC(cio_http_request(s, &req, &r), -EINVAL);
    CHECK(r == NULL);
    CHECK_INT(served_conns, 0); /* nothing was sent half-formed */
    CHECK_RC(cio_http_session_close(s, 7), -EINVAL);
    CHECK_RC(cio_http_session_close(s, CIO_HTTP_WAIT), 0);
    CHECK_RC(cio_http_session_close(s, CIO_HTTP_WAIT), 0);
    CHECK_RC(cio_http_get(s, url(&v, "/status/200"), &r), CIO_ECLOSED);
    CHECK_INT(cio_http_response_status(NULL), -EINVAL);
out:
    cio_http_session_free(s);
    srv_stop(&v);
    return 0;
}
static void t_bad_input(void)
{
    if (!skip_without_curl())
        RUN(m_bad_input);
}

static int m_close(void *arg, void **result)
{
    struct srv v = {0};
    cio_http_session_t *s = NULL;
    cio_task_t *t1 = NULL, *t2 = NULL;
    REQ_RC(srv_start(&v));
    REQ_RC(session(&s, 0, 0));
    struct getter g1 = {.s = s, .url = url(&v, "/delay/0.2")};
    REQ((t1 = cio_create_task(getter, &g1)));
    REQ_RC(cio_sleep(0.05));
    CHECK_RC(cio_http_session_close(s, CIO_HTTP_WAIT), 0); /* waits for it */
    CHECK_RC(cio_await(t1, NULL), 0);
    CHECK_INT(g1.status, 200);
    CHECK_INT(g1.got, 7);
    cio_http_session_free(s);
    s = NULL;
    REQ_RC(session(&s, 0, 0));
    struct getter g2 = {.s = s, .url = url(&v, "/hang")};
    REQ((t2 = cio_create_task(getter, &g2)));
    REQ_RC(cio_sleep(0.05));
    CHECK_RC(cio_http_session_close(s, CIO_HTTP_CANCEL), 0);
    CHECK_RC(cio_await(t2, NULL), CIO_ECLOSED);
out:
    if (t1)
        cio_unref(t1);
    if (t2)
        cio_unref(t2);
    cio_http_session_free(s);
    srv_stop(&v);
    return 0;
}
static void t_close(void)
{
    if (!skip_without_curl())
        RUN(m_close);
}

static int m_use_elsewhere(void *arg, void **result)
{
    cio_http_response_t *r = NULL;
    CHECK_RC(cio_http_get(arg, "http://127.0.0.1:1/", &r), CIO_EWRONGLOOP);
    CHECK_RC(cio_http_session_close(arg, CIO_HTTP_CANCEL), CIO_EWRONGLOOP);
    return 0;
}

/* In a worker thread: a loop of its own uses the session. */
static int other_thread(void *arg, void **result)
{
    return cio_run(m_use_elsewhere, arg, NULL);
}

static int m_other_loop(void *arg, void **result)
{
    cio_http_session_t *s = NULL;
    cio_http_response_t *r = NULL;
    int rc = cio_http_session_new(NULL, &s);
    if (!cio_http_available()) {
        CHECK_RC(rc, -ENOTSUP);
        CHECK(s == NULL);
        CHECK_RC(cio_http_get(s, "http://127.0.0.1:1/", &r), -ENOTSUP);
        return 0;
    }
    REQ_RC(rc);
    CHECK_RC(cio_to_thread(other_thread, s, NULL), 0);
out:
    cio_http_session_free(s);
    return 0;
}
static void t_other_loop(void)
{
    RUN(m_other_loop);
}

/* ------------------------------------------------------------------ TLS */

static char tls_dir[64], tls_cert[128], tls_key[128];

/* A self-signed certificate for the name "localhost" only, made by the
 * openssl command once for the suite: 0, or -1 when it cannot be made. */
static int make_cert(void)
{
    char cmd[512];
    snprintf(tls_dir, sizeof tls_dir, "/tmp/cio_http_tlsXXXXXX");
    if (!mkdtemp(tls_dir))
        return -1;
    snprintf(tls_cert, sizeof tls_cert, "%s/cert.pem", tls_dir);
    snprintf(tls_key, sizeof tls_key, "%s/key.pem", tls_dir);
    snprintf(cmd, sizeof cmd,
             "openssl req -x509 -newkey rsa:2048 -nodes -keyout %s -out %s -days 1 -subj /CN=localhost "
             "-addext subjectAltName=DNS:localhost >/dev/null 2>&1",
             tls_key, tls_cert);
    return system(cmd) == 0 ? 0 : -1;
}

static void drop_cert(void)
{
    if (!tls_dir[0])
        return;
    unlink(tls_cert);
    unlink(tls_key);
    rmdir(tls_dir);
}

static int m_https(void *arg, void **result)
{
    cio_tls_t *tls = NULL;
    cio_server_t *sv = NULL;
    cio_http_session_t *s = NULL, *s_ca = NULL, *s_insecure = NULL;
    cio_http_response_t *r = NULL;
    const char *body;
    char u[128];
    REQ_RC(cio_tls_server_new(tls_cert, tls_key, &tls));
    cio_server_opts_t so = {.tls = tls};
    served_conns = 0;
    REQ_RC(cio_start_server(serve, NULL, "127.0.0.1", 0, &so, &sv));
    int port = cio_server_port(sv);
    cio_http_session_opts_t o = {.no_proxy = "*"};
    REQ_RC(cio_http_session_new(&o, &s));
    o.ca_file = tls_cert;
    REQ_RC(cio_http_session_new(&o, &s_ca));
    o = (cio_http_session_opts_t){.no_proxy = "*", .insecure = 1};
    REQ_RC(cio_http_session_new(&o, &s_insecure));
    /* verified against the certificate as CA, under its name */
    snprintf(u, sizeof u, "https://localhost:%d/status/201", port);
    REQ_RC(cio_http_get(s_ca, u, &r));
    CHECK_INT(cio_http_response_status(r), 201);
    CHECK_INT(cio_http_response_read(r, 0, &body), 10);
    cio_http_response_free(r);
    r = NULL;
    /* the system's CAs do not know it: refused */
    CHECK_RC(cio_http_get(s, u, &r), CIO_ETLSVERIFY);
    /* the right CA, the wrong name (127.0.0.1 is not in the certificate) */
    snprintf(u, sizeof u, "https://127.0.0.1:%d/status/200", port);
    CHECK_RC(cio_http_get(s_ca, u, &r), CIO_ETLSVERIFY);
    /* the explicit opt-out */
    REQ_RC(cio_http_get(s_insecure, u, &r));
    CHECK_INT(cio_http_response_status(r), 200);
out:
    cio_http_response_free(r);
    cio_http_session_free(s);
    cio_http_session_free(s_ca);
    cio_http_session_free(s_insecure);
    if (sv) {
        cio_server_close(sv);
        cio_server_wait_closed(sv);
        cio_unref(sv);
    }
    if (tls)
        cio_unref(tls);
    return 0;
}
static void t_https(void)
{
    if (skip_without_curl())
        return;
    if (!cio_tls_available() || !tls_cert[0]) {
        printf("     (%s: skipped: no TLS or no openssl command)\n", test_current);
        return;
    }
    RUN(m_https);
}

/* Cancelled while connecting: a listener that never accepts, its backlog
 * full, drops the SYN; the session goes on. */
static int m_cancel_connect(void *arg, void **result)
{
    struct srv v = {0};
    cio_http_session_t *s = NULL;
    cio_http_response_t *r = NULL;
    int lfd = -1, fill[4] = {-1, -1, -1, -1};
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    char u[64];
    REQ((lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) >= 0);
    REQ(bind(lfd, (struct sockaddr *)&a, sizeof a) == 0 && listen(lfd, 0) == 0);
    REQ(getsockname(lfd, (struct sockaddr *)&a, &alen) == 0);
    for (int i = 0; i < 4; i++) {
        REQ((fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) >= 0);
        connect(fill[i], (struct sockaddr *)&a, sizeof a);
    }
    snprintf(u, sizeof u, "http://127.0.0.1:%d/", ntohs(a.sin_port));
    REQ_RC(srv_start(&v));
    REQ_RC(session(&s, 0, 0));
    cio_timeout_t to;
    REQ_RC(cio_timeout_enter(&to, 0.3));
    int rc = cio_http_get(s, u, &r);
    CHECK_RC(cio_timeout_exit(&to, rc), -ETIMEDOUT);
    CHECK(r == NULL);
    REQ_RC(cio_http_get(s, url(&v, "/status/200"), &r));
    CHECK_INT(cio_http_response_status(r), 200);
out:
    for (int i = 0; i < 4; i++)
        if (fill[i] >= 0)
            close(fill[i]);
    if (lfd >= 0)
        close(lfd);
    cio_http_response_free(r);
    cio_http_session_free(s);
    srv_stop(&v);
    return 0;
}
static void t_cancel_connect(void)
{
    if (!skip_without_curl())
        RUN(m_cancel_connect);
}

/* A proxy from the options, then from the environment (http_proxy): the
 * request reaches the test server in the absolute form. */
static int m_proxy(void *arg, void **result)
{
    struct srv v = {0};
    cio_http_session_t *s = NULL;
    cio_http_response_t *r = NULL;
    const char *body;
    REQ_RC(srv_start(&v));
    cio_http_session_opts_t o = {.proxy = v.base};
    REQ_RC(cio_http_session_new(&o, &s));
    REQ_RC(cio_http_get(s, "http://nowhere.invalid/status/200", &r));
    CHECK(cio_http_response_read(r, 0, &body) > 0);
    CHECK_STR(body, "GET /echo\nhttp://nowhere.invalid/status/200");
    cio_http_response_free(r);
    r = NULL;
    cio_http_session_free(s);
    s = NULL;
    REQ(setenv("http_proxy", v.base, 1) == 0);
    int rc = cio_http_session_new(NULL, &s);
    if (rc == 0)
        rc = cio_http_get(s, "http://elsewhere.invalid/x", &r);
    unsetenv("http_proxy");
    REQ_RC(rc);
    CHECK(cio_http_response_read(r, 0, &body) > 0);
    CHECK_STR(body, "GET /echo\nhttp://elsewhere.invalid/x");
out:
    cio_http_response_free(r);
    cio_http_session_free(s);
    srv_stop(&v);
    return 0;
}
static void t_proxy(void)
{
    if (!skip_without_curl())
        RUN(m_proxy);
}

/* A server that asks for a client certificate: refused without one, served
 * with one (the suite's certificate, its own CA). */
static int m_client_cert(void *arg, void **result)
{
    cio_tls_t *tls = NULL;
    cio_server_t *sv = NULL;
    cio_http_session_t *s = NULL, *s_cert = NULL;
    cio_http_response_t *r = NULL;
    char u[128];
    REQ_RC(cio_tls_server_new(tls_cert, tls_key, &tls));
    REQ_RC(cio_tls_load_verify_locations(tls, tls_cert, NULL));
    REQ_RC(cio_tls_set_verify(tls, 1));
    cio_server_opts_t so = {.tls = tls};
    REQ_RC(cio_start_server(serve, NULL, "127.0.0.1", 0, &so, &sv));
    snprintf(u, sizeof u, "https://localhost:%d/status/200", cio_server_port(sv));
    cio_http_session_opts_t o = {.no_proxy = "*", .ca_file = tls_cert};
    REQ_RC(cio_http_session_new(&o, &s));
    o.client_cert = tls_cert;
    o.client_key = tls_key;
    REQ_RC(cio_http_session_new(&o, &s_cert));
    int rc = cio_http_get(s, u, &r);
    CHECK(rc < 0);
    if (rc == 0) {
        cio_http_response_free(r);
        r = NULL;
    }
    REQ_RC(cio_http_get(s_cert, u, &r));
    CHECK_INT(cio_http_response_status(r), 200);
out:
    cio_http_response_free(r);
    cio_http_session_free(s);
    cio_http_session_free(s_cert);
    if (sv) {
        cio_server_close(sv);
        cio_server_wait_closed(sv);
        cio_unref(sv);
    }
    if (tls)
        cio_unref(tls);
    return 0;
}
static void t_client_cert(void)
{
    if (skip_without_curl())
        return;
    if (!cio_tls_available() || !tls_cert[0]) {
        printf("     (%s: skipped: no TLS or no openssl command)\n", test_current);
        return;
    }
    RUN(m_client_cert);
}

static const struct test_case cases[] = {
    TEST(t_status),  TEST(t_echo),         TEST(t_large_and_chunked), TEST(t_redirects),
    TEST(t_timeouts_and_cancel), TEST(t_body_cap), TEST(t_streaming), TEST(t_thousand_in_flight),
    TEST(t_failures), TEST(t_bad_input),   TEST(t_close),             TEST(t_other_loop),
    TEST(t_https), TEST(t_cancel_connect), TEST(t_proxy), TEST(t_client_cert),
};

int main(int argc, char **argv)
{
    if (cio_http_available() && cio_tls_available() && make_cert() < 0)
        tls_cert[0] = 0;
    int rc = run_tests(argc, argv, cases, NCASES(cases));
    drop_cert();
    return rc;
}
