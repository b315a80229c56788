/* W18 HTTP client throughput, the same libcurl multi-socket loop driven by
 * libuv (the reference for cio's CPU per request): N GETs (20,000) of URL,
 * CONC (100) easy handles in flight on one multi handle (keep-alive, at
 * most CONC connections); each finished handle is checked (status 200, BYTES
 * body bytes) and added again while requests remain.  Prints
 *   W18 libuv-curl n=... conc=... secs=... rps=... cpu_us_per_req=... rss_kb=...
 * usage: w18_http_uv URL [N [CONC [BYTES [INSECURE]]]] */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <uv.h>

static uv_loop_t *loop;
static uv_timer_t timer;
static CURLM *multi;
static long n_total, started, done_n, bad, nbytes;

struct xfer { CURL *easy; long got; };
struct sock { uv_poll_t poll; curl_socket_t fd; };

static void check_done(void);

static void on_poll(uv_poll_t *p, int status, int events)
{
    struct sock *s = p->data;
    int flags = status < 0 ? CURL_CSELECT_ERR : 0, running;
    if (events & UV_READABLE) flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE) flags |= CURL_CSELECT_OUT;
    curl_multi_socket_action(multi, s->fd, flags, &running);
    check_done();
}

static void on_close(uv_handle_t *h) { free(h->data); }

static int on_socket(CURL *e, curl_socket_t fd, int what, void *ud, void *sockp)
{
    struct sock *s = sockp;
    if (what == CURL_POLL_REMOVE) {
        if (s) {
            uv_poll_stop(&s->poll);
            uv_close((uv_handle_t *)&s->poll, on_close);
            curl_multi_assign(multi, fd, NULL);
        }
        return 0;
    }
    if (!s) {
        s = malloc(sizeof *s);
        s->fd = fd;
        uv_poll_init_socket(loop, &s->poll, fd);
        s->poll.data = s;
        curl_multi_assign(multi, fd, s);
    }
    int ev = ((what & CURL_POLL_IN) ? UV_READABLE : 0) | ((what & CURL_POLL_OUT) ? UV_WRITABLE : 0);
    uv_poll_start(&s->poll, ev, on_poll);
    return 0;
}

static void on_uv_timer(uv_timer_t *t)
{
    int running;
    curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done();
}

static int on_timer(CURLM *m, long ms, void *ud)
{
    if (ms < 0) uv_timer_stop(&timer);
    else uv_timer_start(&timer, on_uv_timer, (uint64_t)ms, 0);
    return 0;
}

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
    ((struct xfer *)ud)->got += (long)n;
    return n;
}

static void check_done(void)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(multi, &left))) {
        if (m->msg != CURLMSG_DONE) continue;
        CURL *e = m->easy_handle;
        struct xfer *x;
        long code = 0;
        curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&x);
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
        if (m->data.result != CURLE_OK || code != 200 || x->got != nbytes) bad++;
        if (++done_n == n_total)
            uv_stop(loop); /* the kept-alive connections would keep it running */
        curl_multi_remove_handle(multi, e);
        if (started < n_total) {
            started++;
            x->got = 0;
            curl_multi_add_handle(multi, e);
        } else {
            curl_easy_cleanup(e);
            free(x);
        }
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) { fprintf(stderr, "usage: w18_http_uv URL [N [CONC [BYTES [INSECURE]]]]\n"); return 2; }
    n_total = argc > 2 ? atol(argv[2]) : 20000;
    long conc = argc > 3 ? atol(argv[3]) : 100;
    nbytes = argc > 4 ? atol(argv[4]) : 1024;
    int insecure = argc > 5 && atoi(argv[5]);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    loop = uv_default_loop();
    uv_timer_init(loop, &timer);
    multi = curl_multi_init();
    curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, conc);
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, conc);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long i = 0; i < conc && started < n_total; i++) {
        struct xfer *x = calloc(1, sizeof *x);
        x->easy = curl_easy_init();
        curl_easy_setopt(x->easy, CURLOPT_URL, argv[1]);
        curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, x);
        curl_easy_setopt(x->easy, CURLOPT_PRIVATE, (char *)x);
        curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(x->easy, CURLOPT_NOPROXY, "*");
        if (insecure) {
            curl_easy_setopt(x->easy, CURLOPT_SSL_VERIFYPEER, 0L);
            curl_easy_setopt(x->easy, CURLOPT_SSL_VERIFYHOST, 0L);
        }
        started++;
        curl_multi_add_handle(multi, x->easy);
    }
    uv_run(loop, UV_RUN_DEFAULT);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
    curl_multi_cleanup(multi);
    if (bad || done_n != n_total) { fprintf(stderr, "w18_http_uv: %ld bad, %ld done\n", bad, done_n); return 1; }
    printf("W18 libuv-curl n=%ld conc=%ld secs=%.3f rps=%.0f cpu_us_per_req=%.1f rss_kb=%ld\n", n_total, conc, secs,
           n_total / secs, cpu / n_total, ru.ru_maxrss);
    return 0;
}
