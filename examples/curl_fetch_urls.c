/* curl_fetch_urls: seed 002, "Real-World Application Example: Asynchronous
 * Web Requests": fetch several URLs concurrently, then (for comparison) one
 * after the other.
 *
 *     async def fetch_url(session, url):
 *         """Asynchronously fetches data from a URL."""
 *         print(f"Fetching {url}...")
 *         try:
 *             async with session.get(url) as response:
 *                 # Simulate processing the response body
 *                 await response.text() # Await reading the response body
 *                 status = response.status
 *                 print(f"Finished fetching {url} with status {status}")
 *                 return status, url
 *         except aiohttp.ClientError as e:
 *             print(f"Error fetching {url}: {e}")
 *             return None, url
 *
 *     async def fetch_all_urls(urls):
 *         """Creates tasks to fetch multiple URLs concurrently."""
 *         start_time = time.time()
 *         # aiohttp.ClientSession is recommended for efficiency
 *         async with aiohttp.ClientSession() as session:
 *             tasks = []
 *             for url in urls:
 *                 task = asyncio.create_task(fetch_url(session, url))
 *                 tasks.append(task)
 *             # Wait for all tasks to complete
 *             results = await asyncio.gather(*tasks)
 *         end_time = time.time()
 *         print(f"Total time to fetch {len(urls)} URLs: {end_time - start_time:.2f} seconds")
 *         return results
 *
 *     if __name__ == "__main__":
 *         target_urls = [
 *             "http://example.com",
 *             "http://google.com",
 *             "http://www.python.org",
 *             "http://www.github.com",
 *             "http://httpbin.org/delay/3", # This one will take ~3 seconds
 *             "http://example.com", # Repeat some
 *             "http://google.com",
 *         ]
 *         print("Starting asynchronous URL fetching...")
 *         fetched_results = asyncio.run(fetch_all_urls(target_urls))
 *         # print("Fetched Results:")
 *         # for status, url in fetched_results:
 *         #     print(f" {url}: Status {status}")
 *
 * (The seed's text lost its indentation; restored here.)
 *
 * No internet is assumed: without arguments the program first starts a tiny
 * httpbin of its own on 127.0.0.1 (a free port), written with cio streams,
 * one task per connection: GET /delay/N answers 200 after N seconds,
 * GET /status/N answers with status N, GET / answers 200 (the request head
 * is parsed by examples/http_request.h, which tests/fuzz/fuzz_http.c
 * fuzzes; a malformed one gets 400 and the connection closed).  It fetches seven
 * of its URLs, as the seed fetches seven, prints the seed's commented-out
 * result list, then fetches the same URLs one after the other, the way the
 * seed's introduction describes the synchronous approach ("fetch URL 1,
 * wait, fetch URL 2, wait").  It checks every status and body and that the
 * concurrent run took about the longest delay (2 s), not the sum (6 s).
 * With arguments it fetches those URLs instead (http or https, when online)
 * and only checks that each fetch succeeded.
 *
 * Usage: curl_fetch_urls [URL...]
 *
 * aiohttp's part is played by libcurl's multi-socket interface, driven by
 * cio's loop (the "curl bridge" below): curl says which sockets to watch and
 * when to wake it (its socket and timer callbacks), cio's add_reader /
 * add_writer / call_later do the watching, and each transfer's end, seen in
 * a callback, sets a cio future that the fetching task awaits.  That is the
 * seed's point about futures: they bridge callback-based code and async
 * code.  Expected: ~2 s concurrent, ~6 s sequential.
 */
#include <cio.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http_request.h"

static double perf_counter(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ------------------------------------------------ the local HTTP server */

static const char *reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 500: return "Internal Server Error";
    default: return "Status";
    }
}

/* What the server answers for path: the status, and the delay before it. */
static int route(const char *path, double *delay)
{
    int status, end = 0;
    *delay = 0;
    if (strcmp(path, "/") == 0) return 200;
    if (sscanf(path, "/delay/%lf%n", delay, &end) == 1 && !path[end] && *delay >= 0 && *delay <= 10) return 200;
    *delay = 0;
    if (sscanf(path, "/status/%d%n", &status, &end) == 1 && !path[end] && status >= 200 && status <= 599)
        return status;
    return 404;
}

