/* http_request.h: a small, strict parser of HTTP/1.x request heads, for the
 * example servers (curl_fetch_urls) and the fuzz target tests/fuzz/fuzz_http.c.
 *
 * It parses one line at a time, as a server reads them (cio_stream_readline:
 * each line ends in '\n', or is the partial last one at EOF), and allocates
 * nothing: the fields it hands back are slices of the line it was given
 * (pointer and length, not NUL-terminated), valid as long as that line is.
 *
 *     struct http_request_line rl;
 *     struct http_headers hs;
 *     struct http_header h;
 *     rc = http_parse_request_line(line, n, &rl);      (line: "GET /x HTTP/1.1\r\n")
 *     http_headers_init(&hs, rc == 0 ? &rl : NULL);
 *     do read the next line; while ((rc = http_headers_add(&hs, line, n, &h)) == HTTP_FIELD);
 *     (rc: HTTP_END after the blank line, or a negative HTTP_E* code)
 *
 * The grammar is RFC 9112's, strictly: request-line = method SP
 * request-target SP "HTTP/" DIGIT "." DIGIT; field-line = field-name ":" OWS
 * field-value OWS.  A line ends in CRLF or a bare LF (RFC 9112 section 2.2
 * allows a recipient to accept it); a CR anywhere else, a NUL or any other
 * control character, whitespace before the colon, obs-fold (a line starting
 * with whitespace), a Content-Length that is not all digits, overflows or
 * disagrees with an earlier one, Transfer-Encoding together with
 * Content-Length, a repeated Host field (or, in HTTP/1.1, none) are all
 * rejected, each with its own negative code (http_strerror names it): the
 * server answers 400 and closes, since after a malformed head it cannot know
 * where the next request starts.  The number of field lines and their total
 * size are bounded (HTTP_MAX_HEADERS, HTTP_MAX_HEADER_BYTES). */
#ifndef CIO_EXAMPLE_HTTP_REQUEST_H
#define CIO_EXAMPLE_HTTP_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#ifndef HTTP_MAX_HEADERS
#define HTTP_MAX_HEADERS 64 /* field lines in one request */
#endif
#ifndef HTTP_MAX_HEADER_BYTES
#define HTTP_MAX_HEADER_BYTES 16384 /* their bytes, line ends and the blank line included */
#endif
#define HTTP_MAX_METHOD 32 /* bytes of a method name */

/* What http_headers_add returns: one of these, or a negative HTTP_E* code. */
enum {
    HTTP_END = 0,   /* the blank line: the head is complete */
    HTTP_FIELD = 1, /* a field line, in *h */
};

enum {
    HTTP_EINCOMPLETE = -1, /* no '\n' at the end (the connection ended mid-line) */
    HTTP_ECHAR = -2,       /* a control character, a stray CR, a bad byte */
    HTTP_EMETHOD = -3,     /* the method is not a token (or too long) */
    HTTP_ETARGET = -4,     /* the request-target is empty (or two SPs before it) */
    HTTP_EVERSION = -5,    /* not SP "HTTP/d.d" after the target */
    HTTP_ELINE = -6,       /* an empty request line, or no SP after the method */
    HTTP_EHEADER = -7,     /* a field line without "name:", with whitespace before ':', or folded */
    HTTP_ETOOMANY = -8,    /* more than HTTP_MAX_HEADERS field lines */
    HTTP_ETOOLARGE = -9,   /* the field lines are more than HTTP_MAX_HEADER_BYTES */
    HTTP_ELENGTH = -10,    /* a Content-Length not all digits, too large, or two that differ */
    HTTP_EFRAMING = -11,   /* Transfer-Encoding and Content-Length both */
    HTTP_EHOST = -12,      /* HTTP/1.1 without exactly one Host, or two Hosts */
};

/* A part of a line: not NUL-terminated. */
struct http_slice {
    const char *p;
    size_t len;
};

struct http_request_line {
    struct http_slice method, target;
    int major, minor; /* HTTP/major.minor, one digit each */
};

struct http_header {
    struct http_slice name, value; /* value without the whitespace around it */
};

/* What the field lines of one request said, as far as a server needs it. */
struct http_headers {
    int major, minor;        /* the request line's version; -1 when it was malformed */
    unsigned count;          /* field lines seen */
    size_t bytes;            /* their bytes so far */
    int64_t content_length;  /* -1: no Content-Length */
    unsigned hosts;          /* Host field lines */
    int transfer_encoding;   /* a Transfer-Encoding field was there */
    int close, keep_alive;   /* Connection: close / keep-alive */
    int done;                /* HTTP_END was returned */
};

