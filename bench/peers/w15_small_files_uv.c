/* W15's libuv peer: N files in a fresh folder under DIR, CONC chains in
 * flight, each uv_fs_open(O_CREAT) -> uv_fs_write 4 KiB -> uv_fs_fsync ->
 * uv_fs_close through callbacks (libuv's thread pool).
 *   w15_small_files_uv DIR [N=10000] [CONC=64]
 * Prints files_per_s=... total_s=... n=... conc=... */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

struct chain {
    uv_fs_t fs;
    uv_file file;
    char path[4200];
};

static char folder[4096], data[4096];
static long n, next_index;

static void start(struct chain *c);

static void check(uv_fs_t *r, const char *what)
{
    if (r->result < 0) {
        fprintf(stderr, "%s: %s\n", what, uv_strerror((int)r->result));
        exit(1);
    }
}

static void on_close(uv_fs_t *r)
{
    check(r, "close");
    uv_fs_req_cleanup(r);
    start((struct chain *)r);
}

static void on_fsync(uv_fs_t *r)
{
    struct chain *c = (struct chain *)r;
    check(r, "fsync");
    uv_fs_req_cleanup(r);
    uv_fs_close(uv_default_loop(), &c->fs, c->file, on_close);
}

static void on_write(uv_fs_t *r)
{
    struct chain *c = (struct chain *)r;
    check(r, "write");
    uv_fs_req_cleanup(r);
    uv_fs_fsync(uv_default_loop(), &c->fs, c->file, on_fsync);
}

static void on_open(uv_fs_t *r)
{
    struct chain *c = (struct chain *)r;
    check(r, "open");
    c->file = (uv_file)r->result;
    uv_fs_req_cleanup(r);
    uv_buf_t b = uv_buf_init(data, sizeof data);
    uv_fs_write(uv_default_loop(), &c->fs, c->file, &b, 1, -1, on_write);
}

static void start(struct chain *c)
{
    if (next_index >= n)
        return;
    snprintf(c->path, sizeof c->path, "%s/f%ld", folder, next_index++);
    uv_fs_open(uv_default_loop(), &c->fs, c->path, O_WRONLY | O_CREAT | O_TRUNC, 0644, on_open);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    n = argc > 2 ? atol(argv[2]) : 10000;
    long conc = argc > 3 ? atol(argv[3]) : 64;
    snprintf(folder, sizeof folder, "%s/uv-w15-XXXXXX", argv[1]);
    if (!mkdtemp(folder))
        return 1;
    memset(data, 'x', sizeof data);
    struct chain *cs = calloc((size_t)conc, sizeof *cs);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (long i = 0; i < conc; i++)
        start(&cs[i]);
    uv_run(uv_default_loop(), UV_RUN_DEFAULT);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double el = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
    printf("files_per_s=%.0f total_s=%.3f n=%ld conc=%ld\n", n / el, el, n, conc);
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", folder);
    return system(cmd) != 0;
}