/* The body served for path: "<path> <status> <reason>\n". */
static int body_for(const char *path, int status, char *buf, size_t cap)
{
    return snprintf(buf, cap, "%s %d %s\n", path, status, reason(status));
}

static int is_blank(const char *line, ssize_t n)
{
    return (n == 1 && line[0] == '\n') || (n == 2 && line[0] == '\r' && line[1] == '\n');
}

/* One connection: requests until the client closes it (HTTP/1.1 keep-alive).
 * The request head is parsed by examples/http_request.h, line by line. */
static int serve_http(cio_stream_t *s, void *arg)
{
    char line[1024], path[512], body[600], head[256];
    for (;;) {
        ssize_t n = cio_stream_readline(s, line, sizeof line); /* "GET /delay/1 HTTP/1.1\r\n" */
        if (n <= 0) return n == 0 ? 0 : (int)n;                 /* 0: the client closed */
        if (is_blank(line, n)) continue; /* empty lines before a request are ignored (RFC 9112 2.2) */
        struct http_request_line rl;
        int line_rc = http_parse_request_line(line, (size_t)n, &rl);
        int get = line_rc == 0 && rl.major == 1 && rl.method.len == 3 && memcmp(rl.method.p, "GET", 3) == 0 &&
                  rl.target.len < sizeof path;
        if (get) { /* line is reused for the field lines: the target is copied out first */
            memcpy(path, rl.target.p, rl.target.len);
            path[rl.target.len] = '\0';
        }
        struct http_headers hs;
        struct http_header h;
        int head_rc;
        http_headers_init(&hs, line_rc == 0 ? &rl : NULL);
        do { /* the field lines, up to the blank line */
            n = cio_stream_readline(s, line, sizeof line);
            if (n <= 0) return n == 0 ? 0 : (int)n;
        } while ((head_rc = http_headers_add(&hs, line, (size_t)n, &h)) == HTTP_FIELD);

        int close_after = 1, status = 400;
        double delay = 0;
        if (get && head_rc == HTTP_END && !hs.transfer_encoding && hs.content_length <= 65536) {
            status = route(path, &delay);
            close_after = !http_keep_alive(&hs);
            for (int64_t left = hs.content_length; left > 0;) { /* a body, which GET ignores */
                size_t k = left < (int64_t)sizeof line ? (size_t)left : sizeof line;
                ssize_t r = cio_stream_readexactly(s, line, k);
                if (r < 0) return r == CIO_EINCOMPLETE ? 0 : (int)r;
                left -= (int64_t)k;
            }
        } else { /* 400, and no guessing where the next request starts */
            strcpy(path, "?");
        }

        if (delay > 0) {
            int rc = cio_sleep(delay); /* other connections are served meanwhile */
            if (rc < 0) return rc;
        }
        int blen = body_for(path, status, body, sizeof body);
        int hlen = snprintf(head, sizeof head,
                            "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n%s\r\n", status,
                            reason(status), blen, close_after ? "Connection: close\r\n" : "");
        int rc = cio_stream_write(s, head, (size_t)hlen);
        if (rc == 0) rc = cio_stream_write(s, body, (size_t)blen);
        if (rc == 0) rc = cio_stream_drain(s);
        if (rc < 0 || close_after) return rc;
    }
}

/* ------------------------------------------------------ the curl bridge */

/* A session (aiohttp's ClientSession): a curl multi handle whose sockets and
 * timeouts are watched by the running cio loop. */
struct session {
    CURLM *multi;
    cio_loop_t *loop;
    cio_handle_t *timer; /* curl's pending timeout, or NULL */
    int nwatch;          /* sockets curl asked us to watch */
};

/* A socket curl asked us to watch (curl keeps it for us: curl_multi_assign). */
struct watch {
    struct session *session;
    curl_socket_t fd;
};

/* What session_get hands back: the response, or the error. */
struct response {
    long status;
    char body[256]; /* the start of the body, NUL-terminated */
    size_t body_len; /* the whole body's length */
    char error[CURL_ERROR_SIZE];
    cio_future_t *done; /* set when curl reports the transfer done */
};

static int curl_error_code(CURLcode res)
{
    switch (res) {
    case CURLE_COULDNT_RESOLVE_HOST: return CIO_ENONAME;
    case CURLE_COULDNT_CONNECT: return -ECONNREFUSED;
    case CURLE_OPERATION_TIMEDOUT: return -ETIMEDOUT;
    default: return -EIO;
    }
}

