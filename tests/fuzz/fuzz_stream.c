/* libFuzzer target for the stream reader: the input is a script of chunks
 * fed into one end of a socket pair (by one task, yielding between chunks)
 * and reads done on a cio stream over the other end (by another task):
 * readline, readline_ref, readuntil, readuntil_any, readexactly, read, with
 * a limit and separators from the input.  Every byte a read hands back must
 * be the next byte of what was fed (until a readline overrun discards an
 * unknown amount), every result must obey asyncio's rules, and the sanitizers
 * watch the buffer arithmetic.
 *
 *   cmake -DCIO_FUZZ=ON -DCMAKE_C_COMPILER=clang ... ; ./fuzz_stream -max_total_time=30 */
#include <cio.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAXOPS 256

enum { OP_FEED, OP_READLINE, OP_READUNTIL, OP_READEXACTLY, OP_READ, OP_READUNTIL_ANY, OP_READLINE_REF, OP_CAP };

struct op {
    uint8_t kind, arg;
    const uint8_t *data; /* OP_FEED */
    size_t len;
};

struct script {
    size_t limit;
    char sep1[3], sep2[2];
    size_t sep1len, sep2len;
    struct op ops[MAXOPS];
    size_t nops;
    uint8_t *stream; /* everything fed, in order */
    size_t streamlen;
    int raw;
    cio_stream_t *s;
};

#define FAIL(...)                                                       \
    do {                                                                \
        fprintf(stderr, "fuzz_stream: " __VA_ARGS__);                   \
        fputc('\n', stderr);                                            \
        abort();                                                        \
    } while (0)

static int feeder(void *arg, void **result)
{
    struct script *sc = arg;
    for (size_t i = 0; i < sc->nops; i++) {
        const struct op *o = &sc->ops[i];
        if (o->kind != OP_FEED)
            continue;
        size_t off = 0;
        while (off < o->len) {
            ssize_t n = send(sc->raw, o->data + off, o->len - off, MSG_DONTWAIT | MSG_NOSIGNAL);
            if (n > 0) {
                off += (size_t)n;
                continue;
            }
            if (n < 0 && errno != EAGAIN)
                return -errno;
            int rc = cio_wait_writable(sc->raw, 5.0);
            if (rc < 0)
                return rc;
        }
        for (unsigned k = 0; k < (o->arg & 3u); k++)
            if (cio_yield() < 0)
                return -ECANCELED;
    }
    shutdown(sc->raw, SHUT_WR);
    return 0;
}

struct pos {
    size_t at;  /* the next byte of sc->stream a read should return */
    int synced; /* 0 after a discard of unknown size */
    int eof;
};

static void got(struct script *sc, struct pos *p, const void *data, size_t n, const char *what)
{
    if (!p->synced) {
        /* Content after a discard is some later part of the stream. */
        if (n && !memmem(sc->stream + p->at, sc->streamlen - p->at, data, n))
            FAIL("%s: %zu bytes that were never fed (after a discard)", what, n);
        return;
    }
    if (p->at + n > sc->streamlen || memcmp(sc->stream + p->at, data, n) != 0)
        FAIL("%s: %zu bytes at %zu differ from what was fed", what, n, p->at);
    p->at += n;
}

