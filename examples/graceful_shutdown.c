/* graceful_shutdown: a TCP echo server that stops cleanly on SIGTERM (and on
 * Ctrl-C): it stops accepting at once, lets the connected clients finish
 * for a grace period, closes whoever is left, and exits 0 (asyncio's
 * add_signal_handler with a streams server).
 *
 *     import asyncio, signal
 *
 *     async def handle(reader, writer):
 *         async for line in reader:
 *             writer.write(line)
 *             await writer.drain()
 *         writer.close()
 *
 *     async def main():
 *         server = await asyncio.start_server(handle, '127.0.0.1', 8888)
 *         serving = asyncio.create_task(server.serve_forever())
 *         stop = asyncio.Event()
 *
 *         def on_signal(sig):
 *             print(f'received {sig.name}: no new connections')
 *             server.close()           # stop listening
 *             serving.cancel()         # serve_forever ends...
 *             stop.set()
 *
 *         loop = asyncio.get_running_loop()
 *         for sig in (signal.SIGTERM, signal.SIGINT):
 *             loop.add_signal_handler(sig, on_signal, sig)
 *         await stop.wait()
 *         done, _ = await asyncio.wait([serving], timeout=GRACE)
 *         if not done:                 # ...once the clients have left
 *             server.close_clients()
 *         try:
 *             await serving
 *         except asyncio.CancelledError:
 *             pass
 *         await server.wait_closed()
 *
 *     asyncio.run(main())
 *
 * The handler installed with cio_loop_add_signal_handler runs on the loop as
 * an ordinary callback, so it may call anything a callback may: here
 * cio_server_close, cio_task_cancel and cio_event_set.  A second signal
 * during the grace period closes the remaining connections at once.
 *
 * Usage: graceful_shutdown [PORT] [--selftest]
 *   PORT        port on 127.0.0.1 (default 8888; 0: a free one).  Stop it
 *               with `kill PID` (its pid is printed) or Ctrl-C.
 *   --selftest  run unattended (the demo's entry): on a free port, a client
 *               connects and echoes a line, sends SIGTERM to this very
 *               process (kill(getpid(), SIGTERM)), checks that a new
 *               connection is refused while its own is still served, then
 *               leaves; the server shuts down and the program exits 0 when
 *               everything happened as described.  ~0 s.
 */
#include <cio.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define GRACE 3.0 /* seconds the connected clients get after the signal */

struct state {
    cio_server_t *server;
    cio_task_t *serving;   /* the task running cio_server_serve_forever */
    cio_event_t stop;      /* set by the first signal */
    int signals;           /* signals received */
    int active, served;    /* connections open now, and in all */
};

struct signal_arg {
    struct state *st;
    const char *name; /* "SIGTERM" */
};

static double t0;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------- the server */

static int handle_echo(cio_stream_t *s, void *arg)
{
    struct state *st = arg;
    int id = ++st->served;
    st->active++;
    printf("[%.2f s] server: client %d connected (%d open)\n", now() - t0, id, st->active);
    const char *line;
    ssize_t n;
    int rc = 0;
    while ((n = cio_stream_readline_ref(s, &line)) > 0) /* async for line in reader */
        if ((rc = cio_stream_write(s, line, (size_t)n)) < 0 || (rc = cio_stream_drain(s)) < 0) break;
    if (n < 0) rc = (int)n;
    st->active--;
    printf("[%.2f s] server: client %d %s (%d open)\n", now() - t0, id,
           rc == CIO_ECLOSED ? "closed by the server" : "left", st->active);
    /* A client that vanishes, or that close_clients cut off, is no error. */
    return rc == -ECONNRESET || rc == -EPIPE || rc == CIO_ECLOSED ? 0 : rc;
}

/* The signal handler: a plain callback on the loop, not a C signal handler. */
static int on_signal(void *arg)
{
    struct signal_arg *sa = arg;
    struct state *st = sa->st;
    if (st->signals++ > 0) {
        printf("[%.2f s] %s again: closing the %d remaining connection(s) now\n", now() - t0,
               sa->name, st->active);
        return cio_server_close_clients(st->server);
    }
    printf("[%.2f s] received %s: closing the server (no new connections), cancelling serve_forever\n",
           now() - t0, sa->name);
    cio_server_close(st->server);
    if (st->serving) cio_task_cancel(st->serving, "shutdown");
    return cio_event_set(&st->stop);
}

static int serve(void *arg, void **result)
{
    struct state *st = arg;
    return cio_server_serve_forever(st->server); /* -ECANCELED once cancelled, after the clients left */
}

/* ------------------------------------------------ the selftest's client */

struct client {
    struct state *st;
    int port;
    int ok; /* everything happened as expected */
};

/* Send a line, read it back; 0 when the echo matched, else an error. */
static int echo_line(cio_stream_t *s, const char *msg)
{
    char buf[128];
    size_t len = strlen(msg);
    int rc = cio_stream_write(s, msg, len);
    if (rc == 0) rc = cio_stream_drain(s);
    if (rc < 0) return rc;
    ssize_t n = cio_stream_readline(s, buf, sizeof buf);
    if (n < 0) return (int)n;
    printf("[%.2f s] client: sent %.*s, got back %.*s\n", now() - t0, (int)len - 1, msg,
           n > 0 && buf[n - 1] == '\n' ? (int)n - 1 : (int)n, buf);
    return (size_t)n == len && memcmp(buf, msg, len) == 0 ? 0 : -EPROTO;
}