/* Every transfer curl reports done: its future gets the outcome. */
static void finish_transfers(struct session *s)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(s->multi, &left))) {
        if (msg->msg != CURLMSG_DONE) continue;
        CURL *easy = msg->easy_handle;
        CURLcode res = msg->data.result; /* msg is gone after remove_handle */
        char *priv;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
        struct response *r = (struct response *)priv;
        curl_multi_remove_handle(s->multi, easy);
        if (res == CURLE_OK)
            cio_future_set_result(r->done, NULL);
        else
            cio_future_set_exception(r->done, curl_error_code(res), r->error[0] ? r->error : curl_easy_strerror(res));
    }
}

/* Tell curl what happened on a socket (or that its timeout is due). */
static int socket_action(struct session *s, curl_socket_t fd, int events)
{
    int running;
    CURLMcode mc = curl_multi_socket_action(s->multi, fd, events, &running);
    finish_transfers(s);
    return mc == CURLM_OK ? 0 : -EIO;
}

/* add_reader / add_writer callbacks (w may be freed inside socket_action) */
static int on_readable(void *arg)
{
    struct watch *w = arg;
    return socket_action(w->session, w->fd, CURL_CSELECT_IN);
}

static int on_writable(void *arg)
{
    struct watch *w = arg;
    return socket_action(w->session, w->fd, CURL_CSELECT_OUT);
}

/* CURLMOPT_SOCKETFUNCTION: watch fd for what curl wants (IN, OUT, both), or
 * stop watching it (REMOVE, before curl closes it). */
static int on_curl_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    struct session *s = userp;
    struct watch *w = socketp;
    if (what == CURL_POLL_REMOVE) {
        cio_loop_remove_reader(s->loop, fd);
        cio_loop_remove_writer(s->loop, fd);
        if (w) s->nwatch--;
        free(w);
        return 0;
    }
    if (!w) {
        if (!(w = malloc(sizeof *w))) return -1;
        *w = (struct watch){s, fd};
        s->nwatch++;
        curl_multi_assign(s->multi, fd, w);
    }
    int rc = (what & CURL_POLL_IN) ? cio_loop_add_reader(s->loop, fd, on_readable, w)
                                   : cio_loop_remove_reader(s->loop, fd);
    if (rc >= 0)
        rc = (what & CURL_POLL_OUT) ? cio_loop_add_writer(s->loop, fd, on_writable, w)
                                    : cio_loop_remove_writer(s->loop, fd);
    return rc < 0 ? -1 : 0;
}

static int on_timeout(void *arg)
{
    struct session *s = arg;
    cio_unref(s->timer);
    s->timer = NULL;
    return socket_action(s, CURL_SOCKET_TIMEOUT, 0);
}

/* CURLMOPT_TIMERFUNCTION: one timer, moved (or dropped: -1) as curl asks. */
static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
    struct session *s = userp;
    if (s->timer) {
        cio_handle_cancel(s->timer);
        cio_unref(s->timer);
        s->timer = NULL;
    }
    if (timeout_ms < 0) return 0;
    return cio_call_later(s->loop, timeout_ms / 1000.0, on_timeout, s, &s->timer) < 0 ? -1 : 0;
}