static int reader(void *arg, void **result)
{
    struct script *sc = arg;
    struct pos p = {0, 1, 0};
    char buf[512];
    const void *seps[2] = {sc->sep1, sc->sep2};
    size_t lens[2] = {sc->sep1len, sc->sep2len};
    for (size_t i = 0; i < sc->nops && !p.eof; i++) {
        const struct op *o = &sc->ops[i];
        size_t cap = o->arg % 2 ? sizeof buf : (size_t)(o->arg % 64) + 1;
        ssize_t n;
        switch (o->kind) {
        case OP_FEED:
            continue;
        case OP_READLINE:
            n = cio_stream_readline(sc->s, buf, cap);
            if (n > 0) {
                got(sc, &p, buf, (size_t)n, "readline");
                if (buf[n - 1] != '\n' && !cio_stream_at_eof(sc->s))
                    FAIL("readline: a line without '\\n' before EOF");
            } else if (n == 0) {
                p.eof = 1;
            } else if (n == CIO_ELIMITOVERRUN) {
                p.synced = 0;
            } else if (n != -ENOBUFS) {
                FAIL("readline: %s", cio_err_name((int)n));
            }
            break;
        case OP_READLINE_REF: {
            const char *line;
            n = cio_stream_readline_ref(sc->s, &line);
            if (n > 0)
                got(sc, &p, line, (size_t)n, "readline_ref");
            else if (n == 0)
                p.eof = 1;
            else if (n == CIO_ELIMITOVERRUN)
                p.synced = 0;
            else
                FAIL("readline_ref: %s", cio_err_name((int)n));
            break;
        }
        case OP_READUNTIL:
        case OP_READUNTIL_ANY:
            n = cio_stream_readuntil_any(sc->s, seps, lens, o->kind == OP_READUNTIL ? 1 : 2, buf, cap);
            if (n > 0) {
                got(sc, &p, buf, (size_t)n, "readuntil");
                int ok = 0;
                for (int k = 0; k < (o->kind == OP_READUNTIL ? 1 : 2); k++)
                    ok |= (size_t)n >= lens[k] && memcmp(buf + n - lens[k], seps[k], lens[k]) == 0 &&
                          (size_t)n - lens[k] <= sc->limit;
                if (!ok)
                    FAIL("readuntil: a result that does not end in a separator within the limit");
            } else if (n == CIO_EINCOMPLETE) {
                size_t part = cio_stream_partial(sc->s);
                if (part > cap)
                    FAIL("readuntil: partial %zu > cap %zu", part, cap);
                got(sc, &p, buf, part, "readuntil partial");
                p.eof = 1;
            } else if (n == CIO_ELIMITOVERRUN) {
                /* the buffer is kept; consumed (the partial count) may be 0 */
            } else if (n != -ENOBUFS) {
                FAIL("readuntil: %s", cio_err_name((int)n));
            }
            break;
        case OP_READEXACTLY: {
            size_t want = (size_t)(o->arg % 40) + 1;
            n = cio_stream_readexactly(sc->s, buf, want);
            if (n >= 0) {
                if ((size_t)n != want)
                    FAIL("readexactly: %zd of %zu", n, want);
                got(sc, &p, buf, want, "readexactly");
            } else if (n == CIO_EINCOMPLETE) {
                size_t part = cio_stream_partial(sc->s);
                if (part >= want)
                    FAIL("readexactly: partial %zu of %zu", part, want);
                got(sc, &p, buf, part, "readexactly partial");
                p.eof = 1;
            } else {
                FAIL("readexactly: %s", cio_err_name((int)n));
            }
            break;
        }
        case OP_READ:
        default:
            n = cio_stream_read(sc->s, buf, (size_t)(o->arg % 40) + 1);
            if (n > 0)
                got(sc, &p, buf, (size_t)n, "read");
            else if (n == 0)
                p.eof = 1;
            else
                FAIL("read: %s", cio_err_name((int)n));
            break;
        }
    }
    /* Whatever is left, to the end: nothing lost, nothing extra. */
    char *rest = NULL;
    ssize_t n = cio_stream_read_all(sc->s, &rest);
    if (n < 0)
        FAIL("read_all: %s", cio_err_name((int)n));
    got(sc, &p, rest, (size_t)n, "read_all");
    if (p.synced && p.at != sc->streamlen)
        FAIL("%zu bytes fed, %zu read", sc->streamlen, p.at);
    cio_free(rest);
    return 0;
}

static int amain(void *arg, void **result)
{
    struct script *sc = arg;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
        return -errno;
    sc->raw = sv[0];
    cio_conn_opts_t o = {.limit = sc->limit};
    int rc = cio_stream_from_fd(sv[1], &o, &sc->s);
    if (rc < 0)
        FAIL("stream_from_fd: %s", cio_err_name(rc));
    cio_task_t *f = cio_create_task(feeder, sc), *r = cio_create_task(reader, sc);
    if (!f || !r)
        FAIL("create_task");
    if ((rc = cio_await(r, NULL)) < 0)
        FAIL("reader: %s", cio_err_name(rc));
    if ((rc = cio_await(f, NULL)) < 0)
        FAIL("feeder: %s", cio_err_name(rc));
    cio_unref(f);
    cio_unref(r);
    cio_unref(sc->s);
    close(sc->raw);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    struct script sc;
    memset(&sc, 0, sizeof sc);
    sc.limit = (size_t)(data[0] % 48) + 1;
    static const char alpha[] = "\n\r:ab";
    sc.sep1len = (size_t)(data[1] % 3) + 1;
    for (size_t i = 0; i < sc.sep1len; i++)
        sc.sep1[i] = alpha[(data[1] >> (2 + i)) % 5];
    sc.sep2len = (size_t)(data[2] % 2) + 1;
    for (size_t i = 0; i < sc.sep2len; i++)
        sc.sep2[i] = alpha[(data[2] >> (1 + 2 * i)) % 5];
    size_t at = 3, total = 0;
    while (at + 2 <= size && sc.nops < MAXOPS) {
        struct op *o = &sc.ops[sc.nops++];
        o->kind = data[at] % OP_CAP;
        o->arg = data[at + 1];
        at += 2;
        if (o->kind == OP_FEED) {
            size_t len = (size_t)(o->arg >> 2) % 48 + 1;
            if (len > size - at)
                len = size - at;
            o->data = data + at;
            o->len = len;
            at += len;
            total += len;
        }
    }
    sc.stream = malloc(total + 1);
    if (!sc.stream)
        return 0;
    for (size_t i = 0; i < sc.nops; i++)
        if (sc.ops[i].kind == OP_FEED) {
            memcpy(sc.stream + sc.streamlen, sc.ops[i].data, sc.ops[i].len);
            sc.streamlen += sc.ops[i].len;
        }
    /* One runner (one loop) for every input: a cio_run per input, which
     * makes and closes a loop each time, is ~40 times slower under ASan. */
    static cio_runner_t *runner;
    if (!runner && cio_runner_new(NULL, &runner) < 0)
        FAIL("runner_new");
    int rc = cio_runner_run(runner, amain, &sc, NULL);
    if (rc < 0)
        FAIL("runner_run: %s", cio_err_name(rc));
    free(sc.stream);
    return 0;
}
