/* The HTTP client (include/cio_http.h): a libcurl multi handle per session,
 * driven by the loop.
 *
 * curl's socket callback registers each socket it wants watched with the
 * loop's backend (a struct hsock); an event only records itself and queues
 * the socket's callback, which runs in the ready phase and hands the event to
 * curl_multi_socket_action (curl never runs inside the poll phase, so a
 * socket closed by curl cannot leave a stale event behind).  curl's timer is
 * one loop timer.  After every action, finished transfers are collected
 * (curl_multi_info_read).
 *
 * A response (struct cio_http_response_s) is also the transfer's state: the
 * header callback collects the head of each answer and, at the end of a
 * final one, wakes the task waiting in cio_http_request; the write callback
 * buffers body bytes up to the reader's allowance and past it pauses the
 * transfer (CURL_WRITEFUNC_PAUSE, the bytes stay with curl) until a read
 * makes room.  A task waits on a response through cio__task_suspend, whose
 * cancel hook only wakes it; the woken task removes the transfer itself, as
 * curl allows no multi call from inside its callbacks.  A transfer that ends
 * is removed from the multi handle and its easy handle freed at once, so a
 * response needs the session only while its transfer runs. */
#include "../internal.h"

#include "cio_http.h"

#include <errno.h>
#include <math.h>

#ifndef CIO_HAVE_CURL

int cio_http_available(void) { return 0; }
int cio_http_session_new(const cio_http_session_opts_t *opts, cio_http_session_t **out)
{
    if (out)
        *out = NULL;
    return -ENOTSUP;
}
int cio_http_session_close(cio_http_session_t *s, int how) { return -ENOTSUP; }
void cio_http_session_free(cio_http_session_t *s) {}
long cio_http_session_connections(cio_http_session_t *s) { return -ENOTSUP; }
int cio_http_request(cio_http_session_t *s, const cio_http_request_t *req, cio_http_response_t **out)
{
    if (out)
        *out = NULL;
    return -ENOTSUP;
}
int cio_http_get(cio_http_session_t *s, const char *url, cio_http_response_t **out)
{
    return cio_http_request(s, NULL, out);
}
int cio_http_response_status(cio_http_response_t *r) { return -ENOTSUP; }
const char *cio_http_response_reason(cio_http_response_t *r) { return NULL; }
int cio_http_response_version(cio_http_response_t *r) { return -ENOTSUP; }
const char *cio_http_response_url(cio_http_response_t *r) { return NULL; }
const char *cio_http_response_header(cio_http_response_t *r, const char *name, size_t index) { return NULL; }
size_t cio_http_response_headers(cio_http_response_t *r, size_t i, const char **name, const char **value)
{
    return 0;
}
const char *cio_http_response_error(cio_http_response_t *r) { return NULL; }
ssize_t cio_http_response_read(cio_http_response_t *r, size_t max, const char **body) { return -ENOTSUP; }
ssize_t cio_http_response_read_chunk(cio_http_response_t *r, void *buf, size_t cap) { return -ENOTSUP; }
ssize_t cio_http_response_readuntil(cio_http_response_t *r, const void *sep, size_t seplen, void *buf, size_t cap)
{
    return -ENOTSUP;
}
ssize_t cio_http_response_readline(cio_http_response_t *r, char *buf, size_t cap) { return -ENOTSUP; }
void cio_http_response_free(cio_http_response_t *r) {}

#else /* CIO_HAVE_CURL */

#include <curl/curl.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define HTTP_SESSION_MAGIC 0x48747053u /* "HtpS" */
#define HTTP_RESPONSE_MAGIC 0x48747052u /* "HtpR" */

/* A socket curl asked the loop to watch. */
struct hsock {
    struct cio__io io;
    struct cio__cb cb;          /* queued when an event came */
    cio_http_session_t *s;
    struct hsock *prev, *next;  /* the session's sockets, or its spares (next only) */
    uint32_t pending;           /* events seen since the callback ran */
    uint8_t queued, dead, registered;
};

struct hdr {
    size_t name, value; /* offsets into the response's hbuf */
};

struct cio_http_response_s {
    uint32_t magic;
    cio_http_session_t *s;      /* while the transfer runs, else NULL */
    CURL *easy;                 /* idem */
    struct cio_http_response_s *prev, *next; /* the session's running transfers */
    struct curl_slist *hlist;   /* the request's headers (NULL: the session's) */
    int body_fd;                /* body_file, or -1 */
    cio_http_body_fn *body_fn;
    void *body_ud;
    struct cio__task *waiter;   /* a task in request or a read */
    uint8_t head_done;          /* the final head has arrived */
    uint8_t done;               /* the transfer has ended (rc says how) */
    uint8_t paused;             /* the write callback paused curl */
    uint8_t collect;            /* a read of the whole body: no allowance */
    uint8_t follow;             /* redirects are followed */
    uint8_t custom;             /* the easy handle has request options beyond a GET's */
    int rc;                     /* the transfer's outcome: 0 or a code */
    int status;
    int version;
    char *reason, *url, *error;
    char *hbuf;                 /* header names and values, NUL-terminated */
    size_t hlen, hcap;
    struct hdr *hdrs;
    size_t nhdrs, hdrcap;
    uint8_t block_location;     /* the head being read has a Location */
    char *buf;                  /* body bytes not read yet: buf[off .. off+len) */
    size_t off, len, cap;
    size_t allowance;           /* bytes buffered before curl is paused */
    size_t allowance0;          /* ... when no read asks for more */
    size_t max;                 /* the largest body (0: none) */
    uint64_t received;          /* body bytes curl delivered */
    char errbuf[CURL_ERROR_SIZE];
};

struct cio_http_session_s {
    uint32_t magic;
    cio_loop_t *loop;
    CURLM *multi;               /* NULL once closed */
    struct cio__timer timer;    /* curl's timeout */
    struct cio__cb kick;        /* ... in the next iteration when the timer could not be armed */
    uint8_t kick_queued, zombie; /* zombie: freed, the memory waits for the kick to run */
    struct hsock *socks;        /* sockets watched */
    struct hsock *spare;        /* made in advance: curl's socket callback must not fail */
    size_t nsocks, nspare;
    long max_total;
    struct cio_http_response_s *live; /* transfers in the multi handle */
    size_t nlive;
    int closed;
    struct cio__task *closer;   /* a task in close, waiting for nlive == 0 */
    long connects;
    long timeout_ms, connect_ms;
    int max_redirects, insecure, http1_only, no_decompress;
    size_t read_buffer;
    struct curl_slist *headers; /* default headers, and "Expect:" (no 100-continue wait) */
    CURL *idle[64];             /* easy handles of ended transfers, reset, for the next ones */
    int nidle;
    char *user_agent, *ca_file, *client_cert, *client_key, *proxy, *no_proxy;
};