/* async with aiohttp.ClientSession() as session: (from a task) */
static int session_open(struct session *s)
{
    *s = (struct session){0};
    int rc = cio_get_running_loop(&s->loop);
    if (rc < 0) return rc;
    if (!(s->multi = curl_multi_init())) return -ENOMEM;
    curl_multi_setopt(s->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
    curl_multi_setopt(s->multi, CURLMOPT_SOCKETDATA, s);
    curl_multi_setopt(s->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    curl_multi_setopt(s->multi, CURLMOPT_TIMERDATA, s);
    return 0;
}

/* Leaving the block: curl closes its connections (each watched socket
 * removed through on_curl_socket first). */
static int session_close(struct session *s)
{
    curl_multi_cleanup(s->multi);
    if (s->timer) {
        cio_handle_cancel(s->timer);
        cio_unref(s->timer);
        s->timer = NULL;
    }
    if (s->nwatch == 0) return 0;
    fprintf(stderr, "FAIL: curl left %d sockets watched\n", s->nwatch);
    return -EBUSY;
}

static size_t on_body(char *data, size_t size, size_t n, void *userp)
{
    struct response *r = userp;
    size_t kept = strlen(r->body), room = sizeof r->body - 1 - kept;
    memcpy(r->body + kept, data, n < room ? n : room);
    r->body_len += n;
    return n;
}

/* await session.get(url) and the body (response.text()): 0 and *r, or the
 * transfer's error (r->error says which), or -ECANCELED. */
static int session_get(struct session *s, const char *url, struct response *r)
{
    *r = (struct response){0};
    CURL *easy = curl_easy_init();
    if (!easy) return -ENOMEM;
    if (!(r->done = cio_create_future())) {
        curl_easy_cleanup(easy);
        return -ENOMEM;
    }
    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(easy, CURLOPT_PRIVATE, r);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, r->error);
    curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 1L); /* as aiohttp */
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_NOPROXY, "127.0.0.1,localhost");
    curl_easy_setopt(easy, CURLOPT_TIMEOUT, 30L);
    int rc = curl_multi_add_handle(s->multi, easy) == CURLM_OK ? 0 : -ENOMEM;
    if (rc == 0) rc = cio_await(r->done, NULL); /* finish_transfers sets it */
    if (rc == 0) curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &r->status);
    if (rc < 0 && !r->error[0]) snprintf(r->error, sizeof r->error, "%s", cio_strerror(rc));
    curl_multi_remove_handle(s->multi, easy); /* already out unless cancelled */
    curl_easy_cleanup(easy);
    cio_unref(r->done);
    r->done = NULL;
    return rc;
}

/* ------------------------------------------------------------ the program */

struct fetch {
    struct session *session;
    const char *url;
    struct response response; /* status 0: the fetch failed (Python's None) */
};

static int fetch_url(void *arg, void **result)
{
    struct fetch *f = arg;
    printf("Fetching %s...\n", f->url);
    int rc = session_get(f->session, f->url, &f->response);
    if (rc == -ECANCELED) return rc;
    if (rc < 0) {
        printf("Error fetching %s: %s\n", f->url, f->response.error);
        f->response.status = 0;
        return 0;
    }
    printf("Finished fetching %s with status %ld\n", f->url, f->response.status);
    return 0;
}

struct job {
    const char *const *urls;
    size_t n;
    struct fetch *fetches; /* n results, in the order of urls */
    double elapsed;
};

static int fetch_all_urls(void *arg, void **result)
{
    struct job *job = arg;
    double start_time = perf_counter();
    struct session session;
    int rc = session_open(&session);
    if (rc < 0) return rc;
    cio_task_t *tasks[16];
    size_t ntasks = 0;
    for (; ntasks < job->n; ntasks++) {
        job->fetches[ntasks] = (struct fetch){.session = &session, .url = job->urls[ntasks]};
        if (!(tasks[ntasks] = cio_create_task(fetch_url, &job->fetches[ntasks]))) {
            rc = -ENOMEM;
            break;
        }
    }
    if (rc == 0) rc = cio_gather(tasks, ntasks, NULL, NULL, 0); /* wait for all tasks to complete */
    for (size_t i = 0; i < ntasks; i++) {
        if (rc < 0) cio_task_cancel(tasks[i], NULL);
        cio_await(tasks[i], NULL); /* nothing runs on once the session is gone */
        cio_unref(tasks[i]);
    }
    int close_rc = session_close(&session);
    job->elapsed = perf_counter() - start_time;
    printf("Total time to fetch %zu URLs: %.2f seconds\n", job->n, job->elapsed);
    return rc < 0 ? rc : close_rc;
}

/* The same, one URL after the other: awaiting a coroutine is a plain call. */
static int fetch_all_urls_sequentially(void *arg, void **result)
{
    struct job *job = arg;
    double start_time = perf_counter();
    struct session session;
    int rc = session_open(&session);
    if (rc < 0) return rc;
    for (size_t i = 0; i < job->n && rc == 0; i++) {
        job->fetches[i] = (struct fetch){.session = &session, .url = job->urls[i]};
        rc = fetch_url(&job->fetches[i], NULL);
    }
    int close_rc = session_close(&session);
    job->elapsed = perf_counter() - start_time;
    printf("Total time to fetch %zu URLs one by one: %.2f seconds\n", job->n, job->elapsed);
    return rc < 0 ? rc : close_rc;
}

