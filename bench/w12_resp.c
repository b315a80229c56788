/* W12 pipelined request/reply: a small Redis-protocol (RESP2) server on
 * 127.0.0.1, for redis-benchmark (Debian redis-tools), written the way the
 * guide teaches a streams server: cio_start_server; each connection's task
 * reads one request (an array of bulk strings, `*N` then `$L` lines with
 * cio_stream_readline and each argument with cio_stream_readexactly, or an
 * inline command line, which redis-benchmark's PING_INLINE sends), executes
 * it, writes its reply with one cio_stream_write and calls cio_stream_drain;
 * no batching of replies by hand.  The same server in CPython asyncio is
 * bench/peers/w12_resp.py.
 *
 * Commands: PING [msg], SET k v, GET k, INCR k, LPUSH k v..., RPUSH k v...,
 * LPOP k, RPOP k, DEL k..., and CONFIG GET (save: "", appendonly: "no",
 * anything else an empty array: what redis-benchmark asks at its start); anything else gets an -ERR reply.  One hash
 * table (chained, doubling) holds strings and lists (ring buffers).
 * Limits (what a client can make the server allocate): at most 1024
 * arguments, 1 MiB per argument and a line limit of 64 KiB; past them the
 * connection gets an -ERR Protocol error and is closed, as redis does.
 *
 * usage: w12_resp PORT   (serves until killed; SIGTERM's default action)
 * prints nothing on stdout. */
#include <cio.h>

#include "bench.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <string.h>

#define MAX_ARGS 1024
#define MAX_BULK (1u << 20)
#define LINE_CAP 1024

/* ------------------------------------------------------------------ store */
enum { T_STR, T_LIST };

typedef struct {
    char *p;
    size_t n;
} str_t;

typedef struct entry {
    struct entry *next;
    uint64_t hash;
    str_t key;
    int type;
    str_t val;     /* T_STR */
    str_t *items;  /* T_LIST: ring buffer */
    size_t head, count, cap;
} entry_t;

static entry_t **tab;
static size_t tab_cap, tab_len;

static uint64_t hash_of(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
    return h;
}

static int str_set(str_t *s, const char *p, size_t n)
{
    char *c = malloc(n ? n : 1);
    if (!c)
        return -ENOMEM;
    memcpy(c, p, n);
    free(s->p);
    s->p = c;
    s->n = n;
    return 0;
}

static entry_t **slot_of(const char *k, size_t n, uint64_t h)
{
    entry_t **pp = &tab[h & (tab_cap - 1)];
    while (*pp && !((*pp)->hash == h && (*pp)->key.n == n && memcmp((*pp)->key.p, k, n) == 0))
        pp = &(*pp)->next;
    return pp;
}

static entry_t *lookup(const char *k, size_t n)
{
    if (!tab)
        return NULL;
    return *slot_of(k, n, hash_of(k, n));
}

static int grow_table(void)
{
    size_t ncap = tab_cap ? tab_cap * 2 : 1024;
    entry_t **nt = calloc(ncap, sizeof *nt);
    if (!nt)
        return -ENOMEM;
    for (size_t i = 0; i < tab_cap; i++) {
        for (entry_t *e = tab[i], *nx; e; e = nx) {
            nx = e->next;
            e->next = nt[e->hash & (ncap - 1)];
            nt[e->hash & (ncap - 1)] = e;
        }
    }
    free(tab);
    tab = nt;
    tab_cap = ncap;
    return 0;
}

/* The entry for k, created (of type type) when absent. */
static int upsert(const char *k, size_t n, int type, entry_t **out)
{
    if (tab_len >= tab_cap && grow_table() < 0)
        return -ENOMEM;
    uint64_t h = hash_of(k, n);
    entry_t **pp = slot_of(k, n, h);
    if (!*pp) {
        entry_t *e = calloc(1, sizeof *e);
        if (!e || str_set(&e->key, k, n) < 0) {
            free(e);
            return -ENOMEM;
        }
        e->hash = h;
        e->type = type;
        *pp = e;
        tab_len++;
    }
    *out = *pp;
    return 0;
}

static void free_entry(entry_t *e)
{
    free(e->key.p);
    free(e->val.p);
    for (size_t i = 0; i < e->count; i++)
        free(e->items[(e->head + i) % e->cap].p);
    free(e->items);
    free(e);
}

static int del(const char *k, size_t n)
{
    if (!tab)
        return 0;
    entry_t **pp = slot_of(k, n, hash_of(k, n));
    entry_t *e = *pp;
    if (!e)
        return 0;
    *pp = e->next;
    tab_len--;
    free_entry(e);
    return 1;
}