static int selftest_client(void *arg, void **result)
{
    struct client *c = arg;
    cio_stream_t *s, *s2;
    int rc = cio_open_connection("127.0.0.1", c->port, &s);
    if (rc < 0) return rc;
    if ((rc = echo_line(s, "hello\n")) < 0) goto out;

    printf("[%.2f s] client: kill(getpid(), SIGTERM)\n", now() - t0);
    fflush(stdout);
    kill(getpid(), SIGTERM);
    if ((rc = cio_event_wait(&c->st->stop)) < 0) goto out; /* the handler ran */

    /* The listener is closed: a new connection is refused... */
    rc = cio_open_connection("127.0.0.1", c->port, &s2);
    if (rc == 0) {
        printf("[%.2f s] client: a new connection was accepted after the signal\n", now() - t0);
        cio_unref(s2);
        rc = -EPROTO;
        goto out;
    }
    printf("[%.2f s] client: a new connection is refused (%s)\n", now() - t0, cio_strerror(rc));
    /* ...while this one is still served during the grace period. */
    if ((rc = echo_line(s, "still served during shutdown\n")) < 0) goto out;
    c->ok = 1;
out:
    printf("[%.2f s] client: leaving\n", now() - t0);
    cio_stream_close(s);
    int wrc = cio_stream_wait_closed(s);
    cio_unref(s);
    return rc < 0 ? rc : wrc;
}

/* ------------------------------------------------------------------ main */

struct options {
    int port;
    int selftest;
};

static int amain(void *arg, void **result)
{
    struct options *opt = arg;
    struct state st = {.stop = CIO_EVENT_INIT};
    struct signal_arg on_term = {&st, "SIGTERM"}, on_int = {&st, "SIGINT"};
    cio_task_t *client_task = NULL;
    struct client cl = {.st = &st};
    cio_loop_t *loop;
    int rc = cio_get_running_loop(&loop);
    if (rc < 0) return rc;

    rc = cio_start_server(handle_echo, &st, "127.0.0.1", opt->port, NULL, &st.server);
    if (rc < 0) return rc;
    printf("[%.2f s] serving on 127.0.0.1:%d, pid %d; stop with kill %d (SIGTERM) or Ctrl-C\n", now() - t0,
           cio_server_port(st.server), (int)getpid(), (int)getpid());
    fflush(stdout);
    if ((rc = cio_loop_add_signal_handler(loop, SIGTERM, on_signal, &on_term)) < 0 ||
        (rc = cio_loop_add_signal_handler(loop, SIGINT, on_signal, &on_int)) < 0)
        goto out;
    if (!(st.serving = cio_create_task_named(serve, &st, "serve_forever"))) {
        rc = -ENOMEM;
        goto out;
    }
    if (opt->selftest) {
        cl.port = cio_server_port(st.server);
        if (!(client_task = cio_create_task_named(selftest_client, &cl, "client"))) {
            rc = -ENOMEM;
            goto out;
        }
    }

    if ((rc = cio_event_wait(&st.stop)) < 0) goto out;
    printf("[%.2f s] shutdown: waiting up to %.0f s for %d connection(s)\n", now() - t0, GRACE, st.active);
    size_t ndone = 0;
    if ((rc = cio_wait(&st.serving, 1, GRACE, CIO_ALL_COMPLETED, NULL, &ndone, NULL, NULL)) < 0) goto out;
    if (ndone == 0) {
        printf("[%.2f s] shutdown: grace period over, closing %d connection(s)\n", now() - t0, st.active);
        cio_server_close_clients(st.server);
    }
    rc = cio_await(st.serving, NULL);
    printf("[%.2f s] shutdown: serve_forever ended (%s)\n", now() - t0, cio_err_name(rc));
    if (rc != -ECANCELED) { /* it was cancelled: anything else is a surprise */
        if (rc == 0) rc = -EPROTO;
        goto out;
    }
    if ((rc = cio_server_wait_closed(st.server)) < 0) goto out;
    printf("[%.2f s] shutdown: server closed, %d connection(s) open, %d served in all\n", now() - t0, st.active,
           st.served);
    if (client_task) {
        rc = cio_await(client_task, NULL);
        if (rc == 0 && !cl.ok) rc = -EPROTO;
        printf("[%.2f s] selftest: %s\n", now() - t0, rc == 0 ? "ok" : cio_strerror(rc));
    }
out:
    cio_loop_remove_signal_handler(loop, SIGTERM);
    cio_loop_remove_signal_handler(loop, SIGINT);
    if (rc < 0) { /* an early failure: stop whatever still runs */
        cio_server_close(st.server);
        cio_server_abort_clients(st.server);
        cio_task_t *left[2] = {client_task, st.serving};
        for (int i = 0; i < 2; i++) {
            if (!left[i]) continue;
            cio_task_cancel(left[i], NULL);
            cio_await(left[i], NULL);
        }
    }
    cio_unref(client_task);
    cio_unref(st.serving);
    cio_unref(st.server);
    return rc;
}

static int usage(void)
{
    fprintf(stderr, "usage: graceful_shutdown [PORT] [--selftest]\n");
    return 2;
}

int main(int argc, char **argv)
{
    struct options opt = {.port = 8888};
    for (int i = 1; i < argc; i++) {
        char *end;
        long v;
        if (strcmp(argv[i], "--selftest") == 0) opt.selftest = 1;
        else if ((v = strtol(argv[i], &end, 10)) >= 0 && v <= 65535 && *argv[i] && !*end) opt.port = (int)v;
        else return usage();
    }
    if (opt.selftest) {
        opt.port = 0;
        alarm(10); /* a broken library fails the demo (SIGALRM), never hangs it */
    }
    t0 = now();
    int rc = cio_run(amain, &opt, NULL);
    if (rc < 0) {
        fprintf(stderr, "graceful_shutdown: %s\n", cio_strerror(rc));
        return 1;
    }
    printf("elapsed: %.2f s\n", now() - t0);
    return 0;
}