/* --------------------------------------------------------------- helpers */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;
static void curl_init(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int cio_http_available(void)
{
    return 1;
}

static int map_curl(CURLcode c)
{
    switch (c) {
    case CURLE_OK: return 0;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY: return CIO_ENONAME;
    case CURLE_COULDNT_CONNECT: return -ECONNREFUSED;
    case CURLE_OPERATION_TIMEDOUT: return -ETIMEDOUT;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH: return CIO_ETLSVERIFY;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE: return CIO_ETLS;
    case CURLE_TOO_MANY_REDIRECTS: return CIO_EREDIRECTS;
    case CURLE_FILESIZE_EXCEEDED: return CIO_EBODYSIZE;
    case CURLE_URL_MALFORMAT: return -EINVAL;
    case CURLE_UNSUPPORTED_PROTOCOL: return -EPROTONOSUPPORT;
    case CURLE_OUT_OF_MEMORY: return -ENOMEM;
    case CURLE_PARTIAL_FILE: return CIO_EINCOMPLETE;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING: return -ECONNRESET;
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_BAD_CONTENT_ENCODING: return -EPROTO;
    default: return CIO_EHTTP;
    }
}

/* Seconds to curl's milliseconds: 0 stays 0 (curl: none), INFINITY is 0. */
static int secs_to_ms(double secs, long *ms)
{
    if (secs != secs || secs < 0)
        return -EINVAL;
    if (isinf(secs) || secs == 0) {
        *ms = 0;
        return 0;
    }
    double m = ceil(secs * 1000.0);
    *ms = m >= (double)LONG_MAX ? LONG_MAX : (m < 1 ? 1 : (long)m);
    return 0;
}

/* A "Name: value" line fit to send: no CR, LF or NUL injection, a name. */
static int header_ok(const char *h)
{
    if (!h)
        return 0;
    const char *colon = strchr(h, ':');
    if (!colon || colon == h)
        return 0;
    for (const char *p = h; *p; p++) {
        if (*p == '\r' || *p == '\n')
            return 0;
        if (p < colon && (*p == ' ' || *p == '\t' || (unsigned char)*p < 0x21 || *p == 0x7f))
            return 0;
    }
    return 1;
}

static int has_header(const struct curl_slist *l, const char *name)
{
    size_t n = strlen(name);
    for (; l; l = l->next)
        if (strncasecmp(l->data, name, n) == 0 && l->data[n] == ':')
            return 1;
    return 0;
}

static int method_ok(const char *m)
{
    if (!*m || strlen(m) > 32)
        return 0;
    for (const char *p = m; *p; p++)
        if (!(('A' <= *p && *p <= 'Z') || ('a' <= *p && *p <= 'z') || ('0' <= *p && *p <= '9') ||
              strchr("!#$%&'*+-.^_`|~", *p)))
            return 0;
    return 1;
}

static int dup_opt(const char *src, char **dst)
{
    *dst = NULL;
    if (!src)
        return 0;
    return (*dst = cio__strdup(src)) ? 0 : -ENOMEM;
}

/* The caller's loop must be the session's; from a task when task is set. */
static int sess_check(cio_http_session_t *s, int task)
{
    if (!s || s->magic != HTTP_SESSION_MAGIC)
        return -EINVAL;
    if (cio__tls.running != s->loop)
        return cio__tls.running ? CIO_EWRONGLOOP : CIO_ENOLOOP;
    if (task && !cio__tls.task)
        return CIO_ENOTASK;
    return 0;
}

/* ------------------------------------------------------ the loop's side */

static void collect_done(cio_http_session_t *s);
static int head_complete(struct cio_http_response_s *r);

static void socket_action(cio_http_session_t *s, curl_socket_t fd, int ev)
{
    int running;
    if (!s->multi)
        return;
    curl_multi_socket_action(s->multi, fd, ev, &running);
    collect_done(s);
}

static void hsock_release(cio_http_session_t *s, struct hsock *h)
{
    if (h->registered)
        cio__io_del(s->loop, &h->io);
    h->registered = 0;
    if (h->prev)
        h->prev->next = h->next;
    else
        s->socks = h->next;
    if (h->next)
        h->next->prev = h->prev;
    s->nsocks--;
    if (h->queued) {
        h->dead = 1; /* freed when its queued callback runs */
    } else if (s->multi && s->nspare < s->nsocks + 4) {
        h->next = s->spare;
        s->spare = h;
        s->nspare++;
    } else {
        cio__free(h);
    }
}

/* Spares for every socket curl may open next: 0 or -ENOMEM. */
static int hsock_reserve(cio_http_session_t *s)
{
    size_t want = (s->nlive + 1 < (size_t)s->max_total ? s->nlive + 1 : (size_t)s->max_total) + 2;
    while (s->nsocks + s->nspare < want) {
        struct hsock *h = cio__malloc(sizeof *h);
        if (!h)
            return -ENOMEM;
        h->next = s->spare;
        s->spare = h;
        s->nspare++;
    }
    return 0;
}

static void hsock_run(struct cio__cb *cb)
{
    struct hsock *h = cio__container_of(cb, struct hsock, cb);
    h->queued = 0;
    if (h->dead) {
        cio__free(h);
        return;
    }
    uint32_t ev = h->pending;
    h->pending = 0;
    int flags = 0;
    if (ev & CIO__IO_READ)
        flags |= CURL_CSELECT_IN;
    if (ev & CIO__IO_WRITE)
        flags |= CURL_CSELECT_OUT;
    if (ev & CIO__IO_ERROR)
        flags |= CURL_CSELECT_ERR;
    socket_action(h->s, h->io.fd, flags);
}

static void hsock_event(struct cio__io *io, uint32_t ev)
{
    struct hsock *h = cio__container_of(io, struct hsock, io);
    h->pending |= ev;
    if (!h->queued && !h->dead) {
        h->queued = 1;
        cio__loop_schedule(h->s->loop, &h->cb);
    }
}

/* CURLMOPT_SOCKETFUNCTION: watch fd for what curl wants, or forget it. */
static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    cio_http_session_t *s = userp;
    struct hsock *h = socketp;
    if (what == CURL_POLL_REMOVE) {
        if (!h)
            return 0;
        if (s->multi)
            curl_multi_assign(s->multi, fd, NULL);
        hsock_release(s, h);
        return 0;
    }
    if (!h) {
        /* Never -1: curl 7.88 takes a failed socket callback badly.  The
         * spares make running out all but impossible; if it happens, the
         * socket goes unwatched and the transfer ends by its timeouts. */
        if ((h = s->spare)) {
            s->spare = h->next;
            s->nspare--;
        } else if (!(h = cio__malloc(sizeof *h))) {
            return 0;
        }
        *h = (struct hsock){.io = {.fd = fd, .cb = hsock_event}, .cb = {.run = hsock_run}, .s = s};
        h->next = s->socks;
        if (s->socks)
            s->socks->prev = h;
        s->socks = h;
        s->nsocks++;
        if (s->multi)
            curl_multi_assign(s->multi, fd, h);
    }
    uint32_t want = ((what & CURL_POLL_IN) ? CIO__IO_READ : 0) | ((what & CURL_POLL_OUT) ? CIO__IO_WRITE : 0);
    h->io.events = want;
    int rc;
    if (!want) {
        if (h->registered)
            cio__io_del(s->loop, &h->io);
        h->registered = 0;
        return 0;
    }
    if (h->registered) {
        rc = cio__io_mod(s->loop, &h->io);
    } else {
        rc = cio__io_add(s->loop, &h->io);
        h->registered = rc == 0;
    }
    return 0; /* a failed registration: as above */
}

