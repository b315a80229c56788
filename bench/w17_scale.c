/* W17 scaling: W4's streams echo server with a fixed CPU cost per request,
 * on a loop group of LOOPS loops (one server per loop, SO_REUSEPORT), for
 * the peers' load client (shared/peers/echo_client.c).  Each request (one
 * read of up to 64 KiB) is hashed WORK times over (FNV-1a, byte by byte:
 * about 1 ns a byte, so WORK 20000 is ~20 us for a 64-byte message)
 * before it is echoed, so that the server, not the client, is the
 * bottleneck.  bench/peers/w17_scale.go does the same work.  Serves until
 * killed (SIGTERM).
 * usage: w17_scale LOOPS WORK PORT   (the harness appends PORT) */
#include <cio.h>

#include "bench.h"

#include <errno.h>
#include <string.h>

#define BUFSZ 65536

static long work;
static int port;
static cio_loop_group_t *group;
static volatile uint32_t sink;

static uint32_t burn(const unsigned char *p, size_t n)
{
    uint32_t h = 2166136261u;
    long bytes = 0;
    while (bytes < work)
        for (size_t i = 0; i < n; i++, bytes++)
            h = (h ^ p[i]) * 16777619u;
    return h;
}

static int handle(cio_stream_t *s, void *arg)
{
    unsigned char *buf = malloc(BUFSZ);
    if (!buf)
        return -ENOMEM;
    ssize_t n;
    int rc = 0;
    while ((n = cio_stream_read(s, buf, BUFSZ)) > 0) {
        sink = burn(buf, (size_t)n);
        if ((rc = cio_stream_write(s, buf, (size_t)n)) < 0 || (rc = cio_stream_drain(s)) < 0)
            break;
    }
    free(buf);
    return 0; /* connection errors end it quietly, as W4's */
}

static int loop_main(void *arg, void **result)
{
    if (cio_loop_group_index() != 0)
        return 0; /* serves until loop 0's main ends */
    cio_server_opts_t opts = {0};
    opts.backlog = 1024;
    cio_loop_group_server_t *gs;
    int rc = cio_loop_group_start_server(group, handle, NULL, "127.0.0.1", port, &opts, &gs);
    if (rc < 0)
        return cio_fail(rc, "w17_scale: cannot serve on port %d", port);
    rc = cio_sleep(1e9); /* until killed */
    cio_loop_group_server_close(gs);
    cio_loop_group_server_free(gs);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: w17_scale LOOPS WORK PORT\n");
        return 2;
    }
    cio_loop_group_opts_t o = {(int)bench_arg(argc, argv, 1, 1), 0, 0};
    work = bench_arg(argc, argv, 2, 20000);
    port = (int)bench_arg(argc, argv, 3, 0);
    int rc = cio_loop_group_new(&o, &group);
    if (rc == 0)
        rc = cio_loop_group_run(group, loop_main, NULL);
    if (rc < 0) {
        const char *m = group ? cio_loop_group_error_message(group) : NULL;
        fprintf(stderr, "w17_scale: %s%s%s\n", cio_strerror(rc), m ? ": " : "", m ? m : "");
    }
    cio_loop_group_free(group);
    return rc < 0;
}