static int list_push(entry_t *e, const char *p, size_t n, int left)
{
    if (e->count == e->cap) {
        size_t ncap = e->cap ? e->cap * 2 : 8;
        str_t *ni = malloc(ncap * sizeof *ni);
        if (!ni)
            return -ENOMEM;
        for (size_t i = 0; i < e->count; i++)
            ni[i] = e->items[(e->head + i) % e->cap];
        free(e->items);
        e->items = ni;
        e->cap = ncap;
        e->head = 0;
    }
    str_t v = {0};
    if (str_set(&v, p, n) < 0)
        return -ENOMEM;
    if (left) {
        e->head = (e->head + e->cap - 1) % e->cap;
        e->items[e->head] = v;
    } else {
        e->items[(e->head + e->count) % e->cap] = v;
    }
    e->count++;
    return 0;
}

/* ----------------------------------------------------------------- replies */
typedef struct {
    char *p;
    size_t n, cap;
} buf_t;

static int reserve(buf_t *b, size_t more)
{
    if (b->n + more <= b->cap)
        return 0;
    size_t ncap = b->cap ? b->cap : 256;
    while (ncap < b->n + more)
        ncap *= 2;
    char *np = realloc(b->p, ncap);
    if (!np)
        return -ENOMEM;
    b->p = np;
    b->cap = ncap;
    return 0;
}

static int put(buf_t *b, const void *p, size_t n)
{
    if (reserve(b, n) < 0)
        return -ENOMEM;
    memcpy(b->p + b->n, p, n);
    b->n += n;
    return 0;
}

static int puts_(buf_t *b, const char *s) { return put(b, s, strlen(s)); }

static int put_int(buf_t *b, char kind, long long v)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%c%lld\r\n", kind, v);
    return put(b, tmp, (size_t)n);
}

static int put_bulk(buf_t *b, const char *p, size_t n)
{
    if (put_int(b, '$', (long long)n) < 0 || put(b, p, n) < 0)
        return -ENOMEM;
    return put(b, "\r\n", 2);
}

/* --------------------------------------------------------------- commands */
typedef struct {
    int argc;
    str_t argv[MAX_ARGS];
    buf_t args;  /* the arguments' bytes, argv[i].p are offsets until parsed */
    buf_t reply;
    char line[LINE_CAP];
} conn_t;

