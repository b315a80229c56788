/* subprocess_protocol: asyncio's "loop.subprocess_exec() and
 * SubprocessProtocol" example (get the current date from a child through a
 * protocol), and the same output parsed line by line from a stream that
 * the protocol feeds.
 *
 *     class DateProtocol(asyncio.SubprocessProtocol):
 *         def __init__(self, exit_future):
 *             self.exit_future = exit_future
 *             self.output = bytearray()
 *             self.pipe_closed = False
 *             self.exited = False
 *         def pipe_connection_lost(self, fd, exc):
 *             self.pipe_closed = True
 *             self.check_for_exit()
 *         def pipe_data_received(self, fd, data):
 *             self.output.extend(data)
 *         def process_exited(self):
 *             self.exited = True
 *             self.check_for_exit()
 *         def check_for_exit(self):
 *             if self.pipe_closed and self.exited:
 *                 self.exit_future.set_result(True)
 *
 *     async def get_date():
 *         loop = asyncio.get_running_loop()
 *         exit_future = asyncio.Future(loop=loop)
 *         transport, protocol = await loop.subprocess_exec(
 *             lambda: DateProtocol(exit_future),
 *             sys.executable, '-c', 'import datetime; print(datetime.datetime.now())',
 *             stdin=None, stderr=None)
 *         await exit_future
 *         transport.close()
 *         return bytes(protocol.output).decode('ascii').rstrip()
 *
 *     date = asyncio.run(get_date())
 *     print(f"Current date: {date}")
 *
 * The child here is date(1).  The second part runs `printf` through the
 * same kind of protocol, whose pipe_data_received feeds a cio_stream_new
 * stream (asyncio: a StreamReader fed by hand) and whose connection_lost
 * feeds its EOF; a task reads it with cio_stream_readline.  The program
 * checks what it saw and exits 0 when all of it holds.
 *
 * Usage: subprocess_protocol
 */
#include <cio.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

/* ---------------------------------------------------- DateProtocol */

struct date_proto {
    cio_future_t *exit_future;
    char output[256];
    size_t len;
    int pipe_closed, exited;
};

static void check_for_exit(struct date_proto *d)
{
    if (d->pipe_closed && d->exited)
        cio_future_set_result(d->exit_future, NULL);
}

static void date_pipe_lost(cio_process_t *p, int fd, int err, void *ud)
{
    struct date_proto *d = ud;
    d->pipe_closed = 1;
    check_for_exit(d);
}

static void date_data(cio_process_t *p, int fd, const void *data, size_t n, void *ud)
{
    struct date_proto *d = ud;
    if (n > sizeof d->output - 1 - d->len)
        n = sizeof d->output - 1 - d->len;
    memcpy(d->output + d->len, data, n);
    d->len += n;
    d->output[d->len] = 0;
}

static void date_exited(cio_process_t *p, void *ud)
{
    struct date_proto *d = ud;
    d->exited = 1;
    check_for_exit(d);
}

static const cio_subprocess_protocol_t date_protocol = {
    .pipe_data_received = date_data,
    .pipe_connection_lost = date_pipe_lost,
    .process_exited = date_exited,
};

static int get_date(char *out, size_t cap)
{
    struct date_proto d = {.exit_future = cio_create_future()};
    if (!d.exit_future)
        return -ENOMEM;
    const char *const argv[] = {"date", "+%Y-%m-%d %H:%M:%S", NULL};
    cio_process_opts_t opts = {.stdout_mode = CIO_STDIO_PIPE}; /* stdin=None, stderr=None */
    cio_process_t *transport;
    int rc = cio_subprocess_exec(&date_protocol, &d, argv, &opts, &transport);
    if (rc == 0) {
        rc = cio_await(d.exit_future, NULL);
        cio_process_close(transport);
        cio_unref(transport);
    }
    cio_unref(d.exit_future);
    while (d.len && (d.output[d.len - 1] == '\n' || d.output[d.len - 1] == ' '))
        d.output[--d.len] = 0; /* rstrip() */
    snprintf(out, cap, "%s", d.output);
    return rc;
}

/* ------------------------------------- a protocol feeding a stream */

static void feed_data(cio_process_t *p, int fd, const void *data, size_t n, void *ud)
{
    cio_stream_feed_data(ud, data, n);
}

static void feed_end(cio_process_t *p, int err, void *ud)
{
    int code = -1;
    cio_process_returncode(p, &code);
    if (code != 0) /* the reader sees the failure, with a message */
        cio_stream_set_exception(ud, -ECHILD, "the child failed");
    else
        cio_stream_feed_eof(ud);
}

static const cio_subprocess_protocol_t feeding_protocol = {
    .pipe_data_received = feed_data,
    .connection_lost = feed_end,
};

static int count_lines(int *nlines)
{
    cio_stream_t *s;
    int rc = cio_stream_new(0, &s);
    if (rc < 0)
        return rc;
    cio_process_opts_t opts = {.stdout_mode = CIO_STDIO_PIPE};
    cio_process_t *transport;
    rc = cio_subprocess_shell(&feeding_protocol, s, "printf 'alpha\\nbeta\\ngamma\\n'", &opts, &transport);
    if (rc == 0) {
        char line[64];
        ssize_t n;
        while ((n = cio_stream_readline(s, line, sizeof line)) > 0) {
            printf("line %d: %.*s", ++*nlines, (int)n, line);
        }
        rc = (int)n;
        cio_process_wait(transport, NULL); /* returns after connection_lost */
        cio_unref(transport);
    }
    cio_unref(s);
    return rc;
}

static int amain(void *arg, void **result)
{
    char date[256];
    int rc = get_date(date, sizeof date);
    if (rc < 0)
        return rc;
    printf("Current date: %s\n", date);
    int nlines = 0;
    if ((rc = count_lines(&nlines)) < 0)
        return rc;
    /* The checks: a date of the form YYYY-MM-DD HH:MM:SS, three lines. */
    int ok = strlen(date) == 19 && date[4] == '-' && date[10] == ' ' && nlines == 3;
    printf("%s\n", ok ? "ok" : "FAILED");
    return ok ? 0 : -EPROTO;
}

int main(void)
{
    int rc = cio_run(amain, NULL, NULL);
    if (rc < 0)
        fprintf(stderr, "subprocess_protocol: %s\n", cio_strerror(rc));
    return rc < 0;
}
