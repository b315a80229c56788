/* libFuzzer target for the example HTTP server's request parser
 * (examples/http_request.h): the input is what a client sends, cut into lines
 * the way the server reads them (cio_stream_readline: up to and including
 * each '\n', the rest a partial last line).  Each line is copied into a heap
 * block of exactly its size, so that the sanitizers catch a read past it.
 * The first line (after empty ones, which the server skips) goes through
 * http_parse_request_line, the next ones through http_headers_add until the
 * blank line or an error.  Checks:
 *
 * - every verdict agrees with a second, independently written reading of
 *   the grammar and the limits below (accept or reject; for the head as a
 *   whole, the exact code);
 * - every field handed back lies within its line, where the grammar says it
 *   is, and the lengths add up to the line's;
 * - a parsed request line or field line, written again ("M T HTTP/x.y\r\n",
 *   "name: value\r\n", and the other spellings the grammar allows), parses
 *   to the same fields; a whole head that parsed, written again in its
 *   shortest form, parses to the same request.
 *
 *   cmake -DCIO_FUZZ=ON -DCMAKE_C_COMPILER=clang ... ; ./fuzz_http -max_total_time=30 */
#define HTTP_MAX_HEADERS 16       /* small limits, for the fuzzer to reach them */
#define HTTP_MAX_HEADER_BYTES 600 /* (the parser's defaults are 64 and 16 KiB) */
#include "../../examples/http_request.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define FAIL(...)                                   \
    do {                                            \
        fprintf(stderr, "fuzz_http: " __VA_ARGS__); \
        fputc('\n', stderr);                        \
        abort();                                    \
    } while (0)

#define MAXLINES 64

struct line {
    char *p; /* exactly n bytes, no NUL */
    size_t n;
};

/* ------------------------------------------------ the reference reading */

static int ref_tchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int ref_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* The line without its end, or 0. */
static int ref_content(const char *l, size_t n, size_t *len)
{
    if (n == 0 || l[n - 1] != '\n')
        return 0;
    size_t k = n - 1;
    if (k > 0 && l[k - 1] == '\r')
        k--;
    if (memchr(l, '\r', k) || memchr(l, '\n', k))
        return 0;
    *len = k;
    return 1;
}

static int ref_request_line(const char *l, size_t n, struct http_request_line *o)
{
    size_t len;
    if (!ref_content(l, n, &len))
        return 0;
    const char *sp1 = memchr(l, ' ', len);
    if (!sp1)
        return 0;
    size_t ml = (size_t)(sp1 - l);
    if (ml == 0 || ml > HTTP_MAX_METHOD)
        return 0;
    for (size_t i = 0; i < ml; i++)
        if (!ref_tchar((unsigned char)l[i]))
            return 0;
    const char *t = sp1 + 1;
    size_t rest = len - ml - 1;
    const char *sp2 = memchr(t, ' ', rest);
    if (!sp2 || sp2 == t)
        return 0;
    size_t tl = (size_t)(sp2 - t);
    for (size_t i = 0; i < tl; i++)
        if ((unsigned char)t[i] < 0x21 || (unsigned char)t[i] > 0x7e)
            return 0;
    const char *v = sp2 + 1;
    if (rest - tl - 1 != 8 || memcmp(v, "HTTP/", 5) != 0 || !ref_digit(v[5]) || v[6] != '.' || !ref_digit(v[7]))
        return 0;
    o->method = (struct http_slice){l, ml};
    o->target = (struct http_slice){t, tl};
    o->major = v[5] - '0';
    o->minor = v[7] - '0';
    return 1;
}

