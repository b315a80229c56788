/* Every core: a loop group runs one loop per CPU; a streams server listens
 * on every loop (SO_REUSEPORT: the kernel spreads the connections); each
 * request bumps a counter kept by one task on loop 0, fed through a
 * channel; the running total is read with a call across loops.
 *
 * By default it tests itself: loop 0 also runs CLIENTS clients that send
 * HITS requests each, then closes the servers and the channel, and prints
 * the total and how the connections were spread.  With --serve PORT it
 * serves until Ctrl-C (try `nc 127.0.0.1 PORT` and type lines).
 * usage: every_core [--serve PORT] [-n LOOPS] */
#include <cio.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CLIENTS = 24, HITS = 5 };

static cio_loop_group_t *group;
static cio_chan_t *hits;          /* ints: +1 per request */
static long total;                /* loop 0's: only the counter task writes it */
static atomic_int conns_per_loop[64];
static int serve_port = -1;

/* On loop 0: the only owner of `total`. */
static int counter(void *arg, void **result)
{
    int one, rc;
    while ((rc = cio_chan_recv(hits, &one)) == 0)
        total += one;
    return rc == CIO_ECHANCLOSED ? 0 : rc; /* closed and drained */
}

/* Runs on loop 0 when called from any loop. */
static int read_total(void *arg, void **result)
{
    *result = (void *)(intptr_t)total;
    return 0;
}

/* A connection, on whichever loop accepted it. */
static int handle(cio_stream_t *s, void *arg)
{
    int me = cio_loop_group_index();
    atomic_fetch_add(&conns_per_loop[me % 64], 1);
    char line[256];
    ssize_t n;
    while ((n = cio_stream_readline(s, line, sizeof line)) > 0) {
        int one = 1, rc = cio_chan_send(hits, &one); /* waits if loop 0 lags */
        void *seen = NULL;
        if (rc == 0)
            rc = cio_loop_group_call(group, 0, read_total, NULL, &seen);
        if (rc < 0)
            return rc;
        char out[64];
        int k = snprintf(out, sizeof out, "loop %d, total so far %ld\n", me, (long)(intptr_t)seen);
        if ((rc = cio_stream_write(s, out, (size_t)k)) < 0 || (rc = cio_stream_drain(s)) < 0)
            return rc;
    }
    return 0;
}

static int client(void *arg, void **result)
{
    int port = (int)(intptr_t)arg;
    cio_stream_t *s;
    int rc = cio_open_connection("127.0.0.1", port, &s);
    if (rc < 0)
        return rc;
    char line[128];
    for (int i = 0; i < HITS && rc == 0; i++) {
        rc = cio_stream_write(s, "hit\n", 4);
        if (rc == 0) {
            ssize_t n = cio_stream_readline(s, line, sizeof line);
            rc = n > 0 ? 0 : n == 0 ? -ECONNRESET : (int)n;
        }
    }
    cio_stream_close(s);
    cio_stream_wait_closed(s);
    cio_unref(s);
    return rc;
}

static int loop_main(void *arg, void **result)
{
    if (cio_loop_group_index() != 0)
        return 0; /* the other loops serve until loop 0's main ends */
    cio_task_t *ct = cio_create_task(counter, NULL);
    if (!ct)
        return -ENOMEM;
    cio_loop_group_server_t *gs;
    int rc = cio_loop_group_start_server(group, handle, NULL, "127.0.0.1", serve_port > 0 ? serve_port : 0, NULL,
                                         &gs);
    if (rc < 0) {
        cio_chan_close(hits);
        cio_await(ct, NULL);
        cio_unref(ct);
        return cio_fail(rc, "starting the servers: %s", cio_strerror(rc));
    }
    int port = cio_loop_group_server_port(gs);
    if (serve_port > 0) {
        printf("serving on 127.0.0.1:%d with %d loops; Ctrl-C stops\n", port, cio_loop_group_size(group));
        fflush(stdout);
        rc = cio_sleep(1e9); /* until Ctrl-C cancels this main */
    } else {
        cio_task_t *cs[CLIENTS];
        for (int i = 0; i < CLIENTS; i++)
            cs[i] = cio_create_task(client, (void *)(intptr_t)port);
        rc = cio_gather(cs, CLIENTS, NULL, NULL, 0);
        for (int i = 0; i < CLIENTS; i++)
            cio_unref(cs[i]);
    }
    /* Graceful: stop listening everywhere, end the connections, wait. */
    cio_loop_group_server_close(gs);
    cio_loop_group_server_close_clients(gs);
    cio_loop_group_server_wait_closed(gs);
    cio_loop_group_server_free(gs);
    cio_chan_close(hits); /* the counter drains what is left and ends */
    cio_await(ct, NULL);
    cio_unref(ct);
    printf("total hits: %ld (expected %d)\n", total, serve_port > 0 ? (int)total : CLIENTS * HITS);
    return rc == -ECANCELED ? 0 : rc;
}

int main(int argc, char **argv)
{
    cio_loop_group_opts_t opts = {0, 0, 0};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--serve") && i + 1 < argc)
            serve_port = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-n") && i + 1 < argc)
            opts.nloops = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: %s [--serve PORT] [-n LOOPS]\n", argv[0]);
            return 2;
        }
    }
    int rc = cio_chan_new(sizeof(int), 64, &hits);
    if (rc == 0)
        rc = cio_loop_group_new(&opts, &group);
    if (rc < 0) {
        fprintf(stderr, "every_core: %s\n", cio_strerror(rc));
        return 1;
    }
    rc = cio_loop_group_run(group, loop_main, NULL);
    if (rc < 0 && rc != CIO_EINTERRUPTED) {
        const char *m = cio_loop_group_error_message(group);
        fprintf(stderr, "every_core: %s%s%s\n", cio_strerror(rc), m ? ": " : "", m ? m : "");
    } else if (serve_port <= 0) {
        printf("loops: %d; connections per loop:", cio_loop_group_size(group));
        for (int i = 0; i < cio_loop_group_size(group) && i < 64; i++)
            printf(" %d", atomic_load(&conns_per_loop[i]));
        printf("\n");
    }
    cio_loop_group_free(group);
    cio_chan_unref(hits);
    return rc < 0 && rc != CIO_EINTERRUPTED;
}