static inline const char *http_strerror(int rc)
{
    switch (rc) {
    case HTTP_END: return "end of head";
    case HTTP_FIELD: return "field";
    case HTTP_EINCOMPLETE: return "incomplete line";
    case HTTP_ECHAR: return "bad character";
    case HTTP_EMETHOD: return "bad method";
    case HTTP_ETARGET: return "bad request-target";
    case HTTP_EVERSION: return "bad HTTP version";
    case HTTP_ELINE: return "malformed request line";
    case HTTP_EHEADER: return "malformed field line";
    case HTTP_ETOOMANY: return "too many field lines";
    case HTTP_ETOOLARGE: return "field lines too large";
    case HTTP_ELENGTH: return "bad Content-Length";
    case HTTP_EFRAMING: return "both Transfer-Encoding and Content-Length";
    case HTTP_EHOST: return "missing or repeated Host";
    default: return "?";
    }
}

/* RFC 9110 tchar: the characters of a token (method, field name). */
static inline int http_is_tchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return 1;
    switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
        return 1;
    default:
        return 0;
    }
}

/* field-content: visible ASCII, SP, HTAB, and obs-text (bytes >= 0x80). */
static inline int http_is_field_char(unsigned char c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/* The line without its end (CRLF or LF) in *len; HTTP_EINCOMPLETE without a
 * '\n' at the end, HTTP_ECHAR for a CR or LF inside the line. */
static inline int http_line_content(const char *line, size_t n, size_t *len)
{
    if (n == 0 || line[n - 1] != '\n')
        return HTTP_EINCOMPLETE;
    n--;
    if (n > 0 && line[n - 1] == '\r')
        n--;
    for (size_t i = 0; i < n; i++)
        if (line[i] == '\r' || line[i] == '\n')
            return HTTP_ECHAR;
    *len = n;
    return 0;
}

static inline int http_equal_nocase(const char *a, size_t alen, const char *b)
{
    size_t i = 0;
    for (; i < alen && b[i]; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
        if (x >= 'A' && x <= 'Z')
            x = (unsigned char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = (unsigned char)(y - 'A' + 'a');
        if (x != y)
            return 0;
    }
    return i == alen && !b[i];
}

static inline int http_slice_is(struct http_slice s, const char *lower)
{
    return http_equal_nocase(s.p, s.len, lower);
}

/* "METHOD SP TARGET SP HTTP/d.d" and the line end: 0 and *rl, or HTTP_E*. */
static inline int http_parse_request_line(const char *line, size_t n, struct http_request_line *rl)
{
    size_t len, i = 0;
    int rc = http_line_content(line, n, &len);
    if (rc < 0)
        return rc;
    if (len == 0)
        return HTTP_ELINE;
    while (i < len && http_is_tchar((unsigned char)line[i]))
        i++;
    if (i == 0 || i > HTTP_MAX_METHOD || (i < len && line[i] != ' '))
        return HTTP_EMETHOD;
    if (i == len)
        return HTTP_ELINE; /* no SP after the method */
    rl->method = (struct http_slice){line, i};
    size_t t = ++i; /* the target: visible ASCII up to the next SP */
    while (i < len && (unsigned char)line[i] > ' ' && (unsigned char)line[i] < 0x7f)
        i++;
    if (i < len && line[i] != ' ')
        return HTTP_ECHAR;
    if (i == t)
        return HTTP_ETARGET; /* also two SPs in a row */
    if (i == len)
        return HTTP_EVERSION; /* "GET /": HTTP/0.9 is not supported */
    rl->target = (struct http_slice){line + t, i - t};
    const char *v = line + i + 1; /* "HTTP/d.d", exactly */
    size_t vlen = len - i - 1;
    if (vlen != 8 || v[0] != 'H' || v[1] != 'T' || v[2] != 'T' || v[3] != 'P' || v[4] != '/' || v[5] < '0' ||
        v[5] > '9' || v[6] != '.' || v[7] < '0' || v[7] > '9')
        return HTTP_EVERSION;
    rl->major = v[5] - '0';
    rl->minor = v[7] - '0';
    return 0;
}

/* One field line: HTTP_FIELD and *h, HTTP_END for the blank line, or HTTP_E*. */
static inline int http_parse_header_line(const char *line, size_t n, struct http_header *h)
{
    size_t len, i = 0;
    int rc = http_line_content(line, n, &len);
    if (rc < 0)
        return rc;
    if (len == 0)
        return HTTP_END;
    while (i < len && http_is_tchar((unsigned char)line[i]))
        i++;
    if (i == 0 || i == len || line[i] != ':')
        return HTTP_EHEADER; /* also obs-fold, "name :" and a line without ':' */
    h->name = (struct http_slice){line, i};
    size_t b = i + 1, e = len;
    for (size_t k = b; k < e; k++)
        if (!http_is_field_char((unsigned char)line[k]))
            return HTTP_ECHAR;
    while (b < e && (line[b] == ' ' || line[b] == '\t'))
        b++;
    while (e > b && (line[e - 1] == ' ' || line[e - 1] == '\t'))
        e--;
    h->value = (struct http_slice){line + b, e - b};
    return HTTP_FIELD;
}

/* A Content-Length value: 1*DIGIT, at most INT64_MAX; -1 otherwise. */
static inline int64_t http_parse_length(struct http_slice v)
{
    if (v.len == 0)
        return -1;
    int64_t x = 0;
    for (size_t i = 0; i < v.len; i++) {
        unsigned char c = (unsigned char)v.p[i];
        if (c < '0' || c > '9' || x > (INT64_MAX - (c - '0')) / 10)
            return -1;
        x = x * 10 + (c - '0');
    }
    return x;
}

/* Start the head of a request whose request line is rl (NULL: it was
 * malformed, the head is read only to get past it). */
static inline void http_headers_init(struct http_headers *hs, const struct http_request_line *rl)
{
    *hs = (struct http_headers){.major = rl ? rl->major : -1, .minor = rl ? rl->minor : -1, .content_length = -1};
}

/* The elements of a Connection value: "close", "keep-alive", others ignored. */
static inline void http_connection_options(struct http_headers *hs, struct http_slice v)
{
    size_t i = 0;
    while (i <= v.len) {
        size_t b = i, e;
        while (i < v.len && v.p[i] != ',')
            i++;
        e = i++;
        while (b < e && (v.p[b] == ' ' || v.p[b] == '\t'))
            b++;
        while (e > b && (v.p[e - 1] == ' ' || v.p[e - 1] == '\t'))
            e--;
        struct http_slice opt = {v.p + b, e - b};
        if (http_slice_is(opt, "close"))
            hs->close = 1;
        else if (http_slice_is(opt, "keep-alive"))
            hs->keep_alive = 1;
    }
}

/* The next line of the head: HTTP_FIELD and *h, HTTP_END after the blank
 * line (the head checked as a whole), or HTTP_E*.  Not to be called again
 * after HTTP_END or an error. */
static inline int http_headers_add(struct http_headers *hs, const char *line, size_t n, struct http_header *h)
{
    if (n > HTTP_MAX_HEADER_BYTES - hs->bytes)
        return HTTP_ETOOLARGE;
    hs->bytes += n;
    int rc = http_parse_header_line(line, n, h);
    if (rc == HTTP_END) {
        if (hs->transfer_encoding && hs->content_length >= 0)
            return HTTP_EFRAMING;
        if (hs->hosts > 1 || (hs->major == 1 && hs->minor >= 1 && hs->hosts == 0))
            return HTTP_EHOST;
        hs->done = 1;
        return HTTP_END;
    }
    if (rc < 0)
        return rc;
    if (++hs->count > HTTP_MAX_HEADERS)
        return HTTP_ETOOMANY;
    if (http_slice_is(h->name, "content-length")) {
        int64_t x = http_parse_length(h->value);
        if (x < 0 || (hs->content_length >= 0 && hs->content_length != x))
            return HTTP_ELENGTH;
        hs->content_length = x;
    } else if (http_slice_is(h->name, "transfer-encoding")) {
        hs->transfer_encoding = 1;
    } else if (http_slice_is(h->name, "host")) {
        hs->hosts++;
    } else if (http_slice_is(h->name, "connection")) {
        http_connection_options(hs, h->value);
    }
    return HTTP_FIELD;
}

/* After HTTP_END: whether the connection stays open after the response
 * (HTTP/1.1 unless "close", HTTP/1.0 only with "keep-alive"). */
static inline int http_keep_alive(const struct http_headers *hs)
{
    if (hs->close || hs->major != 1)
        return 0;
    return hs->minor >= 1 || hs->keep_alive;
}

#endif