/* 2 for the blank line, 1 and *o for a field line, 0 for anything else. */
static int ref_header(const char *l, size_t n, struct http_header *o)
{
    size_t len;
    if (!ref_content(l, n, &len))
        return 0;
    if (len == 0)
        return 2;
    const char *colon = memchr(l, ':', len);
    if (!colon || colon == l)
        return 0;
    size_t nl = (size_t)(colon - l);
    for (size_t i = 0; i < nl; i++)
        if (!ref_tchar((unsigned char)l[i]))
            return 0;
    const char *b = colon + 1, *e = l + len;
    for (const char *c = b; c < e; c++)
        if (*c != '\t' && ((unsigned char)*c < 0x20 || (unsigned char)*c == 0x7f))
            return 0;
    while (b < e && (*b == ' ' || *b == '\t'))
        b++;
    while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    o->name = (struct http_slice){l, nl};
    o->value = (struct http_slice){b, (size_t)(e - b)};
    return 1;
}

static int ref_name_is(struct http_slice s, const char *name)
{
    return s.len == strlen(name) && strncasecmp(s.p, name, s.len) == 0;
}

/* A NUL-terminated copy (field values hold no NUL: the grammar rejects it). */
static char *dup_slice(struct http_slice s)
{
    char *c = malloc(s.len + 1);
    if (!c)
        FAIL("out of memory");
    memcpy(c, s.p, s.len);
    c[s.len] = '\0';
    if (strlen(c) != s.len)
        FAIL("a NUL in a parsed value");
    return c;
}

static int64_t ref_length(struct http_slice v)
{
    char *c = dup_slice(v);
    int64_t r = -1;
    if (v.len > 0 && strspn(c, "0123456789") == v.len) {
        errno = 0;
        unsigned long long x = strtoull(c, NULL, 10);
        if (errno == 0 && x <= (unsigned long long)INT64_MAX)
            r = (int64_t)x;
    }
    free(c);
    return r;
}

