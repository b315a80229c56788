/* A small key-value server written the way docs/guide.md, "Writing a
 * server", teaches: line framing with a declared length for values,
 * pipelining, limits on what a client can make the server hold, back-
 * pressure, quiet handling of the errors that are normal, and a graceful
 * shutdown with a deadline on Ctrl-C or SIGTERM.
 *
 * The protocol (one command per line; a value follows its line):
 *     SET key nbytes\n<nbytes bytes>\n  ->  OK\n
 *     GET key\n                         ->  VALUE nbytes\n<bytes>\n   or  NONE\n
 *     QUIT\n                            ->  BYE\n, then the server closes
 * anything else -> ERR reason\n; a line over 256 bytes: ERR line too long\n
 * and the server closes the connection
 *
 *     kv_server [PORT]     serve until Ctrl-C or SIGTERM
 *     kv_server --selftest serve on a free port, run a pipelining client and
 *                          a misbehaving one against it, then shut down
 */
#include <cio.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_KEYS 1024
#define MAX_VALUE (1024 * 1024) /* a declared length is not a promise: cap it */
#define MAX_LINE 256            /* the stream's limit: a longer line is refused */

struct entry {
    char key[64];
    char *value;
    size_t len;
};
static struct entry table[MAX_KEYS];

static struct entry *lookup(const char *key, int create)
{
    for (int i = 0; i < MAX_KEYS; i++)
        if (table[i].value && strcmp(table[i].key, key) == 0)
            return &table[i];
    if (!create || strlen(key) >= sizeof table[0].key)
        return NULL;
    for (int i = 0; i < MAX_KEYS; i++)
        if (!table[i].value) {
            strcpy(table[i].key, key);
            return &table[i];
        }
    return NULL;
}

/* One command; < 0 ends the connection (its error), 1 asks to close. */
static int command(cio_stream_t *s, char *line)
{
    char key[64];
    unsigned long n;
    char reply[96];
    if (sscanf(line, "SET %63s %lu", key, &n) == 2) {
        if (n > MAX_VALUE)
            return cio_stream_write(s, "ERR value too large\n", 20) < 0 ? -1 : 1; /* its bytes would follow */
        char *v = malloc(n + 1);
        if (!v)
            return -1;
        ssize_t got = cio_stream_readexactly(s, v, n + 1); /* the value and its '\n' */
        if (got < 0 || v[n] != '\n') {
            free(v);
            return got < 0 ? (int)got : cio_stream_write(s, "ERR bad value\n", 14) < 0 ? -1 : 1;
        }
        struct entry *e = lookup(key, 1);
        if (!e) {
            free(v);
            return cio_stream_write(s, "ERR full\n", 9);
        }
        free(e->value);
        e->value = v;
        e->len = n;
        return cio_stream_write(s, "OK\n", 3);
    }
    if (sscanf(line, "GET %63s", key) == 1) {
        struct entry *e = lookup(key, 0);
        if (!e)
            return cio_stream_write(s, "NONE\n", 5);
        int len = snprintf(reply, sizeof reply, "VALUE %zu\n", e->len);
        struct iovec v[3] = {{reply, (size_t)len}, {e->value, e->len}, {"\n", 1}};
        return cio_stream_writev(s, v, 3);
    }
    if (strcmp(line, "QUIT") == 0)
        return cio_stream_write(s, "BYE\n", 4) < 0 ? -1 : 1;
    return cio_stream_write(s, "ERR unknown command\n", 20);
}

static int handle(cio_stream_t *s, void *arg)
{
    (void)arg;
    char line[MAX_LINE + 2];
    for (;;) {
        ssize_t n = cio_stream_readline(s, line, sizeof line);
        if (n == CIO_ELIMITOVERRUN) {
            /* Over the limit: readline dropped what it held.  The client
             * does not speak the protocol: say why, and close. */
            cio_stream_write(s, "ERR line too long\n", 18);
            break;
        }
        if (n <= 0)
            break; /* 0: the client is done; < 0: reset, cancelled, closed */
        if (line[n - 1] != '\n')
            break; /* a last line without its '\n' (EOF): nothing to answer */
        line[n - 1] = 0;
        int rc = command(s, line);
        /* The reply waits in the stream's buffer and leaves with the others
         * of this iteration; drain waits only when the client does not
         * read (back-pressure). */
        if (rc < 0 || cio_stream_drain(s) < 0 || rc == 1)
            break;
    }
    return 0; /* the stream is closed for us, its buffered replies sent first */
}

/* ---------------------------------------------------------- the selftest */

static int expect(cio_stream_t *c, const char *want)
{
    char buf[256];
    ssize_t n = cio_stream_readline(c, buf, sizeof buf - 1);
    if (n < 0)
        return (int)n;
    buf[n] = 0;
    printf("  <- %s", buf);
    return strcmp(buf, want) == 0 ? 0 : -EPROTO;
}

