/* W14: random file reads.  TASKS tasks each read 4 KiB blocks at random
 * offsets (cio_file_pread) of a FILE_MB MiB file already in the page cache,
 * for SECS seconds; the file backend is the loop's (CIO_FILE_BACKEND picks
 * io_uring or the thread pool).
 *
 *   w14_file_read PATH [SECS=5] [TASKS=64] [FILE_MB=256]
 *
 * PATH is made (or remade at the wrong size) and read through once first,
 * outside the measurement.  Prints:
 *   ops_per_s=... ops=... secs=... tasks=... backend=io_uring|threadpool */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *path;
static long secs = 5, ntasks = 64, file_mb = 256;
static cio_file_t *file;
static volatile int stop;
static long long total_ops;
static int first_err;

static int prepare(void)
{
    struct stat st;
    int64_t size = (int64_t)file_mb << 20;
    if (stat(path, &st) != 0 || st.st_size != size) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0)
            return -errno;
        static char block[1 << 20];
        for (long i = 0; i < file_mb; i++) {
            memset(block, (int)i, sizeof block);
            if (write(fd, block, sizeof block) != (ssize_t)sizeof block) {
                close(fd);
                return -EIO;
            }
        }
        close(fd);
    }
    int fd = open(path, O_RDONLY); /* into the page cache */
    if (fd < 0)
        return -errno;
    static char buf[1 << 20];
    while (read(fd, buf, sizeof buf) > 0)
        ;
    close(fd);
    return 0;
}

static int reader(void *arg, void **result)
{
    (void)result;
    uint64_t x = (uint64_t)(uintptr_t)arg * 0x9e3779b97f4a7c15ull + 1;
    uint64_t nblocks = (uint64_t)file_mb * 256;
    char buf[4096];
    long long ops = 0;
    while (!stop) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        ssize_t n = cio_file_pread(file, buf, sizeof buf, (int64_t)(x % nblocks) * 4096);
        if (n != (ssize_t)sizeof buf) {
            if (!first_err)
                first_err = n < 0 ? (int)n : -EIO;
            break;
        }
        ops++;
    }
    total_ops += ops;
    return 0;
}

static int stop_cb(void *arg)
{
    (void)arg;
    stop = 1;
    return 0;
}

static int amain(void *arg, void **result)
{
    (void)arg, (void)result;
    int rc = cio_file_open(path, O_RDONLY, 0, &file);
    if (rc < 0)
        return rc;
    cio_loop_t *loop;
    cio_get_running_loop(&loop);
    const char *be;
    cio_file_backend(loop, &be);
    cio_task_t **ts = calloc((size_t)ntasks, sizeof *ts);
    if (!ts)
        return -ENOMEM;
    cio_handle_t *h;
    uint64_t t0 = bench_now_ns();
    cio_call_later(loop, (double)secs, stop_cb, NULL, &h);
    for (long i = 0; i < ntasks; i++)
        ts[i] = cio_create_task(reader, (void *)(uintptr_t)(i + 1));
    for (long i = 0; i < ntasks; i++)
        if (ts[i]) {
            cio_await(ts[i], NULL);
            cio_unref(ts[i]);
        }
    double el = (double)(bench_now_ns() - t0) / 1e9;
    cio_unref(h);
    free(ts);
    cio_file_close(file);
    cio_file_free(file);
    if (first_err) {
        fprintf(stderr, "w14: %s\n", cio_strerror(first_err));
        return first_err;
    }
    printf("ops_per_s=%.0f ops=%lld secs=%.2f tasks=%ld backend=%s\n", (double)total_ops / el, total_ops, el, ntasks,
           be);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: w14_file_read PATH [SECS] [TASKS] [FILE_MB]\n");
        return 2;
    }
    path = argv[1];
    secs = bench_arg(argc, argv, 2, 5);
    ntasks = bench_arg(argc, argv, 3, 64);
    file_mb = bench_arg(argc, argv, 4, 256);
    if (ntasks < 1 || file_mb < 1) {
        fprintf(stderr, "w14: TASKS and FILE_MB must be >= 1\n");
        return 2;
    }
    int rc = prepare();
    if (rc < 0) {
        fprintf(stderr, "w14: preparing %s: %s\n", path, cio_strerror(rc));
        return 1;
    }
    return cio_run(amain, NULL, NULL) < 0;
}