static void timer_fire(struct cio__timer *t)
{
    cio_http_session_t *s = cio__container_of(t, cio_http_session_t, timer);
    socket_action(s, CURL_SOCKET_TIMEOUT, 0);
}

static void kick_run(struct cio__cb *cb)
{
    cio_http_session_t *s = cio__container_of(cb, cio_http_session_t, kick);
    s->kick_queued = 0;
    if (s->zombie)
        cio__free(s);
    else
        socket_action(s, CURL_SOCKET_TIMEOUT, 0);
}

/* CURLMOPT_TIMERFUNCTION: one timer, moved or dropped (-1). */
static int on_timer(CURLM *multi, long ms, void *userp)
{
    cio_http_session_t *s = userp;
    if (!s->multi)
        return 0; /* shutting down */
    cio__heap_remove(&s->loop->timers, &s->timer);
    if (ms < 0)
        return 0;
    if (cio__heap_reserve(&s->loop->timers, 1) < 0) {
        /* No room for the timer: curl looks at its timeouts in the next
         * iteration instead (early is harmless; it sets the timer again). */
        if (!s->kick_queued) {
            s->kick_queued = 1;
            cio__loop_schedule(s->loop, &s->kick);
        }
        return 0;
    }
    s->timer.when = cio__now_ns() + (int64_t)ms * 1000000;
    cio__heap_push(&s->loop->timers, &s->timer);
    return 0;
}

static void resp_wake(struct cio_http_response_s *r)
{
    struct cio__task *t = r->waiter;
    if (t) {
        r->waiter = NULL;
        cio__task_wake(t, 0);
    }
}

static int easy_setup(cio_http_session_t *s, CURL *e);

/* An easy handle back to the session's pool (or freed).  One that only made
 * a GET keeps its options (the next request sets its own on top); another
 * is reset and set up for the session again. */
static void easy_put(cio_http_session_t *s, CURL *e, int custom)
{
    if (s->multi && s->nidle < (int)(sizeof s->idle / sizeof *s->idle)) {
        if (custom) {
            curl_easy_reset(e);
            if (easy_setup(s, e) < 0) {
                curl_easy_cleanup(e);
                return;
            }
        }
        s->idle[s->nidle++] = e;
    } else {
        curl_easy_cleanup(e);
    }
}

/* Take the transfer out of the multi handle and free its easy handle, with
 * whatever it can still tell about the response.  Never from inside a curl
 * callback. */
static void resp_detach(struct cio_http_response_s *r)
{
    cio_http_session_t *s = r->s;
    if (!s)
        return;
    if (r->easy) {
        if (!r->url) {
            char *u = NULL;
            if (curl_easy_getinfo(r->easy, CURLINFO_EFFECTIVE_URL, &u) == CURLE_OK && u)
                r->url = cio__strdup(u);
        }
        if (s->multi)
            curl_multi_remove_handle(s->multi, r->easy);
        easy_put(s, r->easy, r->custom);
        r->easy = NULL;
    }
    curl_slist_free_all(r->hlist);
    r->hlist = NULL;
    if (r->body_fd >= 0)
        close(r->body_fd);
    r->body_fd = -1;
    if (r->prev)
        r->prev->next = r->next;
    else
        s->live = r->next;
    if (r->next)
        r->next->prev = r->prev;
    r->prev = r->next = NULL;
    r->s = NULL;
    r->done = 1;
    r->paused = 0;
    if (--s->nlive == 0 && s->closer) {
        struct cio__task *t = s->closer;
        s->closer = NULL;
        cio__task_wake(t, 0);
    }
}

/* The transfer ends with rc (0 or a failure) and message msg. */
static void resp_fail(struct cio_http_response_s *r, int rc, const char *msg)
{
    if (!r->rc)
        r->rc = rc;
    if (r->rc && !r->error) {
        if (!msg || !*msg)
            msg = cio_strerror(r->rc);
        r->error = cio__strdup(msg);
    }
}

static void resp_finish(struct cio_http_response_s *r, CURLcode res)
{
    if (res != CURLE_OK)
        resp_fail(r, map_curl(res), r->errbuf[0] ? r->errbuf : curl_easy_strerror(res));
    if (!r->head_done && !r->rc) { /* a body-less answer whose head's end we took for a redirect's */
        long code = 0;
        curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &code);
        r->status = (int)code;
        if (head_complete(r) < 0)
            resp_fail(r, -ENOMEM, "out of memory for the response");
    }
    resp_detach(r);
    resp_wake(r);
}

