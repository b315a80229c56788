/* W14's libuv peer: TASKS uv_fs_read requests in flight (libuv's thread
 * pool, UV_THREADPOOL_SIZE as set, default 4), each reading a 4 KiB block at
 * a random offset of PATH (made by w14_file_read, already in the page cache)
 * and issuing the next from its callback, for SECS seconds.
 *   w14_file_read_uv PATH [SECS=5] [TASKS=64] [FILE_MB=256]
 * Prints ops_per_s=... ops=... secs=... tasks=... */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <uv.h>

struct req {
    uv_fs_t fs;
    uint64_t x;
    char buf[4096];
};

static uv_file fd;
static uint64_t nblocks;
static int stop;
static long long ops;

static void on_read(uv_fs_t *r);

static void issue(struct req *q)
{
    q->x ^= q->x << 13, q->x ^= q->x >> 7, q->x ^= q->x << 17;
    uv_buf_t b = uv_buf_init(q->buf, sizeof q->buf);
    uv_fs_read(uv_default_loop(), &q->fs, fd, &b, 1, (int64_t)(q->x % nblocks) * 4096, on_read);
}

static void on_read(uv_fs_t *r)
{
    struct req *q = (struct req *)r;
    if (r->result != 4096) {
        fprintf(stderr, "read: %ld\n", (long)r->result);
        exit(1);
    }
    uv_fs_req_cleanup(r);
    ops++;
    if (!stop)
        issue(q);
}

static void on_timer(uv_timer_t *t)
{
    stop = 1;
    uv_close((uv_handle_t *)t, NULL);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    long secs = argc > 2 ? atol(argv[2]) : 5, tasks = argc > 3 ? atol(argv[3]) : 64;
    long mb = argc > 4 ? atol(argv[4]) : 256;
    nblocks = (uint64_t)mb * 256;
    uv_fs_t o;
    fd = uv_fs_open(NULL, &o, argv[1], O_RDONLY, 0, NULL);
    if (fd < 0)
        return 1;
    struct req *qs = calloc((size_t)tasks, sizeof *qs);
    uv_timer_t t;
    uv_timer_init(uv_default_loop(), &t);
    uv_timer_start(&t, on_timer, (uint64_t)secs * 1000, 0);
    double t0 = now();
    for (long i = 0; i < tasks; i++) {
        qs[i].x = (uint64_t)(i + 1) * 0x9e3779b97f4a7c15ull + 1;
        issue(&qs[i]);
    }
    uv_run(uv_default_loop(), UV_RUN_DEFAULT);
    double el = now() - t0;
    printf("ops_per_s=%.0f ops=%lld secs=%.2f tasks=%ld\n", ops / el, ops, el, tasks);
    return 0;
}