/* The checks of a run against the local server; 0 if all is well. */
static int check(const struct job *job, const char *const *paths)
{
    int bad = 0;
    for (size_t i = 0; i < job->n; i++) {
        const struct fetch *f = &job->fetches[i];
        if (!paths) { /* the user's URLs: each must have been fetched */
            if (f->response.status == 0) fprintf(stderr, "FAIL: %s: %s\n", f->url, f->response.error);
            bad += f->response.status == 0;
            continue;
        }
        double delay;
        char body[600];
        int status = route(paths[i], &delay);
        int blen = body_for(paths[i], status, body, sizeof body);
        if (f->response.status != status || f->response.body_len != (size_t)blen ||
            strcmp(f->response.body, body) != 0) {
            fprintf(stderr, "FAIL: %s: status %ld body %zu bytes '%s'; expected %d and '%s'\n", f->url,
                    f->response.status, f->response.body_len, f->response.body, status, body);
            bad++;
        }
    }
    return bad ? -EIO : 0;
}

struct options {
    char **urls; /* the command line's, or NULL for the local server */
    size_t n;
};

static int amain(void *arg, void **result)
{
    static const char *const paths[] = {"/delay/1",   "/delay/2",    "/status/200", "/status/404",
                                        "/delay/1",   "/status/500", "/delay/2"};
    struct options *opt = arg;
    char local[16][64];
    const char *urls[16];
    size_t n = opt->urls ? opt->n : sizeof paths / sizeof *paths;
    double longest = 0, total = 0;
    cio_server_t *server = NULL;
    int rc;

    if (opt->urls) {
        for (size_t i = 0; i < n; i++) urls[i] = opt->urls[i];
    } else { /* our own httpbin on a free port */
        rc = cio_start_server(serve_http, NULL, "127.0.0.1", 0, NULL, &server);
        if (rc < 0) return rc;
        for (size_t i = 0; i < n; i++) {
            double delay;
            route(paths[i], &delay);
            longest = delay > longest ? delay : longest;
            total += delay;
            snprintf(local[i], sizeof local[i], "http://127.0.0.1:%d%s", cio_server_port(server), paths[i]);
            urls[i] = local[i];
        }
    }

    struct fetch concurrent[16], sequential[16];
    struct job job1 = {.urls = urls, .n = n, .fetches = concurrent};
    struct job job2 = {.urls = urls, .n = n, .fetches = sequential};
    puts("Starting asynchronous URL fetching...");
    rc = fetch_all_urls(&job1, NULL);
    if (rc == 0) {
        puts("Fetched Results:");
        for (size_t i = 0; i < n; i++)
            if (concurrent[i].response.status)
                printf(" %s: Status %ld\n", urls[i], concurrent[i].response.status);
            else
                printf(" %s: Status None\n", urls[i]);
        puts("\nStarting sequential URL fetching...");
        rc = fetch_all_urls_sequentially(&job2, NULL);
    }

    if (server) { /* stop listening, wait for the last connection to end */
        cio_server_close(server);
        int wrc = cio_server_wait_closed(server);
        cio_unref(server);
        if (rc == 0) rc = wrc;
    }
    if (rc < 0) return rc;
    const char *const *want = opt->urls ? NULL : paths;
    if ((rc = check(&job1, want)) < 0 || (rc = check(&job2, want)) < 0) return rc;
    if (!opt->urls && job1.elapsed > longest + 1.0) {
        fprintf(stderr, "FAIL: the concurrent fetch took %.2f s: expected about %.0f s (the sum is %.0f s)\n",
                job1.elapsed, longest, total);
        return -ETIMEDOUT;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct options opt = {argc > 1 ? argv + 1 : NULL, (size_t)(argc - 1)};
    if (opt.n > 16) {
        fprintf(stderr, "usage: curl_fetch_urls [URL...]  (at most 16)\n");
        return 2;
    }
    double start = perf_counter();
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return 1;
    int rc = cio_run(amain, &opt, NULL);
    curl_global_cleanup();
    if (rc < 0) {
        fprintf(stderr, "curl_fetch_urls: %s\n", cio_strerror(rc));
        return 1;
    }
    printf("elapsed: %.2f s\n", perf_counter() - start);
    return 0;
}