static int selftest_client(void *arg, void **result)
{
    (void)result;
    int port = *(int *)arg;
    cio_stream_t *c;
    int rc = cio_open_connection("127.0.0.1", port, &c);
    if (rc < 0)
        return rc;
    /* Pipelined: three commands in one write, answered in order. */
    const char *batch = "SET greeting 5\nhello\nGET greeting\nGET nothing\n";
    printf("  -> three pipelined commands\n");
    rc = cio_stream_write(c, batch, strlen(batch));
    if (rc == 0)
        rc = expect(c, "OK\n");
    if (rc == 0)
        rc = expect(c, "VALUE 5\n");
    if (rc == 0)
        rc = expect(c, "hello\n");
    if (rc == 0)
        rc = expect(c, "NONE\n");
    /* A misbehaving client: a line far over the limit, then a value size
     * that is a lie. */
    static char huge[100000];
    memset(huge, 'x', sizeof huge - 1);
    huge[sizeof huge - 1] = '\n';
    printf("  -> SET big 999999999 (over the 1 MiB cap)\n");
    if (rc == 0 && (rc = cio_stream_write(c, "SET big 999999999\n", 18)) == 0)
        rc = expect(c, "ERR value too large\n");
    cio_unref(c);
    if (rc < 0)
        return rc;
    if ((rc = cio_open_connection("127.0.0.1", port, &c)) < 0)
        return rc;
    printf("  -> a 100 kB line\n");
    if ((rc = cio_stream_write(c, huge, sizeof huge)) == 0)
        rc = expect(c, "ERR line too long\n");
    if (rc == 0) {
        char b[8];
        rc = cio_stream_read(c, b, sizeof b) == 0 ? 0 : -EPROTO; /* then the server closed */
        printf("  <- (closed)\n");
    }
    cio_unref(c);
    return rc;
}

static int selftest(void *arg, void **result)
{
    (void)arg;
    (void)result;
    cio_server_t *sv;
    cio_server_opts_t o = {.limit = MAX_LINE};
    int rc = cio_start_server(handle, NULL, "127.0.0.1", 0, &o, &sv);
    if (rc < 0)
        return rc;
    int port = cio_server_port(sv);
    printf("serving on 127.0.0.1:%d\n", port);
    cio_task_t *client = cio_create_task(selftest_client, &port);
    rc = client ? cio_await(client, NULL) : -ENOMEM;
    cio_unref(client);
    /* An idle client stays connected: the shutdown gives it 0.2 s. */
    cio_stream_t *idle = NULL;
    if (rc == 0)
        rc = cio_open_connection("127.0.0.1", port, &idle);
    if (rc == 0)
        rc = cio_sleep(0.05);
    int left = cio_server_shutdown(sv, 0.2);
    printf("shutdown: %d connection(s) cut off at the deadline\n", left);
    cio_unref(idle);
    cio_unref(sv);
    return rc < 0 ? rc : left == 1 ? 0 : -EPROTO;
}

/* ---------------------------------------------------------------- serving */

static int on_sigterm(void *arg)
{
    cio_task_cancel(arg, "SIGTERM"); /* as Ctrl-C does through cio_run */
    return 0;
}

static int serve(void *arg, void **result)
{
    (void)result;
    int port = *(int *)arg;
    cio_server_t *sv;
    cio_server_opts_t o = {.limit = MAX_LINE};
    int rc = cio_start_server(handle, NULL, "127.0.0.1", port, &o, &sv);
    if (rc < 0)
        return rc;
    cio_loop_t *loop;
    cio_get_running_loop(&loop);
    cio_loop_add_signal_handler(loop, SIGTERM, on_sigterm, cio_current_task());
    printf("serving on 127.0.0.1:%d; Ctrl-C or SIGTERM to stop\n", cio_server_port(sv));
    rc = cio_server_wait_closed(sv); /* until cancelled */
    int left = cio_server_shutdown(sv, 5.0);
    printf("stopped; %d connection(s) cut off after 5 s\n", left < 0 ? 0 : left);
    cio_loop_remove_signal_handler(loop, SIGTERM);
    cio_unref(sv);
    return rc == -ECANCELED || rc == 0 ? 0 : rc;
}

int main(int argc, char **argv)
{
    int rc;
    if (argc > 1 && strcmp(argv[1], "--selftest") == 0) {
        rc = cio_run(selftest, NULL, NULL);
    } else {
        int port = argc > 1 ? atoi(argv[1]) : 8379;
        rc = cio_run(serve, &port, NULL);
        if (rc == CIO_EINTERRUPTED)
            rc = 0;
    }
    for (int i = 0; i < MAX_KEYS; i++)
        free(table[i].value);
    if (rc < 0)
        fprintf(stderr, "kv_server: %s\n", cio_strerror(rc));
    return rc < 0;
}
