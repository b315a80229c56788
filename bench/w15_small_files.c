/* W15: many small files.  N files in a fresh folder under DIR, CONC at a
 * time (CONC tasks taking the next index): each cio_file_open(O_CREAT),
 * 4 KiB cio_file_write, cio_file_fsync, cio_file_close.  The file backend
 * is the loop's (CIO_FILE_BACKEND).  The folder is removed afterwards, not
 * timed.
 *
 *   w15_small_files DIR [N=10000] [CONC=64]
 *
 * Prints: files_per_s=... total_s=... n=... conc=... backend=... */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char folder[4096];
static long n = 10000, conc = 64, next_index;
static int first_err;
static char data[4096];

static int writer(void *arg, void **result)
{
    (void)arg, (void)result;
    char path[4200];
    while (next_index < n && !first_err) {
        long i = next_index++;
        snprintf(path, sizeof path, "%s/f%ld", folder, i);
        cio_file_t *f;
        int rc = cio_file_open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644, &f);
        if (rc == 0) {
            ssize_t w = cio_file_write(f, data, sizeof data);
            rc = w < 0 ? (int)w : w != (ssize_t)sizeof data ? -EIO : 0;
            if (rc == 0)
                rc = cio_file_fsync(f);
            int rc2 = cio_file_close(f);
            cio_file_free(f);
            if (rc == 0)
                rc = rc2;
        }
        if (rc < 0 && !first_err)
            first_err = rc;
    }
    return 0;
}

static int amain(void *arg, void **result)
{
    (void)arg, (void)result;
    cio_loop_t *loop;
    cio_get_running_loop(&loop);
    const char *be;
    cio_file_backend(loop, &be);
    cio_task_t **ts = calloc((size_t)conc, sizeof *ts);
    if (!ts)
        return -ENOMEM;
    uint64_t t0 = bench_now_ns();
    for (long i = 0; i < conc; i++)
        ts[i] = cio_create_task(writer, NULL);
    for (long i = 0; i < conc; i++)
        if (ts[i]) {
            cio_await(ts[i], NULL);
            cio_unref(ts[i]);
        }
    double el = (double)(bench_now_ns() - t0) / 1e9;
    free(ts);
    if (first_err) {
        fprintf(stderr, "w15: %s\n", cio_strerror(first_err));
        return first_err;
    }
    printf("files_per_s=%.0f total_s=%.3f n=%ld conc=%ld backend=%s\n", (double)n / el, el, n, conc, be);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: w15_small_files DIR [N] [CONC]\n");
        return 2;
    }
    n = bench_arg(argc, argv, 2, 10000);
    conc = bench_arg(argc, argv, 3, 64);
    if (conc < 1) {
        fprintf(stderr, "w15: CONC must be >= 1\n");
        return 2;
    }
    snprintf(folder, sizeof folder, "%s/cio-w15-XXXXXX", argv[1]);
    if (!mkdtemp(folder)) {
        perror("w15: mkdtemp");
        return 1;
    }
    memset(data, 'x', sizeof data);
    int rc = cio_run(amain, NULL, NULL);
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", folder);
    if (system(cmd) != 0)
        fprintf(stderr, "w15: could not remove %s\n", folder);
    return rc < 0;
}