static int is(const str_t *a, const char *name)
{
    size_t n = strlen(name);
    if (a->n != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (toupper((unsigned char)a->p[i]) != name[i])
            return 0;
    return 1;
}

static const char WRONGTYPE[] = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

static int wrong_args(buf_t *r, const str_t *cmd)
{
    char tmp[160];
    int n = snprintf(tmp, sizeof tmp, "-ERR wrong number of arguments for '%.*s' command\r\n",
                     (int)(cmd->n > 64 ? 64 : cmd->n), cmd->p);
    return put(r, tmp, (size_t)n);
}

static int execute(conn_t *c)
{
    buf_t *r = &c->reply;
    str_t *a = c->argv;
    int n = c->argc;
    entry_t *e;
    if (n == 0)
        return 0;
    if (is(&a[0], "PING")) {
        if (n == 1)
            return puts_(r, "+PONG\r\n");
        return n == 2 ? put_bulk(r, a[1].p, a[1].n) : wrong_args(r, &a[0]);
    }
    if (is(&a[0], "SET")) {
        if (n != 3)
            return wrong_args(r, &a[0]);
        if ((e = lookup(a[1].p, a[1].n)) && e->type != T_STR)
            del(a[1].p, a[1].n);
        if (upsert(a[1].p, a[1].n, T_STR, &e) < 0 || str_set(&e->val, a[2].p, a[2].n) < 0)
            return -ENOMEM;
        return puts_(r, "+OK\r\n");
    }
    if (is(&a[0], "GET")) {
        if (n != 2)
            return wrong_args(r, &a[0]);
        if (!(e = lookup(a[1].p, a[1].n)))
            return puts_(r, "$-1\r\n");
        return e->type == T_STR ? put_bulk(r, e->val.p, e->val.n) : puts_(r, WRONGTYPE);
    }
    if (is(&a[0], "INCR")) {
        if (n != 2)
            return wrong_args(r, &a[0]);
        if (upsert(a[1].p, a[1].n, T_STR, &e) < 0)
            return -ENOMEM;
        if (e->type != T_STR)
            return puts_(r, WRONGTYPE);
        long long v = 0;
        if (e->val.n) {
            char tmp[24], *end;
            if (e->val.n >= sizeof tmp)
                return puts_(r, "-ERR value is not an integer or out of range\r\n");
            memcpy(tmp, e->val.p, e->val.n);
            tmp[e->val.n] = 0;
            errno = 0;
            v = strtoll(tmp, &end, 10);
            if (*end || errno || isspace((unsigned char)tmp[0]) || v == LLONG_MAX)
                return puts_(r, "-ERR value is not an integer or out of range\r\n");
        }
        v++;
        char num[24];
        int k = snprintf(num, sizeof num, "%lld", v);
        if (str_set(&e->val, num, (size_t)k) < 0)
            return -ENOMEM;
        return put_int(r, ':', v);
    }
    int left = is(&a[0], "LPUSH");
    if (left || is(&a[0], "RPUSH")) {
        if (n < 3)
            return wrong_args(r, &a[0]);
        if (upsert(a[1].p, a[1].n, T_LIST, &e) < 0)
            return -ENOMEM;
        if (e->type != T_LIST)
            return puts_(r, WRONGTYPE);
        for (int i = 2; i < n; i++)
            if (list_push(e, a[i].p, a[i].n, left) < 0)
                return -ENOMEM;
        return put_int(r, ':', (long long)e->count);
    }
    left = is(&a[0], "LPOP");
    if (left || is(&a[0], "RPOP")) {
        if (n != 2)
            return wrong_args(r, &a[0]);
        if (!(e = lookup(a[1].p, a[1].n)))
            return puts_(r, "$-1\r\n");
        if (e->type != T_LIST)
            return puts_(r, WRONGTYPE);
        size_t i = left ? e->head : (e->head + e->count - 1) % e->cap;
        str_t v = e->items[i];
        if (left)
            e->head = (e->head + 1) % e->cap;
        e->count--;
        int rc = put_bulk(r, v.p, v.n);
        free(v.p);
        if (e->count == 0)
            del(a[1].p, a[1].n);
        return rc;
    }
    if (is(&a[0], "DEL")) {
        if (n < 2)
            return wrong_args(r, &a[0]);
        long long k = 0;
        for (int i = 1; i < n; i++)
            k += del(a[i].p, a[i].n);
        return put_int(r, ':', k);
    }
    if (is(&a[0], "CONFIG")) { /* CONFIG GET save|appendonly, as a server that keeps nothing */
        if (n == 3 && is(&a[1], "GET") && (is(&a[2], "SAVE") || is(&a[2], "APPENDONLY"))) {
            if (puts_(r, "*2\r\n") < 0 || put_bulk(r, a[2].p, a[2].n) < 0)
                return -ENOMEM;
            return is(&a[2], "SAVE") ? put_bulk(r, "", 0) : put_bulk(r, "no", 2);
        }
        return puts_(r, "*0\r\n");
    }
    char tmp[160];
    int k = snprintf(tmp, sizeof tmp, "-ERR unknown command '%.*s'\r\n", (int)(a[0].n > 64 ? 64 : a[0].n), a[0].p);
    return put(r, tmp, (size_t)k);
}

/* ---------------------------------------------------------------- framing */
#define EPROTO_ERR 1 /* a protocol error: reply and close */

/* A decimal after the type byte of line[0..n) (the "\r\n" excluded). */
static int parse_len(const char *line, size_t n, long long max, long long *out)
{
    if (n < 2)
        return -1;
    long long v = 0;
    size_t i = 1;
    int neg = line[1] == '-';
    if (neg)
        i++;
    if (i >= n)
        return -1;
    for (; i < n; i++) {
        if (line[i] < '0' || line[i] > '9' || v > max)
            return -1;
        v = v * 10 + (line[i] - '0');
    }
    if (neg)
        v = -v;
    if (v > max)
        return -1;
    *out = v;
    return 0;
}

/* The line without its "\r\n" (or "\n"). */
static size_t chomp(const char *line, size_t n)
{
    if (n && line[n - 1] == '\n')
        n--;
    if (n && line[n - 1] == '\r')
        n--;
    return n;
}

/* Read one request into c->argc/argv: 1 done, 0 EOF, EPROTO_ERR + 1 for a
 * protocol error (reply queued), < 0 an error. */
static int read_request(cio_stream_t *s, conn_t *c)
{
    ssize_t n = cio_stream_readline(s, c->line, sizeof c->line);
    if (n == -ENOBUFS || n == CIO_ELIMITOVERRUN)
        return 2;
    if (n <= 0)
        return (int)n;
    if (n > 0 && c->line[n - 1] != '\n')
        return 0; /* a partial line at EOF */
    size_t len = chomp(c->line, (size_t)n);
    c->argc = 0;
    c->args.n = 0;
    if (c->line[0] != '*') { /* inline: words separated by spaces */
        size_t i = 0;
        while (i < len) {
            while (i < len && c->line[i] == ' ')
                i++;
            size_t st = i;
            while (i < len && c->line[i] != ' ')
                i++;
            if (i > st) {
                if (c->argc == MAX_ARGS)
                    return 2;
                c->argv[c->argc].p = (char *)(uintptr_t)c->args.n;
                c->argv[c->argc++].n = i - st;
                if (put(&c->args, c->line + st, i - st) < 0)
                    return -ENOMEM;
            }
        }
    } else {
        long long argc;
        if (parse_len(c->line, len, MAX_ARGS, &argc) < 0)
            return 2;
        for (long long i = 0; i < argc; i++) {
            n = cio_stream_readline(s, c->line, sizeof c->line);
            if (n == -ENOBUFS || n == CIO_ELIMITOVERRUN)
                return 2;
            if (n <= 0)
                return n == 0 ? 0 : (int)n;
            long long blen;
            len = chomp(c->line, (size_t)n);
            if (c->line[0] != '$' || parse_len(c->line, len, MAX_BULK, &blen) < 0 || blen < 0)
                return 2;
            if (reserve(&c->args, (size_t)blen + 2) < 0)
                return -ENOMEM;
            n = cio_stream_readexactly(s, c->args.p + c->args.n, (size_t)blen + 2);
            if (n == CIO_EINCOMPLETE)
                return 0;
            if (n < 0)
                return (int)n;
            if (memcmp(c->args.p + c->args.n + blen, "\r\n", 2) != 0)
                return 2;
            c->argv[c->argc].p = (char *)(uintptr_t)c->args.n;
            c->argv[c->argc++].n = (size_t)blen;
            c->args.n += (size_t)blen + 2;
        }
    }
    for (int i = 0; i < c->argc; i++)
        c->argv[i].p = c->args.p + (uintptr_t)c->argv[i].p;
    return 1;
}

/* A connection error ends the handler quietly (the client went away). */
static int quiet(int rc)
{
    return (rc == -ECONNRESET || rc == -EPIPE || rc == -ETIMEDOUT || rc == CIO_ECLOSED) ? 0 : rc;
}

static int serve(cio_stream_t *s, void *arg)
{
    (void)arg;
    conn_t *c = calloc(1, sizeof *c);
    if (!c)
        return -ENOMEM;
    int rc;
    for (;;) {
        rc = read_request(s, c);
        if (rc <= 0)
            break;
        c->reply.n = 0;
        if (rc == 2) {
            static const char perr[] = "-ERR Protocol error\r\n";
            cio_stream_write(s, perr, sizeof perr - 1);
            rc = 0;
            break;
        }
        if ((rc = execute(c)) < 0)
            break;
        if (c->reply.n == 0) /* an empty request (`*0`, a blank line): no reply, as redis */
            continue;
        if ((rc = cio_stream_write(s, c->reply.p, c->reply.n)) < 0)
            break;
        if ((rc = cio_stream_drain(s)) < 0)
            break;
    }
    free(c->args.p);
    free(c->reply.p);
    free(c);
    return quiet(rc);
}

static int amain(void *arg, void **result)
{
    (void)result;
    int port = *(int *)arg;
    cio_server_opts_t opts = {.backlog = 1024};
    cio_server_t *sv = NULL;
    int rc = cio_start_server(serve, NULL, "127.0.0.1", port, &opts, &sv);
    if (rc < 0) {
        fprintf(stderr, "w12_resp: listen on 127.0.0.1:%d: %s\n", port, cio_strerror(rc));
        return rc;
    }
    rc = cio_server_serve_forever(sv);
    cio_unref(sv);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s PORT\n", argv[0]);
        return 2;
    }
    int port = (int)bench_arg(argc, argv, 1, 0);
    if (port <= 0 || port > 65535) {
        fprintf(stderr, "w12_resp: bad port '%s'\n", argv[1]);
        return 2;
    }
    int rc = cio_run(amain, &port, NULL);
    if (rc < 0 && rc != -ECANCELED)
        fprintf(stderr, "w12_resp: %s\n", cio_strerror(rc));
    return rc < 0 && rc != -ECANCELED;
}