static void collect_done(cio_http_session_t *s)
{
    CURLMsg *msg;
    int left;
    while (s->multi && (msg = curl_multi_info_read(s->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        CURLcode res = msg->data.result;
        struct cio_http_response_s *r = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
        resp_finish(r, res);
    }
}

/* --------------------------------------------------------- curl's calls */

static int hbuf_add(struct cio_http_response_s *r, const char *p, size_t n, size_t *off)
{
    if (r->hlen + n + 1 > r->hcap) {
        size_t cap = r->hcap ? r->hcap : 512;
        while (cap < r->hlen + n + 1)
            cap *= 2;
        char *b = cio__realloc(r->hbuf, cap);
        if (!b)
            return -ENOMEM;
        r->hbuf = b;
        r->hcap = cap;
    }
    memcpy(r->hbuf + r->hlen, p, n);
    r->hbuf[r->hlen + n] = '\0';
    *off = r->hlen;
    r->hlen += n + 1;
    return 0;
}

/* The final head has arrived: what curl knows of it, and the requester woken. */
static int head_complete(struct cio_http_response_s *r)
{
    r->head_done = 1;
    char *u = NULL;
    if (curl_easy_getinfo(r->easy, CURLINFO_EFFECTIVE_URL, &u) == CURLE_OK && u) {
        cio__free(r->url);
        if (!(r->url = cio__strdup(u)))
            return -ENOMEM;
    }
    long v = 0;
    curl_easy_getinfo(r->easy, CURLINFO_HTTP_VERSION, &v);
    r->version = v == CURL_HTTP_VERSION_1_0 ? 10 : v == CURL_HTTP_VERSION_2_0 ? 20 : v == CURL_HTTP_VERSION_3 ? 30 : 11;
    resp_wake(r);
    return 0;
}

static int head_line(struct cio_http_response_s *r, const char *line, size_t n)
{
    if (r->head_done)
        return 0; /* trailers: the headers handed out stay as they are */
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        n--;
    if (n >= 5 && memcmp(line, "HTTP/", 5) == 0) { /* a new answer's status line */
        r->nhdrs = 0;
        r->hlen = 0;
        r->block_location = 0;
        const char *sp = memchr(line, ' ', n);
        int code = 0;
        const char *p = sp ? sp + 1 : line + n;
        while (p < line + n && *p >= '0' && *p <= '9' && code < 1000)
            code = code * 10 + (*p++ - '0');
        while (p < line + n && *p == ' ')
            p++;
        r->status = code;
        size_t off;
        if (hbuf_add(r, p, (size_t)(line + n - p), &off) < 0)
            return -ENOMEM;
        cio__free(r->reason);
        if (!(r->reason = cio__strdup(r->hbuf + off)))
            return -ENOMEM;
        r->hlen = 0;
        return 0;
    }
    if (n == 0) { /* the head's end: the final one, or one curl goes past? */
        if (r->status >= 100 && r->status < 200)
            return 0;
        if (r->follow && r->block_location &&
            (r->status == 301 || r->status == 302 || r->status == 303 || r->status == 307 || r->status == 308))
            return 0;
        return head_complete(r);
    }
    if (line[0] == ' ' || line[0] == '\t')
        return 0; /* an obsolete folded continuation: dropped */
    const char *colon = memchr(line, ':', n);
    if (!colon)
        return 0;
    const char *v = colon + 1, *end = line + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    if (r->nhdrs == r->hdrcap) {
        size_t cap = r->hdrcap ? r->hdrcap * 2 : 16;
        struct hdr *a = cio__realloc(r->hdrs, cap * sizeof *a);
        if (!a)
            return -ENOMEM;
        r->hdrs = a;
        r->hdrcap = cap;
    }
    struct hdr h;
    if (hbuf_add(r, line, (size_t)(colon - line), &h.name) < 0 || hbuf_add(r, v, (size_t)(end - v), &h.value) < 0)
        return -ENOMEM;
    r->hdrs[r->nhdrs++] = h;
    if (colon - line == 8 && strncasecmp(line, "location", 8) == 0)
        r->block_location = 1;
    return 0;
}

static size_t on_header(char *data, size_t size, size_t n, void *ud)
{
    struct cio_http_response_s *r = ud;
    int rc = head_line(r, data, n);
    if (rc < 0) {
        resp_fail(r, rc, "out of memory for the response's headers");
        return 0;
    }
    return n;
}

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
    struct cio_http_response_s *r = ud;
    if (r->rc)
        return 0;
    if (!r->head_done && head_complete(r) < 0) { /* a body after a head we waited past */
        resp_fail(r, -ENOMEM, "out of memory for the response");
        return 0;
    }
    if (r->max && r->received + n > r->max) {
        resp_fail(r, CIO_EBODYSIZE, "the body is larger than the maximum");
        return 0;
    }
    if (!r->collect && r->len >= r->allowance && n) {
        r->paused = 1;
        return CURL_WRITEFUNC_PAUSE;
    }
    if (r->off + r->len + n > r->cap) {
        if (r->off) { /* slide the unread part down first */
            memmove(r->buf, r->buf + r->off, r->len);
            r->off = 0;
        }
        if (r->len + n > r->cap) {
            size_t cap = r->cap ? r->cap : 4096;
            while (cap < r->len + n + 1)
                cap *= 2;
            char *b = cio__realloc(r->buf, cap);
            if (!b) {
                resp_fail(r, -ENOMEM, "out of memory for the body");
                return 0;
            }
            r->buf = b;
            r->cap = cap;
        }
    }
    memcpy(r->buf + r->off + r->len, data, n);
    r->len += n;
    r->received += n;
    resp_wake(r);
    return n;
}

static size_t on_read(char *buf, size_t size, size_t n, void *ud)
{
    struct cio_http_response_s *r = ud;
    if (r->body_fd >= 0) {
        ssize_t k;
        do
            k = read(r->body_fd, buf, n);
        while (k < 0 && errno == EINTR);
        if (k < 0) {
            resp_fail(r, -errno, "reading the body's file");
            return CURL_READFUNC_ABORT;
        }
        return (size_t)k;
    }
    ssize_t k = r->body_fn(r->body_ud, buf, n);
    if (k < 0 || (size_t)k > n) {
        resp_fail(r, k < 0 ? (int)k : -EINVAL, "the body callback failed");
        return CURL_READFUNC_ABORT;
    }
    return (size_t)k;
}

static int on_sockopt(void *ud, curl_socket_t fd, curlsocktype purpose)
{
    cio_http_session_t *s = ud;
    s->connects++;
    return CURL_SOCKOPT_OK;
}

/* ------------------------------------------------------------- sessions */

long cio_http_session_connections(cio_http_session_t *s)
{
    if (!s || s->magic != HTTP_SESSION_MAGIC)
        return -EINVAL;
    return s->connects;
}

static void sess_free_parts(cio_http_session_t *s)
{
    curl_slist_free_all(s->headers);
    cio__free(s->user_agent);
    cio__free(s->ca_file);
    cio__free(s->client_cert);
    cio__free(s->client_key);
    cio__free(s->proxy);
    cio__free(s->no_proxy);
}

int cio_http_session_new(const cio_http_session_opts_t *opts, cio_http_session_t **out)
{
    static const cio_http_session_opts_t defaults;
    if (!out)
        return -EINVAL;
    *out = NULL;
    if (!opts)
        opts = &defaults;
    int rc;
    cio_loop_t *loop = cio__running_loop(&rc);
    if (!loop)
        return rc;
    if (opts->max_connections < 0 || opts->max_per_host < 0 || opts->max_redirects < 0)
        return -EINVAL;
    long tmo, cto;
    if ((rc = secs_to_ms(opts->timeout, &tmo)) < 0 || (rc = secs_to_ms(opts->connect_timeout, &cto)) < 0)
        return rc;
    for (const char *const *h = opts->headers; h && *h; h++)
        if (!header_ok(*h))
            return -EINVAL;
    pthread_once(&curl_once, curl_init);
    if (curl_init_rc != CURLE_OK)
        return -ENOMEM;
    cio_http_session_t *s = cio__calloc(sizeof *s);
    if (!s)
        return -ENOMEM;
    s->loop = loop;
    s->timer.idx = CIO__TIMER_NONE;
    s->timer.fire = timer_fire;
    s->kick.run = kick_run;
    s->timeout_ms = tmo;
    s->connect_ms = cto ? cto : 30000;
    s->max_redirects = opts->max_redirects;
    s->insecure = opts->insecure;
    s->http1_only = opts->http1_only;
    s->no_decompress = opts->no_decompress;
    s->read_buffer = opts->read_buffer ? opts->read_buffer : 65536;
    rc = -ENOMEM;
    for (const char *const *h = opts->headers; h && *h; h++) {
        struct curl_slist *l = curl_slist_append(s->headers, *h);
        if (!l)
            goto fail;
        s->headers = l;
    }
    if (!has_header(s->headers, "Expect")) { /* as aiohttp: no 100-continue wait */
        struct curl_slist *l = curl_slist_append(s->headers, "Expect:");
        if (!l)
            goto fail;
        s->headers = l;
    }
    char ua[48];
    snprintf(ua, sizeof ua, "cio/%s", cio_version());
    if (dup_opt(opts->user_agent ? opts->user_agent : ua, &s->user_agent) < 0 ||
        dup_opt(opts->ca_file, &s->ca_file) < 0 || dup_opt(opts->client_cert, &s->client_cert) < 0 ||
        dup_opt(opts->client_key, &s->client_key) < 0 || dup_opt(opts->proxy, &s->proxy) < 0 ||
        dup_opt(opts->no_proxy, &s->no_proxy) < 0)
        goto fail;
    if (!(s->multi = curl_multi_init()))
        goto fail;
    long total = opts->max_connections ? opts->max_connections : 100;
    s->max_total = total;
    curl_multi_setopt(s->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(s->multi, CURLMOPT_SOCKETDATA, s);
    curl_multi_setopt(s->multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(s->multi, CURLMOPT_TIMERDATA, s);
    curl_multi_setopt(s->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, total);
    curl_multi_setopt(s->multi, CURLMOPT_MAXCONNECTS, total);
    if (opts->max_per_host)
        curl_multi_setopt(s->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)opts->max_per_host);
    curl_multi_setopt(s->multi, CURLMOPT_PIPELINING, s->http1_only ? CURLPIPE_NOTHING : CURLPIPE_MULTIPLEX);
    s->magic = HTTP_SESSION_MAGIC;
    *out = s;
    return 0;
fail:
    sess_free_parts(s);
    cio__free(s);
    return rc;
}

/* End every transfer now: its waiter sees err. */
static void abort_all(cio_http_session_t *s, int err)
{
    while (s->live) {
        struct cio_http_response_s *r = s->live;
        resp_fail(r, err, "the session was closed");
        resp_detach(r);
        resp_wake(r);
    }
}

static void sess_shutdown(cio_http_session_t *s)
{
    abort_all(s, CIO_ECLOSED);
    if (s->multi) {
        CURLM *m = s->multi;
        s->multi = NULL;
        curl_multi_cleanup(m); /* removes its sockets through on_socket */
    }
    cio__heap_remove(&s->loop->timers, &s->timer);
    while (s->socks) /* those curl did not hand back */
        hsock_release(s, s->socks);
    while (s->nidle)
        curl_easy_cleanup(s->idle[--s->nidle]);
    while (s->spare) {
        struct hsock *h = s->spare;
        s->spare = h->next;
        cio__free(h);
    }
    s->nspare = 0;
}

static int close_cancel(struct cio__task *t)
{
    cio_http_session_t *s = t->wait->obj;
    if (s->closer != t)
        return 0;
    s->closer = NULL;
    cio__task_wake(t, -ECANCELED);
    return 1;
}

int cio_http_session_close(cio_http_session_t *s, int how)
{
    int rc = sess_check(s, 1);
    if (rc < 0)
        return rc;
    if (how != CIO_HTTP_WAIT && how != CIO_HTTP_CANCEL)
        return -EINVAL;
    if (s->closed == 2 || s->closer)
        return s->closed == 2 ? 0 : CIO_EINVALSTATE;
    s->closed = 1;
    if (how == CIO_HTTP_WAIT && s->nlive) {
        struct cio__task *t = cio__tls.task;
        s->closer = t;
        rc = cio__task_suspend(t, close_cancel, s);
        s->closer = NULL;
    }
    sess_shutdown(s);
    s->closed = 2;
    return rc < 0 ? rc : 0;
}

void cio_http_session_free(cio_http_session_t *s)
{
    if (!s || s->magic != HTTP_SESSION_MAGIC)
        return;
    sess_shutdown(s);
    sess_free_parts(s);
    s->magic = CIO__MAGIC_DEAD;
    if (s->kick_queued)
        s->zombie = 1; /* kick_run frees it */
    else
        cio__free(s);
}

/* ------------------------------------------------------------- requests */

static int resp_cancel(struct cio__task *t)
{
    struct cio_http_response_s *r = t->wait->obj;
    if (r->waiter != t)
        return 0;
    r->waiter = NULL;
    cio__task_wake(t, -ECANCELED);
    return 1;
}

/* Wait for the transfer's next step; -ECANCELED ends the transfer. */
static int resp_wait(struct cio_http_response_s *r)
{
    struct cio__task *t = cio__tls.task;
    r->waiter = t;
    int rc = cio__task_suspend(t, resp_cancel, r);
    if (r->waiter == t)
        r->waiter = NULL;
    if (rc == -ECANCELED && !r->done) {
        resp_fail(r, -ECANCELED, "cancelled");
        resp_detach(r);
    }
    return rc;
}

static void resp_free(struct cio_http_response_s *r)
{
    resp_detach(r);
    curl_slist_free_all(r->hlist); /* a request that failed before its transfer began */
    cio__free(r->reason);
    cio__free(r->url);
    cio__free(r->error);
    cio__free(r->hbuf);
    cio__free(r->hdrs);
    cio__free(r->buf);
    r->magic = CIO__MAGIC_DEAD;
    cio__free(r);
}

void cio_http_response_free(cio_http_response_t *r)
{
    if (!r || r->magic != HTTP_RESPONSE_MAGIC)
        return;
    resp_free(r);
}

#define SET(opt, val)                                          \
    do {                                                       \
        if (curl_easy_setopt(e, opt, val) == CURLE_OUT_OF_MEMORY) \
            goto nomem;                                        \
    } while (0)

/* The session's options on a new or reset easy handle: 0 or -ENOMEM. */
static int easy_setup(cio_http_session_t *s, CURL *e)
{
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_HEADERFUNCTION, on_header);
    SET(CURLOPT_WRITEFUNCTION, on_body);
    SET(CURLOPT_SOCKOPTFUNCTION, on_sockopt);
    SET(CURLOPT_SOCKOPTDATA, s);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    if (s->max_redirects > 0) {
        SET(CURLOPT_FOLLOWLOCATION, 1L);
        SET(CURLOPT_MAXREDIRS, (long)s->max_redirects);
    }
    SET(CURLOPT_USERAGENT, s->user_agent);
    if (!s->no_decompress)
        SET(CURLOPT_ACCEPT_ENCODING, "");
    if (s->http1_only)
        SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    else
        SET(CURLOPT_PIPEWAIT, 1L);
    if (s->insecure) {
        SET(CURLOPT_SSL_VERIFYPEER, 0L);
        SET(CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (s->ca_file)
        SET(CURLOPT_CAINFO, s->ca_file);
    if (s->client_cert)
        SET(CURLOPT_SSLCERT, s->client_cert);
    if (s->client_key)
        SET(CURLOPT_SSLKEY, s->client_key);
    if (s->proxy)
        SET(CURLOPT_PROXY, s->proxy);
    if (s->no_proxy)
        SET(CURLOPT_NOPROXY, s->no_proxy);
    return 0;
nomem:
    return -ENOMEM;
}

/* The URL with the query parameters, checked: 0, -EINVAL, -EPROTONOSUPPORT,
 * -ENOMEM; *url is curl's (curl_free). */
static int build_url(const cio_http_request_t *req, char **url)
{
    *url = NULL;
    if (!req->params || !*req->params) {
        /* The common case, without parsing it twice: the scheme checked
         * here, the rest by curl before anything is sent (a malformed URL
         * fails the transfer with -EINVAL). */
        const char *sep = strstr(req->url, "://");
        if (!sep || sep == req->url || strpbrk(req->url, " \t\r\n"))
            return -EINVAL;
        size_t n = (size_t)(sep - req->url);
        if (!((n == 4 && strncasecmp(req->url, "http", 4) == 0) || (n == 5 && strncasecmp(req->url, "https", 5) == 0)))
            return strspn(req->url, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-") == n
                       ? -EPROTONOSUPPORT
                       : -EINVAL;
        return 0;
    }
    CURLU *u = curl_url();
    if (!u)
        return -ENOMEM;
    int rc = 0;
    CURLUcode uc = curl_url_set(u, CURLUPART_URL, req->url, 0);
    if (uc == CURLUE_OUT_OF_MEMORY)
        rc = -ENOMEM;
    else if (uc != CURLUE_OK)
        rc = uc == CURLUE_UNSUPPORTED_SCHEME ? -EPROTONOSUPPORT : -EINVAL;
    char *scheme = NULL;
    if (rc == 0) {
        uc = curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
        if (uc != CURLUE_OK)
            rc = uc == CURLUE_OUT_OF_MEMORY ? -ENOMEM : -EINVAL;
        else if (strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0)
            rc = -EPROTONOSUPPORT;
        curl_free(scheme);
    }
    for (const char *const *p = req->params; rc == 0 && p && *p; p += 2) {
        if (!p[1]) {
            rc = -EINVAL; /* a key without its value */
            break;
        }
        size_t n = strlen(p[0]) + strlen(p[1]) + 2;
        char *kv = cio__malloc(n);
        if (!kv) {
            rc = -ENOMEM;
            break;
        }
        snprintf(kv, n, "%s=%s", p[0], p[1]);
        uc = curl_url_set(u, CURLUPART_QUERY, kv, CURLU_APPENDQUERY | CURLU_URLENCODE);
        cio__free(kv);
        if (uc != CURLUE_OK)
            rc = uc == CURLUE_OUT_OF_MEMORY ? -ENOMEM : -EINVAL;
    }
    char *str = NULL;
    if (rc == 0 && (uc = curl_url_get(u, CURLUPART_URL, &str, 0)) != CURLUE_OK)
        rc = uc == CURLUE_OUT_OF_MEMORY ? -ENOMEM : -EINVAL;
    curl_url_cleanup(u);
    *url = str;
    return rc;
}

static int check_request(const cio_http_request_t *req, long *tmo, long *cto)
{
    if (!req->url)
        return -EINVAL;
    if (req->method && !method_ok(req->method))
        return -EINVAL;
    for (const char *const *h = req->headers; h && *h; h++)
        if (!header_ok(*h))
            return -EINVAL;
    int bodies = (req->body != NULL) + (req->body_file != NULL) + (req->body_fn != NULL);
    if (bodies > 1 || (!req->body && req->body_len))
        return -EINVAL;
    if (req->body_len > (uint64_t)INT64_MAX || req->body_fn_size < -1)
        return req->body_fn_size < -1 ? -EINVAL : -EOVERFLOW;
    int rc = secs_to_ms(req->timeout, tmo);
    if (rc == 0)
        rc = secs_to_ms(req->connect_timeout, cto);
    if (rc == 0 && isinf(req->timeout))
        *tmo = -1; /* none, over the session's */
    return rc;
}

int cio_http_request(cio_http_session_t *s, const cio_http_request_t *req, cio_http_response_t **out)
{
    if (out)
        *out = NULL;
    int rc = sess_check(s, 1);
    if (rc < 0)
        return rc;
    if (!req || !out)
        return -EINVAL;
    if (s->closed)
        return CIO_ECLOSED;
    long tmo, cto;
    if ((rc = check_request(req, &tmo, &cto)) < 0)
        return rc;
    char *url = NULL;
    if ((rc = build_url(req, &url)) < 0)
        return rc;
    struct cio_http_response_s *r = cio__calloc(sizeof *r);
    if (!r) {
        curl_free(url);
        return -ENOMEM;
    }
    r->magic = HTTP_RESPONSE_MAGIC;
    r->body_fd = -1;
    r->allowance = r->allowance0 = s->read_buffer;
    r->max = req->max_body;
    r->follow = s->max_redirects > 0;
    CURL *e = NULL;
    struct stat st;
    if (req->body_file) {
        if ((r->body_fd = open(req->body_file, O_RDONLY | O_CLOEXEC)) < 0 || fstat(r->body_fd, &st) < 0) {
            rc = -errno;
            goto out;
        }
        if (!S_ISREG(st.st_mode)) {
            rc = -EINVAL;
            goto out;
        }
    }
    rc = -ENOMEM;
    if (s->nidle) { /* configured for the session, and for a plain GET */
        e = s->idle[--s->nidle];
    } else {
        if (!(e = curl_easy_init()))
            goto out;
        if (easy_setup(s, e) < 0)
            goto nomem;
    }
    SET(CURLOPT_URL, url ? url : req->url); /* copied */
    SET(CURLOPT_PRIVATE, (char *)r);
    SET(CURLOPT_ERRORBUFFER, r->errbuf);
    SET(CURLOPT_HEADERDATA, r);
    SET(CURLOPT_WRITEDATA, r);
    long total = tmo < 0 ? 0 : tmo ? tmo : s->timeout_ms;
    SET(CURLOPT_TIMEOUT_MS, total);
    SET(CURLOPT_CONNECTTIMEOUT_MS, cto ? cto : s->connect_ms);
    SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)r->max);
    if (req->headers && *req->headers) { /* the session's, then the request's */
        int own_expect = 0;
        for (const char *const *h = req->headers; *h; h++)
            own_expect |= strncasecmp(*h, "Expect:", 7) == 0;
        for (struct curl_slist *l = s->headers; l; l = l->next) {
            if (own_expect && strcmp(l->data, "Expect:") == 0)
                continue;
            struct curl_slist *n = curl_slist_append(r->hlist, l->data);
            if (!n)
                goto out;
            r->hlist = n;
        }
        for (const char *const *h = req->headers; *h; h++) {
            struct curl_slist *n = curl_slist_append(r->hlist, *h);
            if (!n)
                goto out;
            r->hlist = n;
        }
    }
    SET(CURLOPT_HTTPHEADER, r->hlist ? r->hlist : s->headers);
    const char *method = req->method;
    int has_body = req->body || req->body_file || req->body_fn;
    r->custom = has_body || method;
    if (req->body) {
        SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
        SET(CURLOPT_COPYPOSTFIELDS, (const char *)req->body);
    } else if (has_body) {
        r->body_fn = req->body_fn;
        r->body_ud = req->body_ud;
        SET(CURLOPT_POST, 1L);
        SET(CURLOPT_READFUNCTION, on_read);
        SET(CURLOPT_READDATA, r);
        SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(req->body_file ? st.st_size : req->body_fn_size));
    }
    if (method && strcmp(method, "HEAD") == 0)
        SET(CURLOPT_NOBODY, 1L);
    else if (method && strcmp(method, has_body ? "POST" : "GET") != 0)
        SET(CURLOPT_CUSTOMREQUEST, method);
    curl_free(url);
    url = NULL;
    if ((rc = hsock_reserve(s)) < 0)
        goto out;
    r->easy = e;
    CURLMcode mc = curl_multi_add_handle(s->multi, e);
    if (mc != CURLM_OK) {
        r->easy = NULL;
        rc = mc == CURLM_OUT_OF_MEMORY ? -ENOMEM : CIO_EHTTP;
        goto out;
    }
    r->s = s;
    r->next = s->live;
    if (s->live)
        s->live->prev = r;
    s->live = r;
    s->nlive++;
    while (!r->head_done && !r->done)
        if ((rc = resp_wait(r)) < 0)
            break;
    if (rc == 0 && r->rc && !r->head_done)
        rc = r->rc;
    if (rc < 0) {
        if (rc != -ECANCELED)
            cio_fail(rc, "%s", r->error ? r->error : cio_strerror(rc));
        resp_free(r);
        return rc;
    }
    *out = r;
    return 0;
nomem:
    rc = -ENOMEM;
out:
    curl_free(url);
    if (e)
        easy_put(s, e, 1); /* its options are anyone's guess */
    curl_slist_free_all(r->hlist);
    r->hlist = NULL;
    if (r->body_fd >= 0)
        close(r->body_fd);
    r->body_fd = -1;
    resp_free(r);
    return rc;
}

int cio_http_get(cio_http_session_t *s, const char *url, cio_http_response_t **out)
{
    cio_http_request_t req = {.url = url};
    return cio_http_request(s, url ? &req : NULL, out);
}

/* ------------------------------------------------------------ responses */

static int resp_ok(cio_http_response_t *r)
{
    return r && r->magic == HTTP_RESPONSE_MAGIC;
}

int cio_http_response_status(cio_http_response_t *r)
{
    return resp_ok(r) ? r->status : -EINVAL;
}
const char *cio_http_response_reason(cio_http_response_t *r)
{
    return resp_ok(r) ? (r->reason ? r->reason : "") : NULL;
}
int cio_http_response_version(cio_http_response_t *r)
{
    return resp_ok(r) ? r->version : -EINVAL;
}
const char *cio_http_response_url(cio_http_response_t *r)
{
    return resp_ok(r) ? r->url : NULL;
}
const char *cio_http_response_error(cio_http_response_t *r)
{
    return resp_ok(r) ? r->error : NULL;
}

const char *cio_http_response_header(cio_http_response_t *r, const char *name, size_t index)
{
    if (!resp_ok(r) || !name)
        return NULL;
    for (size_t i = 0; i < r->nhdrs; i++)
        if (strcasecmp(r->hbuf + r->hdrs[i].name, name) == 0 && index-- == 0)
            return r->hbuf + r->hdrs[i].value;
    return NULL;
}

size_t cio_http_response_headers(cio_http_response_t *r, size_t i, const char **name, const char **value)
{
    if (!resp_ok(r))
        return 0;
    if (i < r->nhdrs) {
        if (name)
            *name = r->hbuf + r->hdrs[i].name;
        if (value)
            *value = r->hbuf + r->hdrs[i].value;
    }
    return r->nhdrs;
}

static int read_check(cio_http_response_t *r)
{
    if (!resp_ok(r))
        return -EINVAL;
    if (r->waiter)
        return CIO_EINVALSTATE; /* another task is reading it */
    if (r->s)
        return sess_check(r->s, 1);
    return cio__tls.task ? 0 : CIO_ENOTASK;
}

/* Let curl go on (from a task) once there is room again. */
static void resp_resume(struct cio_http_response_s *r)
{
    if (r->paused && r->easy && (r->collect || r->len < r->allowance)) {
        r->paused = 0;
        curl_easy_pause(r->easy, CURLPAUSE_CONT); /* may deliver at once */
    }
}

/* The failure that a read reports: the transfer's, with its message. */
static int read_fail(struct cio_http_response_s *r)
{
    if (r->rc != -ECANCELED)
        cio_fail(r->rc, "%s", r->error ? r->error : cio_strerror(r->rc));
    return r->rc;
}

ssize_t cio_http_response_read(cio_http_response_t *r, size_t max, const char **body)
{
    int rc = read_check(r);
    if (rc < 0)
        return rc;
    if (!body || max > (size_t)SSIZE_MAX - 1)
        return -EINVAL;
    *body = NULL;
    if (!max)
        max = r->max;
    if (max && (!r->max || max < r->max))
        r->max = max;
    if (r->easy && r->max) {
        curl_off_t cl = -1;
        if (curl_easy_getinfo(r->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl) == CURLE_OK && cl > 0 &&
            (uint64_t)cl > r->max) {
            resp_fail(r, CIO_EBODYSIZE, "the announced body is larger than the maximum");
            resp_detach(r);
        }
    }
    if (r->max && r->received > r->max && !r->rc) {
        resp_fail(r, CIO_EBODYSIZE, "the body is larger than the maximum");
        resp_detach(r);
    }
    r->collect = 1;
    while (!r->done && !r->rc) {
        resp_resume(r);
        if (r->done || r->rc)
            break;
        if ((rc = resp_wait(r)) < 0)
            return rc;
    }
    if (r->rc)
        return read_fail(r);
    if (r->off) {
        memmove(r->buf, r->buf + r->off, r->len);
        r->off = 0;
    }
    if (r->len + 1 > r->cap) {
        char *b = cio__realloc(r->buf, r->len + 1);
        if (!b)
            return -ENOMEM;
        r->buf = b;
        r->cap = r->len + 1;
    }
    r->buf[r->len] = '\0';
    *body = r->buf;
    return (ssize_t)r->len;
}

/* Wait until want bytes are buffered, the body ended or failed. */
static int resp_fill(struct cio_http_response_s *r, size_t want)
{
    while (r->len < want && !r->done && !r->rc) {
        if (want > r->allowance)
            r->allowance = want;
        resp_resume(r);
        if (r->len >= want || r->done || r->rc)
            break;
        int rc = resp_wait(r);
        if (rc < 0)
            return rc;
    }
    return r->len ? 0 : r->rc;
}

static void resp_consumed(struct cio_http_response_s *r, size_t n)
{
    r->off += n;
    r->len -= n;
    if (!r->len)
        r->off = 0;
    if (r->allowance > r->allowance0)
        r->allowance = r->allowance0;
    resp_resume(r);
}

ssize_t cio_http_response_read_chunk(cio_http_response_t *r, void *buf, size_t cap)
{
    int rc = read_check(r);
    if (rc < 0)
        return rc;
    if (!buf || !cap || cap > SSIZE_MAX)
        return -EINVAL;
    if (r->collect)
        return CIO_EINVALSTATE;
    if ((rc = resp_fill(r, 1)) < 0)
        return rc == -ECANCELED ? rc : read_fail(r);
    size_t n = r->len < cap ? r->len : cap;
    memcpy(buf, r->buf + r->off, n);
    resp_consumed(r, n);
    return (ssize_t)n;
}

ssize_t cio_http_response_readuntil(cio_http_response_t *r, const void *sep, size_t seplen, void *buf, size_t cap)
{
    int rc = read_check(r);
    if (rc < 0)
        return rc;
    if (!sep || !seplen || !buf || !cap || cap > SSIZE_MAX)
        return -EINVAL;
    if (r->collect)
        return CIO_EINVALSTATE;
    size_t scanned = 0;
    for (;;) {
        if (r->len >= seplen) {
            const char *hit = memmem(r->buf + r->off + scanned, r->len - scanned, sep, seplen);
            if (hit) {
                size_t n = (size_t)(hit - (r->buf + r->off)) + seplen;
                if (n > cap)
                    return CIO_ELIMITOVERRUN;
                memcpy(buf, r->buf + r->off, n);
                resp_consumed(r, n);
                return (ssize_t)n;
            }
            scanned = r->len - seplen + 1;
        }
        if (r->len >= cap)
            return CIO_ELIMITOVERRUN;
        if (r->done || r->rc) {
            if (r->rc)
                return read_fail(r);
            return r->len ? CIO_EINCOMPLETE : 0;
        }
        if ((rc = resp_fill(r, r->len + 1)) < 0)
            return rc == -ECANCELED ? rc : read_fail(r);
    }
}

ssize_t cio_http_response_readline(cio_http_response_t *r, char *buf, size_t cap)
{
    ssize_t n = cio_http_response_readuntil(r, "\n", 1, buf, cap);
    if (n == CIO_EINCOMPLETE) { /* the last line, without its newline */
        n = (ssize_t)r->len;
        memcpy(buf, r->buf + r->off, r->len);
        resp_consumed(r, r->len);
    }
    return n;
}

#endif /* CIO_HAVE_CURL */
