/** cio_http.h: the HTTP client module of cio (aiohttp's ClientSession), on
 * libcurl.  Built when CMake finds libcurl; without it every function here
 * exists and returns -ENOTSUP (cio_http_available() says which).
 *
 * @file
 */
#ifndef CIO_HTTP_H
#define CIO_HTTP_H

#include "cio.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/** @defgroup http HTTP client
 * A session (aiohttp's ClientSession) is one libcurl multi handle driven by
 * the running loop: its sockets are watched by the loop's backend and curl's
 * timer is a loop timer.  Connections are kept alive and reused across
 * requests, HTTP/2 streams are multiplexed where the server offers HTTP/2
 * (over TLS), and the number of connections is capped in total and per host
 * (requests beyond the cap wait for a free connection).  A request is
 * awaited from a task; it returns when the response's head has arrived, and
 * the body is then read whole, chunk by chunk or line by line, with curl
 * paused while the reader is slow.  Every call is made from a task of the
 * session's loop (CIO_ENOTASK, CIO_EWRONGLOOP otherwise).
 *
 * Failures are negative codes; the curl message that explains one is
 * recorded on the task (cio_fail: cio_task_error_message) and kept by the
 * response (cio_http_response_error).  The codes: CIO_ENONAME (the host is
 * not known), -ECONNREFUSED (connection refused or unreachable),
 * CIO_ETLSVERIFY (the peer's certificate or name was refused), CIO_ETLS
 * (another TLS failure), -ETIMEDOUT (a timeout of the request or the
 * session), CIO_EREDIRECTS (more redirects than allowed), CIO_EBODYSIZE
 * (the body is larger than the maximum), -ECONNRESET / CIO_EINCOMPLETE (the
 * connection broke, the body ended short), -EPROTO (a malformed answer),
 * CIO_EHTTP (another transfer failure), -ECANCELED, -ENOMEM.
 * @{ */

/** A session: opaque, made by cio_http_session_new, freed by
 * cio_http_session_free. */
typedef struct cio_http_session_s cio_http_session_t;
/** A response: opaque, made by cio_http_request, freed by
 * cio_http_response_free. */
typedef struct cio_http_response_s cio_http_response_t;

/** Session options; a zeroed struct (or NULL) gives the defaults.  Strings
 * are copied. */
typedef struct cio_http_session_opts_s {
    int max_connections;        /**< connections open at once in all; 0: 100 (aiohttp's limit) */
    int max_per_host;           /**< ... to one host; 0: no limit beyond the total */
    double timeout;             /**< each request's total time, seconds; 0: none */
    double connect_timeout;     /**< each connection's setup (DNS, TCP, TLS); 0: 30 s */
    const char *const *headers; /**< "Name: value" sent with every request, NULL-terminated */
    const char *user_agent;     /**< NULL: "cio/<version>" */
    int max_redirects;          /**< 0: redirects are answers; n > 0: follow up to n */
    int insecure;               /**< 1: skip TLS verification of peer and host name (opt-out) */
    const char *ca_file;        /**< PEM file of trusted CAs; NULL: the system's */
    const char *client_cert;    /**< PEM client certificate, or NULL */
    const char *client_key;     /**< its PEM private key (NULL: in client_cert) */
    const char *proxy;          /**< proxy URL; NULL: http_proxy, https_proxy, all_proxy from the environment */
    const char *no_proxy;       /**< hosts never proxied ("*": none); NULL: no_proxy from the environment */
    int http1_only;             /**< 1: never HTTP/2 */
    int no_decompress;          /**< 1: no Accept-Encoding, bodies as sent */
    size_t read_buffer;         /**< body bytes buffered before curl is paused; 0: 64 KiB */
} cio_http_session_opts_t;

/** A body produced on demand: up to cap bytes into buf; returns the count,
 * 0 at the end, or a negative code that fails the request.  Runs on the loop
 * (not in a task): it must not block or suspend. */
typedef ssize_t cio_http_body_fn(void *ud, char *buf, size_t cap);

/** One request.  Strings and arrays are read during cio_http_request only
 * (the memory body is copied). */
typedef struct cio_http_request_s {
    const char *method;          /**< NULL: GET, or POST with a body; a token, else -EINVAL */
    const char *url;             /**< http:// or https:// */
    const char *const *params;   /**< query parameters: key, value, key, value, ..., NULL (URL-encoded) */
    const char *const *headers;  /**< "Name: value", NULL-terminated; CR or LF in one: -EINVAL */
    const void *body;            /**< a body in memory (copied) ... */
    size_t body_len;             /**< ... of this many bytes */
    const char *body_file;       /**< or a file's contents */
    cio_http_body_fn *body_fn;   /**< or a body made by this callback ... */
    void *body_ud;               /**< body_fn's argument */
    int64_t body_fn_size;        /**< ... of this many bytes; -1: unknown (chunked) */
    double timeout;              /**< total seconds; 0: the session's; INFINITY: none */
    double connect_timeout;      /**< 0: the session's */
    size_t max_body;             /**< the largest body accepted; 0: no limit (see cio_http_response_read) */
} cio_http_request_t;

/** How cio_http_session_close treats requests still in flight. */
enum {
    CIO_HTTP_WAIT = 0,  /**< wait for every transfer to end (responses read or freed) */
    CIO_HTTP_CANCEL = 1 /**< end them now: their waiters see CIO_ECLOSED */
};

/** 1 when the module is built (libcurl was found), else 0. */
CIO_EXTERN int cio_http_available(void);

/** Make a session bound to the running loop (from a task or a callback of
 * it).  0 and *out; -EINVAL (NULL out, a negative or NaN timeout, a
 * negative cap, a default header with CR or LF), CIO_ENOLOOP, -ENOMEM,
 * -ENOTSUP without libcurl.  Free it with cio_http_session_free.
 *
 * @code{.c}
 * #include <cio_http.h>
 * #include <stdio.h>
 *
 * static int fetch(void *arg, void **result)
 * {
 *     cio_http_session_t *s;
 *     cio_http_response_t *r;
 *     const char *body;
 *     int rc = cio_http_session_new(NULL, &s);
 *     if (rc < 0)
 *         return rc;
 *     rc = cio_http_get(s, arg, &r);              // the head has arrived
 *     if (rc == 0) {
 *         ssize_t n = cio_http_response_read(r, 1 << 20, &body);
 *         if (n >= 0)
 *             printf("%d, %zd bytes\n", cio_http_response_status(r), n);
 *         cio_http_response_free(r);
 *     }
 *     cio_http_session_close(s, CIO_HTTP_WAIT);
 *     cio_http_session_free(s);
 *     return rc;
 * }
 * @endcode */
CIO_EXTERN int cio_http_session_new(const cio_http_session_opts_t *opts, cio_http_session_t **out);

/** Close the session (from a task): new requests get CIO_ECLOSED; with
 * CIO_HTTP_WAIT wait until every transfer has ended (a response whose body
 * nobody reads keeps it waiting: read or free it, or bound the close with
 * cio_timeout), with CIO_HTTP_CANCEL end them at once; then the connections
 * are closed.  Cancelled while waiting, it ends the transfers and returns
 * -ECANCELED.  0, -EINVAL, CIO_ENOTASK, CIO_EWRONGLOOP; a second close
 * returns 0. */
CIO_EXTERN int cio_http_session_close(cio_http_session_t *s, int how);

/** Free the session (on its loop's thread, before the loop closes); transfers
 * still in flight end as with CIO_HTTP_CANCEL.  Responses may outlive it.
 * NULL is ignored. */
CIO_EXTERN void cio_http_session_free(cio_http_session_t *s);

/** Connections the session has opened so far (each TCP connect counts). */
CIO_EXTERN long cio_http_session_connections(cio_http_session_t *s);

/** Send a request and wait for the response's head (status and headers;
 * informational answers and followed redirects are skipped).  0 and *out,
 * which the caller frees with cio_http_response_free; or a failure (see the
 * group's list): -EINVAL (a malformed URL or method, a header with CR, LF
 * or no colon, a negative or NaN timeout, two bodies), -EPROTONOSUPPORT (a
 * scheme other than http and https), -EOVERFLOW (a body size beyond
 * int64), -ENOENT and the like (body_file not readable), CIO_ECLOSED (the
 * session is closed), -ECANCELED (the task was cancelled: the transfer is
 * removed at once; a cio_timeout or cio_wait_for around the call bounds
 * it). */
CIO_EXTERN int cio_http_request(cio_http_session_t *s, const cio_http_request_t *req, cio_http_response_t **out);

/** cio_http_request of a GET of url with the session's defaults. */
CIO_EXTERN int cio_http_get(cio_http_session_t *s, const char *url, cio_http_response_t **out);

/** The status code (200, 404, ...), or -EINVAL. */
CIO_EXTERN int cio_http_response_status(cio_http_response_t *r);
/** The reason phrase ("OK"; "" under HTTP/2), owned by r; NULL for NULL. */
CIO_EXTERN const char *cio_http_response_reason(cio_http_response_t *r);
/** The protocol version: 10, 11, 20 or 30; -EINVAL. */
CIO_EXTERN int cio_http_response_version(cio_http_response_t *r);
/** The URL answered, after redirects (owned by r), or NULL. */
CIO_EXTERN const char *cio_http_response_url(cio_http_response_t *r);
/** The value of the index-th header called name (case-insensitive; 0 the
 * first, repeated headers by index), owned by r; NULL if none. */
CIO_EXTERN const char *cio_http_response_header(cio_http_response_t *r, const char *name, size_t index);
/** The number of header lines; with name and value of the i-th (owned by
 * r) when i is below it. */
CIO_EXTERN size_t cio_http_response_headers(cio_http_response_t *r, size_t i, const char **name, const char **value);
/** The message of the response's failure (curl's), or NULL. */
CIO_EXTERN const char *cio_http_response_error(cio_http_response_t *r);

/** Read the whole body, at most max bytes (0: the request's max_body, and
 * none if that is 0): its length and *body (NUL-terminated, owned by r,
 * valid until r is freed; the same again on a second call).  A body
 * announced or growing beyond max ends the transfer with CIO_EBODYSIZE and
 * nothing beyond max is buffered.  After chunks were read, the rest.  The
 * transfer's failure, -ECANCELED (the transfer is ended), -EINVAL. */
CIO_EXTERN ssize_t cio_http_response_read(cio_http_response_t *r, size_t max, const char **body);

/** Up to cap bytes of the body as they arrive (aiohttp's
 * content.read(n)): the count, 0 at the end, or the failure.  curl is paused
 * while read_buffer bytes wait unread (memory stays bounded).  Cancelled:
 * -ECANCELED and the transfer is ended. */
CIO_EXTERN ssize_t cio_http_response_read_chunk(cio_http_response_t *r, void *buf, size_t cap);

/** The body up to and including sep (StreamReader.readuntil): its length
 * into buf (cap bytes at most, not NUL-terminated).  At the end of the body
 * without sep: CIO_EINCOMPLETE (the partial rest stays readable).  No sep
 * within cap bytes: CIO_ELIMITOVERRUN, the data kept.  Else as
 * cio_http_response_read_chunk. */
CIO_EXTERN ssize_t cio_http_response_readuntil(cio_http_response_t *r, const void *sep, size_t seplen, void *buf,
                                               size_t cap);
/** One line, "\n" included (the last may lack it; 0 at the end).  No
 * newline within cap bytes: CIO_ELIMITOVERRUN, the data kept (unlike
 * cio_stream_readline, which discards).  Else as cio_http_response_readuntil. */
CIO_EXTERN ssize_t cio_http_response_readline(cio_http_response_t *r, char *buf, size_t cap);

/** Free the response; a transfer still running is ended (its connection
 * closed).  Not while a task reads it.  NULL is ignored. */
CIO_EXTERN void cio_http_response_free(cio_http_response_t *r);

/** @} */

#ifdef __cplusplus
}
#endif

#endif
