/* W18 HTTP client throughput: N GETs (20,000) of URL (a 1 KiB body from a
 * local nginx, see bench/w18.sh), CONC (100) in flight over one
 * cio_http_session_t (keep-alive, at most CONC connections): CONC tasks,
 * each taking the next request number from a shared counter, a GET and the
 * whole body read.  Every status must be 200 and every body BYTES long
 * (default 1024), else the program fails.  Prints
 *   W18 cio n=... conc=... secs=... rps=... cpu_us_per_req=... rss_kb=... conns=...
 * usage: w18_http URL [N [CONC [BYTES [INSECURE]]]] */
#include "bench.h"

#include <cio_http.h>
#include <errno.h>
#include <string.h>
#include <sys/resource.h>

static long n_total, next, bad, body_bytes;
static cio_http_session_t *session;
static const char *url;

static int worker(void *arg, void **result)
{
    while (next < n_total) {
        next++;
        cio_http_response_t *r;
        const char *body;
        int rc = cio_http_get(session, url, &r);
        if (rc < 0) {
            if (bad++ == 0) fprintf(stderr, "w18_http: %s\n", cio_strerror(rc));
            continue;
        }
        ssize_t n = cio_http_response_read(r, 1 << 20, &body);
        if (n != body_bytes || cio_http_response_status(r) != 200) bad++;
        cio_http_response_free(r);
    }
    return 0;
}

struct cfg { long conc; int insecure; };

static int amain(void *arg, void **result)
{
    struct cfg *c = arg;
    cio_http_session_opts_t o = {.max_connections = (int)c->conc, .no_proxy = "*", .insecure = c->insecure};
    int rc = cio_http_session_new(&o, &session);
    if (rc < 0) return rc;
    cio_task_t **ts = calloc((size_t)c->conc, sizeof *ts);
    if (!ts) return -ENOMEM;
    for (long i = 0; i < c->conc; i++)
        if (!(ts[i] = cio_create_task(worker, NULL))) return -ENOMEM;
    rc = cio_gather(ts, (size_t)c->conc, NULL, NULL, 0);
    for (long i = 0; i < c->conc; i++) cio_unref(ts[i]);
    free(ts);
    *result = (void *)(intptr_t)cio_http_session_connections(session);
    cio_http_session_close(session, CIO_HTTP_WAIT);
    cio_http_session_free(session);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: w18_http URL [N [CONC [BYTES [INSECURE]]]]\n");
        return 2;
    }
    url = argv[1];
    n_total = bench_arg(argc, argv, 2, 20000);
    struct cfg c = {bench_arg(argc, argv, 3, 100), (int)bench_arg(argc, argv, 5, 0)};
    body_bytes = bench_arg(argc, argv, 4, 1024);
    void *conns = NULL;
    uint64_t t0 = bench_now_ns();
    int rc = cio_run(amain, &c, &conns);
    double secs = (double)(bench_now_ns() - t0) / 1e9;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu_us = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
    if (rc < 0 || bad) {
        fprintf(stderr, "w18_http: %s, %ld bad responses\n", cio_strerror(rc), bad);
        return 1;
    }
    printf("W18 cio n=%ld conc=%ld secs=%.3f rps=%.0f cpu_us_per_req=%.1f rss_kb=%ld conns=%ld\n", n_total, c.conc,
           secs, n_total / secs, cpu_us / n_total, ru.ru_maxrss, (long)(intptr_t)conns);
    return 0;
}
