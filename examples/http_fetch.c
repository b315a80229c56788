/* http_fetch: seed 002's "Asynchronous Web Requests" (aiohttp), on cio's HTTP
 * client (include/cio_http.h): fetch URLs concurrently with gather, print
 * each status, and the total time, about the slowest fetch's.
 *
 *     async def fetch_url(session, url):
 *         print(f"Fetching {url}...")
 *         try:
 *             async with session.get(url) as response:
 *                 await response.text()
 *                 print(f"Finished fetching {url} with status {response.status}")
 *                 return response.status, url
 *         except aiohttp.ClientError as e:
 *             print(f"Error fetching {url}: {e}")
 *             return None, url
 *
 *     async def fetch_all_urls(urls):
 *         start_time = time.time()
 *         async with aiohttp.ClientSession() as session:
 *             tasks = [asyncio.create_task(fetch_url(session, url)) for url in urls]
 *             results = await asyncio.gather(*tasks)
 *         print(f"Total time to fetch {len(urls)} URLs: {time.time() - start_time:.2f} seconds")
 *         return results
 *
 * Usage: http_fetch [URL...].  Without URLs (the demo: no internet here) it
 * starts a small local httpbin (examples/local_httpbin.h) and fetches seven of
 * its URLs, the slowest a 2 s delay: the total is ~2 s, not the 4 s sum.  It
 * fails when a local fetch fails or the total is far from the slowest. */
#include <cio_http.h>
#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "local_httpbin.h"

/* ------------------------------------------------ the seed's program */
struct fetch { cio_http_session_t *session; const char *url; int status; };

static int fetch_url(void *arg, void **result)
{
    struct fetch *f = arg;
    cio_http_response_t *r;
    const char *text;
    printf("Fetching %s...\n", f->url);
    int rc = cio_http_get(f->session, f->url, &r);           /* async with session.get(url) */
    if (rc == 0 && (rc = (int)cio_http_response_read(r, 1 << 20, &text)) >= 0) { /* response.text() */
        f->status = cio_http_response_status(r);
        printf("Finished fetching %s with status %d\n", f->url, f->status);
        rc = 0;
    }
    cio_http_response_free(r);
    if (rc < 0 && rc != -ECANCELED) printf("Error fetching %s: %s\n", f->url, cio_strerror(rc));
    return rc == -ECANCELED ? rc : 0;                         /* a failed fetch returns None */
}

static int fetch_all_urls(struct fetch *f, int n, double *elapsed)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cio_http_session_t *session;
    cio_task_t *tasks[16];
    int rc = cio_http_session_new(NULL, &session), made = 0;  /* async with ClientSession() */
    for (; rc == 0 && made < n; made++) {
        f[made].session = session;
        if (!(tasks[made] = cio_create_task(fetch_url, &f[made]))) rc = -ENOMEM;
    }
    if (rc == 0) rc = cio_gather(tasks, (size_t)made, NULL, NULL, 0);
    for (int i = 0; i < made; i++) cio_unref(tasks[i]);
    if (session) cio_http_session_close(session, CIO_HTTP_WAIT);
    cio_http_session_free(session);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    *elapsed = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("Total time to fetch %d URLs: %.2f seconds\n", n, *elapsed);
    return rc;
}
/* ------------------------------------------------ (37 lines of user code) */

struct args { int argc; char **argv; };

static int amain(void *arg, void **result)
{
    static const char *const paths[] = {"/status/200", "/delay/1", "/status/404", "/bytes/5000",
                                        "/delay/2",    "/status/500", "/delay/1"};
    static const int want[] = {200, 200, 404, 200, 200, 500, 200};
    struct args *a = arg;
    struct fetch f[16] = {{0}};
    char urls[16][128], base[64];
    cio_server_t *sv = NULL;
    int n = a->argc > 1 ? a->argc - 1 : 7, rc = 0;
    if (!cio_http_available()) {
        puts("built without libcurl: the HTTP client is not there (-ENOTSUP); skipped");
        return 0;
    }
    if (a->argc == 1 && (rc = httpbin_start(&sv, base, sizeof base)) < 0) return rc;
    for (int i = 0; i < n; i++) {
        snprintf(urls[i], sizeof urls[i], "%s%s", sv ? base : a->argv[i + 1], sv ? paths[i] : "");
        f[i].url = urls[i];
    }
    puts("Starting asynchronous URL fetching...");
    double elapsed;
    rc = fetch_all_urls(f, n, &elapsed);
    for (int i = 0; rc == 0 && sv && i < n; i++)
        if (f[i].status != want[i]) {
            fprintf(stderr, "FAIL: %s: status %d, expected %d\n", f[i].url, f[i].status, want[i]);
            rc = -EIO;
        }
    if (rc == 0 && sv && elapsed > 3.0) {
        fprintf(stderr, "FAIL: %.2f s: expected about 2 s (the slowest), not the 4 s sum\n", elapsed);
        rc = -ETIMEDOUT;
    }
    if (sv) httpbin_stop(sv);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc > 17) { fprintf(stderr, "usage: http_fetch [URL...]  (16 at most)\n"); return 2; }
    struct args a = {argc, argv};
    int rc = cio_run(amain, &a, NULL);
    if (rc < 0) fprintf(stderr, "http_fetch: %s\n", cio_strerror(rc));
    return rc < 0;
}