static void ref_connection(struct http_headers *ref, struct http_slice v)
{
    char *c = dup_slice(v), *save = NULL;
    for (char *tok = strtok_r(c, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        tok += strspn(tok, " \t");
        size_t k = strlen(tok);
        while (k > 0 && (tok[k - 1] == ' ' || tok[k - 1] == '\t'))
            k--;
        tok[k] = '\0';
        if (strcasecmp(tok, "close") == 0)
            ref->close = 1;
        else if (strcasecmp(tok, "keep-alive") == 0)
            ref->keep_alive = 1;
    }
    free(c);
}

/* What http_headers_add must answer for line l, the reference state *ref
 * updated as it goes.  0x7fff: "some syntax error". */
#define SYNTAX 0x7fff
static int ref_headers_add(struct http_headers *ref, const char *l, size_t n)
{
    if (ref->bytes + n > HTTP_MAX_HEADER_BYTES)
        return HTTP_ETOOLARGE;
    ref->bytes += n;
    struct http_header h;
    int k = ref_header(l, n, &h);
    if (k == 0)
        return SYNTAX;
    if (k == 2) {
        if (ref->transfer_encoding && ref->content_length >= 0)
            return HTTP_EFRAMING;
        if (ref->hosts > 1 || (ref->major == 1 && ref->minor >= 1 && ref->hosts == 0))
            return HTTP_EHOST;
        ref->done = 1;
        return HTTP_END;
    }
    if (++ref->count > HTTP_MAX_HEADERS)
        return HTTP_ETOOMANY;
    if (ref_name_is(h.name, "content-length")) {
        int64_t x = ref_length(h.value);
        if (x < 0 || (ref->content_length >= 0 && ref->content_length != x))
            return HTTP_ELENGTH;
        ref->content_length = x;
    } else if (ref_name_is(h.name, "transfer-encoding")) {
        ref->transfer_encoding = 1;
    } else if (ref_name_is(h.name, "host")) {
        ref->hosts++;
    } else if (ref_name_is(h.name, "connection")) {
        ref_connection(ref, h.value);
    }
    return HTTP_FIELD;
}

/* ------------------------------------------------------------ the checks */

static int within(struct http_slice s, const char *p, size_t n)
{
    return s.p >= p && s.len <= n && (size_t)(s.p - p) <= n - s.len;
}

static int same(struct http_slice a, struct http_slice b)
{
    return a.len == b.len && memcmp(a.p, b.p, a.len) == 0;
}

static int is_syntax_error(int rc)
{
    return rc == HTTP_EINCOMPLETE || rc == HTTP_ECHAR || rc == HTTP_EHEADER;
}

/* A request line that parsed: where its parts are, and that it reads the same
 * written again. */
static void check_request_line(const char *l, size_t n, const struct http_request_line *rl)
{
    size_t ml = rl->method.len, tl = rl->target.len;
    size_t term = l[n - 2] == '\r' ? 2 : 1;
    if (rl->method.p != l || rl->target.p != l + ml + 1 || !within(rl->target, l, n))
        FAIL("request line: fields out of place");
    if (ml < 1 || ml > HTTP_MAX_METHOD || tl < 1 || ml + 1 + tl + 1 + 8 + term != n)
        FAIL("request line: lengths %zu + %zu do not add up to %zu", ml, tl, n);
    if (rl->major < 0 || rl->major > 9 || rl->minor < 0 || rl->minor > 9)
        FAIL("request line: version %d.%d", rl->major, rl->minor);
    for (size_t i = 0; i < ml; i++)
        if (!ref_tchar((unsigned char)rl->method.p[i]))
            FAIL("request line: method byte 0x%02x", (unsigned char)rl->method.p[i]);
    for (size_t i = 0; i < tl; i++)
        if ((unsigned char)rl->target.p[i] <= ' ' || (unsigned char)rl->target.p[i] >= 0x7f)
            FAIL("request line: target byte 0x%02x", (unsigned char)rl->target.p[i]);
    for (int crlf = 0; crlf < 2; crlf++) {
        size_t len = ml + tl + 11 + (size_t)crlf;
        char *w = malloc(len);
        if (!w)
            FAIL("out of memory");
        memcpy(w, rl->method.p, ml);
        w[ml] = ' ';
        memcpy(w + ml + 1, rl->target.p, tl);
        snprintf(w + ml + 1 + tl, 11 + (size_t)crlf, " HTTP/%d.%d%s", rl->major, rl->minor, crlf ? "\r" : "");
        w[len - 1] = '\n';
        if (len - (size_t)crlf - 1 != n - term || memcmp(w, l, n - term) != 0)
            FAIL("request line: written again, it differs");
        struct http_request_line again;
        int rc = http_parse_request_line(w, len, &again);
        if (rc != 0 || !same(again.method, rl->method) || !same(again.target, rl->target) ||
            again.major != rl->major || again.minor != rl->minor)
            FAIL("request line: written again, it parses differently (%s)", http_strerror(rc));
        free(w);
    }
}

/* A field line that parsed: where its parts are, and that its other
 * spellings read the same. */
static void check_field(const char *l, size_t n, const struct http_header *h)
{
    size_t term = n >= 2 && l[n - 2] == '\r' ? 2 : 1, len = n - term;
    if (h->name.p != l || h->name.len < 1 || h->name.len >= len || l[h->name.len] != ':')
        FAIL("field: name out of place");
    if (!within(h->value, l + h->name.len + 1, len - h->name.len - 1))
        FAIL("field: value out of place");
    for (const char *c = l + h->name.len + 1; c < h->value.p; c++)
        if (*c != ' ' && *c != '\t')
            FAIL("field: 0x%02x skipped before the value", (unsigned char)*c);
    for (const char *c = h->value.p + h->value.len; c < l + len; c++)
        if (*c != ' ' && *c != '\t')
            FAIL("field: 0x%02x dropped after the value", (unsigned char)*c);
    if (h->value.len && (h->value.p[0] == ' ' || h->value.p[0] == '\t' || h->value.p[h->value.len - 1] == ' ' ||
                         h->value.p[h->value.len - 1] == '\t'))
        FAIL("field: whitespace around the value");
    static const char *const seps[] = {": ", ":", ":\t ", ":  \t"}, *const ends[] = {"\r\n", "\n", " \r\n", "\t\n"};
    for (int k = 0; k < 4; k++) {
        size_t sl = strlen(seps[k]), el = strlen(ends[k]), wl = h->name.len + sl + h->value.len + el;
        char *w = malloc(wl);
        if (!w)
            FAIL("out of memory");
        memcpy(w, h->name.p, h->name.len);
        memcpy(w + h->name.len, seps[k], sl);
        memcpy(w + h->name.len + sl, h->value.p, h->value.len);
        memcpy(w + wl - el, ends[k], el);
        struct http_header again;
        int rc = http_parse_header_line(w, wl, &again);
        if (rc != HTTP_FIELD || !same(again.name, h->name) || !same(again.value, h->value))
            FAIL("field: written again with \"%s\", it parses differently (%s)", seps[k], http_strerror(rc));
        free(w);
    }
}

/* What a whole head said. */
struct request {
    int skipped;  /* empty lines before the request line */
    int line_rc;  /* http_parse_request_line's */
    struct http_request_line rl;
    int head_rc;  /* http_headers_add's last: HTTP_END, an error, or HTTP_FIELD when the input ended */
    struct http_headers hs;
    struct http_header fields[HTTP_MAX_HEADERS + 1];
    size_t nfields;
};

static void parse(struct line *lines, size_t nlines, struct request *r)
{
    memset(r, 0, sizeof *r);
    size_t i = 0;
    while (i < nlines && ((lines[i].n == 1 && lines[i].p[0] == '\n') ||
                          (lines[i].n == 2 && lines[i].p[0] == '\r' && lines[i].p[1] == '\n')))
        i++, r->skipped++;
    r->line_rc = HTTP_EINCOMPLETE;
    r->head_rc = HTTP_FIELD;
    if (i == nlines)
        return;
    const char *l = lines[i].p;
    size_t n = lines[i].n;
    struct http_request_line ref;
    r->line_rc = http_parse_request_line(l, n, &r->rl);
    int ok = ref_request_line(l, n, &ref);
    if (ok != (r->line_rc == 0))
        FAIL("request line: %s, where the reference says %s", http_strerror(r->line_rc), ok ? "good" : "bad");
    if (r->line_rc > 0 || r->line_rc < HTTP_EHOST)
        FAIL("request line: code %d", r->line_rc);
    if ((r->line_rc == HTTP_EINCOMPLETE) != (l[n - 1] != '\n'))
        FAIL("request line: %s for a line %s '\\n'", http_strerror(r->line_rc),
             l[n - 1] == '\n' ? "ending in" : "without");
    if (ok) {
        if (!same(ref.method, r->rl.method) || !same(ref.target, r->rl.target) || ref.major != r->rl.major ||
            ref.minor != r->rl.minor)
            FAIL("request line: fields differ from the reference's");
        check_request_line(l, n, &r->rl);
    }

    struct http_headers ref_hs;
    http_headers_init(&r->hs, r->line_rc == 0 ? &r->rl : NULL);
    http_headers_init(&ref_hs, r->line_rc == 0 ? &r->rl : NULL);
    for (i++; i < nlines; i++) {
        l = lines[i].p;
        n = lines[i].n;
        struct http_header h;
        int rc = http_headers_add(&r->hs, l, n, &h);
        int want = ref_headers_add(&ref_hs, l, n);
        if (want == SYNTAX ? !is_syntax_error(rc) : rc != want)
            FAIL("field line %zu: %s (%d), where the reference says %s (%d)", i, http_strerror(rc), rc,
                 want == SYNTAX ? "a syntax error" : http_strerror(want), want);
        if (r->hs.bytes > HTTP_MAX_HEADER_BYTES || r->hs.count > HTTP_MAX_HEADERS + 1)
            FAIL("field line %zu: over the limits (%zu bytes, %u lines)", i, r->hs.bytes, r->hs.count);
        if (r->hs.content_length != ref_hs.content_length || r->hs.hosts != ref_hs.hosts ||
            r->hs.transfer_encoding != ref_hs.transfer_encoding || r->hs.close != ref_hs.close ||
            r->hs.keep_alive != ref_hs.keep_alive || r->hs.done != ref_hs.done || r->hs.count != ref_hs.count ||
            r->hs.bytes != ref_hs.bytes)
            FAIL("field line %zu: the state differs from the reference's", i);
        r->head_rc = rc;
        if (rc == HTTP_FIELD) {
            check_field(l, n, &h);
            r->fields[r->nfields++] = h;
            continue;
        }
        if (rc == HTTP_END) {
            int ka = http_keep_alive(&r->hs);
            int want_ka = !r->hs.close && r->hs.major == 1 && (r->hs.minor >= 1 || r->hs.keep_alive);
            if (ka != want_ka)
                FAIL("head: keep-alive %d", ka);
        }
        break;
    }
}

/* Cut data into lines (at most MAXLINES) the way readline does. */
static size_t split(const uint8_t *data, size_t size, struct line lines[MAXLINES])
{
    size_t n = 0;
    for (size_t at = 0; at < size && n < MAXLINES;) {
        const uint8_t *nl = memchr(data + at, '\n', size - at);
        size_t len = nl ? (size_t)(nl - (data + at)) + 1 : size - at;
        lines[n].p = malloc(len);
        if (!lines[n].p)
            FAIL("out of memory");
        memcpy(lines[n].p, data + at, len);
        lines[n++].n = len;
        at += len;
    }
    return n;
}

static void free_lines(struct line *lines, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(lines[i].p);
}

/* The head that parsed, in its shortest spelling ("name:value\n"), read again. */
static void check_head(const struct request *r)
{
    size_t cap = r->rl.method.len + r->rl.target.len + 12 + 1;
    for (size_t i = 0; i < r->nfields; i++)
        cap += r->fields[i].name.len + r->fields[i].value.len + 2;
    char *w = malloc(cap), *p = w;
    if (!w)
        FAIL("out of memory");
    p += sprintf(p, "%.*s %.*s HTTP/%d.%d\n", (int)r->rl.method.len, r->rl.method.p, (int)r->rl.target.len,
                 r->rl.target.p, r->rl.major, r->rl.minor);
    for (size_t i = 0; i < r->nfields; i++) {
        memcpy(p, r->fields[i].name.p, r->fields[i].name.len);
        p += r->fields[i].name.len;
        *p++ = ':';
        memcpy(p, r->fields[i].value.p, r->fields[i].value.len);
        p += r->fields[i].value.len;
        *p++ = '\n';
    }
    *p++ = '\n';
    struct line lines[MAXLINES];
    size_t nl = split((const uint8_t *)w, (size_t)(p - w), lines);
    struct request again;
    parse(lines, nl, &again);
    if (again.line_rc != 0 || again.head_rc != HTTP_END || again.nfields != r->nfields ||
        !same(again.rl.method, r->rl.method) || !same(again.rl.target, r->rl.target) ||
        again.rl.major != r->rl.major || again.rl.minor != r->rl.minor)
        FAIL("head: written again, it parses differently (%s, %s)", http_strerror(again.line_rc),
             http_strerror(again.head_rc));
    for (size_t i = 0; i < r->nfields; i++)
        if (!same(again.fields[i].name, r->fields[i].name) || !same(again.fields[i].value, r->fields[i].value))
            FAIL("head: written again, field %zu differs", i);
    if (again.hs.content_length != r->hs.content_length || again.hs.hosts != r->hs.hosts ||
        again.hs.close != r->hs.close || again.hs.keep_alive != r->hs.keep_alive ||
        again.hs.transfer_encoding != r->hs.transfer_encoding || again.hs.count != r->hs.count ||
        again.hs.bytes > r->hs.bytes)
        FAIL("head: written again, its state differs");
    free_lines(lines, nl);
    free(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct line lines[MAXLINES];
    size_t nlines = split(data, size, lines);
    struct request r;
    parse(lines, nlines, &r);
    if (r.line_rc == 0 && r.head_rc == HTTP_END)
        check_head(&r); /* before the lines are freed: r's fields point into them */
    free_lines(lines, nlines);
    return 0;
}
