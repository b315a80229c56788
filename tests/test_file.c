/* Asynchronous files (cio_file_*): every case runs twice, once with the
 * thread pool and once with io_uring (CIO_FILE_BACKEND), and must see the
 * same results: data, short reads at end of file, errors as -errno, bad
 * input refused, readline over a file, cancellation of an operation in
 * flight that never completes into memory given back, and the fallback to
 * the thread pool when io_uring cannot be had (io_uring_queue_init_params
 * interposed to fail, as on a kernel without it or under a seccomp filter).
 * Files live in a fresh folder under $TMPDIR (or /tmp). */
#include "harness.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef CIO_HAVE_LIBURING
#include <liburing.h>
/* Armed: the library's ring setup fails with this code. */
static int uring_fail_with;
int io_uring_queue_init_params(unsigned entries, struct io_uring *ring, struct io_uring_params *p)
{
    if (uring_fail_with)
        return uring_fail_with;
    static int (*real)(unsigned, struct io_uring *, struct io_uring_params *);
    if (!real)
        *(void **)&real = dlsym(RTLD_NEXT, "io_uring_queue_init_params");
    return real ? real(entries, ring, p) : -ENOSYS;
}
#endif

/* Setup steps that later lines need: fail the case and return. */
#define MUST(c)                                     \
    do {                                            \
        if (!(c)) {                                 \
            FAILF("requirement failed: %s", #c);    \
            return -EIO;                            \
        }                                           \
    } while (0)
#define MUST_OK(call)                                                              \
    do {                                                                           \
        int r_ = (int)(call);                                                      \
        if (r_ != 0) {                                                             \
            FAILF("%s == %d (%s), required to be 0", #call, r_, cio_err_name(r_)); \
            return r_ < 0 ? r_ : -EIO;                                             \
        }                                                                          \
    } while (0)

/* Files a case opened: whatever it did not free when it returned early
 * (a failed allocation in the sweep) is freed after it, so that a failed
 * check never shows as a leak. */
static cio_file_t *opened[16];
static cio_file_t *track(cio_file_t *f)
{
    for (int i = 0; f && i < 16; i++)
        if (!opened[i]) {
            opened[i] = f;
            break;
        }
    return f;
}
static int drop(cio_file_t *f)
{
    for (int i = 0; f && i < 16; i++)
        if (opened[i] == f)
            opened[i] = NULL;
    return cio_file_free(f);
}
static void drop_all(void)
{
    for (int i = 0; i < 16; i++)
        if (opened[i]) {
            cio_file_free(opened[i]);
            opened[i] = NULL;
        }
}
static int open_tracked(const char *p, int flags, mode_t mode, cio_file_t **f)
{
    int rc = cio_file_open(p, flags, mode, f);
    track(*f);
    return rc;
}
static int from_fd_tracked(int fd, cio_file_t **f)
{
    int rc = cio_file_from_fd(fd, f);
    track(*f);
    return rc;
}

static char dir[256];
static const char *want_backend; /* "threadpool" or "io_uring" */

static const char *path_of(const char *name)
{
    static char buf[4][PATH_MAX];
    static int i;
    char *p = buf[i++ & 3];
    snprintf(p, PATH_MAX, "%s/%s", dir, name);
    return p;
}

static void make_dir(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/cio-test-file-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        exit(1);
    }
}

static void remove_dir(void)
{
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

/* The backend the running loop took must be the one asked for (io_uring
 * only when built with liburing). */
static void check_backend(void)
{
    cio_loop_t *loop;
    if (cio_get_running_loop(&loop) < 0) {
        FAILF("no running loop");
        return;
    }
    const char *name;
    int be = cio_file_backend(loop, &name);
#ifdef CIO_HAVE_LIBURING
    if (strcmp(want_backend, "io_uring") == 0)
        CHECK_INT(be, CIO_FILE_IO_URING);
    else
        CHECK_INT(be, CIO_FILE_THREADPOOL);
#else
    CHECK_INT(be, CIO_FILE_THREADPOOL);
#endif
    CHECK(name != NULL);
}

/* ------------------------------------------------------------ the cases */

static int m_basic(void *arg, void **result)
{
    check_backend();
    const char *p = path_of("basic");
    MUST_OK(cio_file_write_all(p, "hello, world\n", 13));
    char *data = NULL;
    CHECK_INT(cio_file_read_all(p, &data), 13);
    MUST(data);
    CHECK_STR(data, "hello, world\n");
    cio_free(data);

    cio_file_t *f;
    MUST_OK(open_tracked(p, O_RDWR, 0, &f));
    CHECK(cio_file_fd(f) >= 0);
    char buf[64] = {0};
    CHECK_INT(cio_file_read(f, buf, 5), 5);
    CHECK_BYTES(buf, 5, "hello");
    CHECK_INT(cio_file_read(f, buf, sizeof buf), 8); /* short read at end of file */
    CHECK_BYTES(buf, 8, ", world\n");
    CHECK_INT(cio_file_read(f, buf, sizeof buf), 0);
    CHECK_INT(cio_file_pread(f, buf, 5, 7), 5);
    CHECK_BYTES(buf, 5, "world");
    CHECK_INT(cio_file_pread(f, buf, 10, 100), 0); /* past the end */
    CHECK_INT(cio_file_pwrite(f, "WORLD", 5, 7), 5);
    CHECK_INT(cio_file_write(f, "more\n", 5), 5); /* at the position: the end */
    struct iovec wv[2] = {{"ab", 2}, {"cd\n", 3}};
    CHECK_INT(cio_file_writev(f, wv, 2, -1), 5);
    CHECK_INT(cio_file_writev(f, wv, 2, 0), 5);
    char a[3], b[5];
    struct iovec rv[2] = {{a, 3}, {b, 5}};
    CHECK_INT(cio_file_readv(f, rv, 2, 7), 8);
    CHECK_BYTES(a, 3, "WOR");
    CHECK_BYTES(b, 5, "LD\nmo");
    CHECK_INT(cio_file_fsync(f), 0);
    CHECK_INT(cio_file_fdatasync(f), 0);
    struct stat st;
    CHECK_INT(cio_file_fstat(f, &st), 0);
    CHECK_INT(st.st_size, 23);
    CHECK(S_ISREG(st.st_mode));
    CHECK_INT(cio_file_close(f), 0);
    CHECK_INT(cio_file_read(f, buf, 1), CIO_ECLOSED);
    CHECK_INT(cio_file_close(f), CIO_ECLOSED);
    CHECK_INT(cio_file_fsync(f), CIO_ECLOSED);
    CHECK_INT(drop(f), 0);

    CHECK_INT(cio_file_read_all(p, &data), 23);
    CHECK_STR(data, "abcd\n, WORLD\nmore\nabcd\n");
    cio_free(data);

    CHECK_INT(cio_file_stat(p, &st), 0);
    CHECK_INT(st.st_size, 23);
    const char *q = path_of("renamed");
    CHECK_INT(cio_file_rename(p, q), 0);
    CHECK_INT(cio_file_stat(p, &st), -ENOENT);
    CHECK_INT(cio_file_unlink(q), 0);
    CHECK_INT(cio_file_unlink(q), -ENOENT);
    const char *d = path_of("sub");
    CHECK_INT(cio_file_mkdir(d, 0755), 0);
    CHECK_INT(cio_file_mkdir(d, 0755), -EEXIST);
    CHECK_INT(cio_file_stat(d, &st), 0);
    CHECK(S_ISDIR(st.st_mode));
    CHECK_INT(cio_file_rmdir(d), 0);
    CHECK_INT(cio_file_rmdir(d), -ENOENT);
    /* An empty file reads as an empty string. */
    MUST_OK(cio_file_write_all(p, NULL, 0));
    CHECK_INT(cio_file_read_all(p, &data), 0);
    CHECK_STR(data, "");
    cio_free(data);
    CHECK_INT(cio_file_unlink(p), 0);
    return 0;
}

static int m_errors(void *arg, void **result)
{
    check_backend();
    cio_file_t *f = (cio_file_t *)1;
    CHECK_INT(cio_file_open(path_of("missing"), O_RDONLY, 0, &f), -ENOENT);
    CHECK(f == NULL);
    char *data = (char *)1;
    CHECK_INT(cio_file_read_all(path_of("missing"), &data), -ENOENT);
    CHECK(data == NULL);
    /* A directory: opened for reading, read(2) says EISDIR; for writing,
     * open says so. */
    MUST_OK(open_tracked(dir, O_RDONLY, 0, &f));
    char buf[16];
    CHECK_INT(cio_file_read(f, buf, sizeof buf), -EISDIR);
    CHECK_INT(cio_file_pread(f, buf, sizeof buf, 0), -EISDIR);
    CHECK_INT(cio_file_readline(f, buf, sizeof buf), -EISDIR);
    CHECK_INT(cio_file_close(f), 0);
    drop(f);
    CHECK_INT(cio_file_open(dir, O_WRONLY, 0, &f), -EISDIR);
    CHECK_INT(cio_file_read_all(dir, &data), -EISDIR);
    /* Permission denied, even for root: a sysfs attribute without a write
     * method. */
    int rc = cio_file_open("/sys/kernel/notes", O_WRONLY, 0, &f);
    if (rc == 0) {
        fprintf(stderr, "skip permission denied: /sys/kernel/notes opened for writing\n");
        cio_file_free(f);
    } else if (rc == -ENOENT) {
        fprintf(stderr, "skip permission denied: no /sys/kernel/notes\n");
    } else {
        CHECK_INT(rc, -EACCES);
    }
    /* A full disk: /dev/full answers every write with ENOSPC. */
    MUST_OK(open_tracked("/dev/full", O_WRONLY, 0, &f));
    CHECK_INT(cio_file_write(f, "x", 1), -ENOSPC);
    CHECK_INT(cio_file_pwrite(f, "x", 1, 0), -ENOSPC);
    CHECK_INT(cio_file_close(f), 0);
    drop(f);
    CHECK_INT(cio_file_write_all("/dev/full", "data", 4), -ENOSPC);
    /* Writing to a file opened read-only: EBADF from the kernel. */
    const char *p = path_of("ro");
    MUST_OK(cio_file_write_all(p, "x", 1));
    MUST_OK(open_tracked(p, O_RDONLY, 0, &f));
    CHECK_INT(cio_file_write(f, "y", 1), -EBADF);
    drop(f);
    CHECK_INT(cio_file_unlink(p), 0);
    CHECK_INT(cio_file_rename(path_of("missing"), path_of("other")), -ENOENT);
    CHECK_INT(cio_file_mkdir(path_of("missing/sub"), 0755), -ENOENT);
    return 0;
}

static int m_bad_input(void *arg, void **result)
{
    check_backend();
    const char *p = path_of("bad");
    MUST_OK(cio_file_write_all(p, "abc", 3));
    cio_file_t *f;
    MUST_OK(open_tracked(p, O_RDWR, 0, &f));
    char buf[8];
    CHECK_INT(cio_file_pread(f, buf, 1, -1), -EINVAL);
    CHECK_INT(cio_file_pwrite(f, buf, 1, -5), -EINVAL);
    CHECK_INT(cio_file_read(f, buf, (size_t)SSIZE_MAX + 1), -EINVAL);
    CHECK_INT(cio_file_write(f, buf, SIZE_MAX), -EINVAL);
    CHECK_INT(cio_file_read(f, NULL, 1), -EINVAL);
    CHECK_INT(cio_file_read(f, NULL, 0), 0);
    struct iovec big[2] = {{buf, SSIZE_MAX}, {buf, 2}};
    CHECK_INT(cio_file_readv(f, big, 2, 0), -EINVAL);
    CHECK_INT(cio_file_readv(f, big, -1, 0), -EINVAL);
    CHECK_INT(cio_file_readv(f, big, 1, -2), -EINVAL);
    CHECK_INT(cio_file_fstat(f, NULL), -EINVAL);
    CHECK_INT(cio_file_readuntil(f, "", 0, buf, sizeof buf), -EINVAL);
    CHECK_INT(cio_file_write_stream(f, NULL), -EINVAL);
    CHECK_INT(cio_file_close(f), 0);
    drop(f);
    CHECK_INT(cio_file_open(NULL, O_RDONLY, 0, &f), -EINVAL);
    CHECK_INT(cio_file_open(p, O_RDONLY, 0, NULL), -EINVAL);
    CHECK_INT(cio_file_stat(p, NULL), -EINVAL);
    CHECK_INT(cio_file_unlink(NULL), -EINVAL);
    CHECK_INT(cio_file_rename(p, NULL), -EINVAL);
    CHECK_INT(cio_file_read_all(p, NULL), -EINVAL);
    CHECK_INT(cio_file_write_all(p, NULL, 1), -EINVAL);
    CHECK_INT(cio_file_from_fd(-1, &f), -EBADF);
    int fds[2];
    MUST(pipe(fds) == 0);
    close(fds[0]);
    close(fds[1]);
    CHECK_INT(cio_file_from_fd(fds[0], &f), -EBADF); /* closed */
    CHECK_INT(cio_file_read(NULL, buf, 1), -EINVAL);
    CHECK_INT(cio_file_fd(NULL), -EINVAL);
    CHECK_INT(drop(NULL), 0);
    CHECK_INT(cio_file_backend(NULL, NULL), -EINVAL);
    CHECK_INT(cio_file_unlink(p), 0);
    return 0;
}

/* Offsets past 4 GiB in a sparse file. */
static int m_large_offsets(void *arg, void **result)
{
    check_backend();
    const char *p = path_of("sparse");
    cio_file_t *f;
    MUST_OK(open_tracked(p, O_RDWR | O_CREAT | O_TRUNC, 0600, &f));
    int64_t off = (int64_t)5 << 30; /* 5 GiB */
    int rc = (int)cio_file_pwrite(f, "far", 3, off);
    if (rc == -EFBIG || rc == -EINVAL) {
        fprintf(stderr, "skip large offsets: the file system refused (%s)\n", cio_err_name(rc));
    } else {
        CHECK_INT(rc, 3);
        char buf[8] = {0};
        CHECK_INT(cio_file_pread(f, buf, 8, off - 2), 5);
        CHECK_BYTES(buf, 5, "\0\0far");
        struct stat st;
        CHECK_INT(cio_file_fstat(f, &st), 0);
        CHECK(st.st_size == off + 3);
        struct iovec v = {buf, 3};
        CHECK_INT(cio_file_readv(f, &v, 1, off), 3);
        CHECK_BYTES(buf, 3, "far");
    }
    CHECK_INT(cio_file_close(f), 0);
    drop(f);
    CHECK_INT(cio_file_unlink(p), 0);
    return 0;
}

static int m_readline(void *arg, void **result)
{
    check_backend();
    const char *p = path_of("lines");
    MUST_OK(cio_file_write_all(p, "first\nsecond line\n\nlast", 23));
    cio_file_t *f;
    MUST_OK(open_tracked(p, O_RDWR, 0, &f));
    char buf[64];
    CHECK_INT(cio_file_readline(f, buf, sizeof buf), 6);
    CHECK_STR(buf, "first\n");
    CHECK_INT(cio_file_readline(f, buf, 5), -ENOBUFS); /* nothing consumed */
    CHECK_INT(cio_file_readline(f, buf, sizeof buf), 12);
    CHECK_STR(buf, "second line\n");
    CHECK_INT(cio_file_readline(f, buf, sizeof buf), 1);
    CHECK_INT(cio_file_readline(f, buf, sizeof buf), 4); /* the last, partial line */
    CHECK_STR(buf, "last");
    CHECK_INT(cio_file_readline(f, buf, sizeof buf), 0);
    /* readuntil and readexactly from the start again. */
    CHECK_INT(cio_file_pread(f, buf, 1, 0), 1);
    CHECK_INT(cio_file_seek(f, 0, SEEK_SET), 0);
    CHECK_INT(cio_file_readuntil(f, "nd", 2, buf, sizeof buf), 12);
    CHECK_BYTES(buf, 12, "first\nsecond");
    CHECK_INT(cio_file_readexactly(f, buf, 3), 3); /* from the read-ahead */
    CHECK_BYTES(buf, 3, " li");
    CHECK_INT(cio_file_read(f, buf, 4), 4); /* read takes the read-ahead first */
    CHECK_BYTES(buf, 4, "ne\n\n");
    CHECK_INT(cio_file_readuntil(f, "zz", 2, buf, sizeof buf), CIO_EINCOMPLETE);
    CHECK_INT(cio_file_partial(f), 4);
    CHECK_BYTES(buf, 4, "last");
    CHECK_INT(cio_file_readexactly(f, buf, 4), CIO_EINCOMPLETE);
    CHECK_INT(cio_file_partial(f), 0);
    /* A write at the position after a readline lands after that line. */
    CHECK_INT(cio_file_seek(f, 0, SEEK_SET), 0);
    CHECK_INT(cio_file_readline(f, buf, sizeof buf), 6);
    CHECK_INT(cio_file_write(f, "SECOND", 6), 6);
    CHECK_INT(cio_file_readline(f, buf, sizeof buf), 6);
    CHECK_STR(buf, " line\n");
    /* Lines over the limit. */
    CHECK_INT(cio_file_set_limit(f, 4), CIO_EINVALSTATE); /* bytes buffered */
    CHECK_INT(cio_file_seek(f, 0, SEEK_SET), 0);
    CHECK_INT(cio_file_set_limit(f, 4), 0);
    CHECK_INT(cio_file_readline(f, buf, sizeof buf), CIO_ELIMITOVERRUN); /* "first\n": 5 > 4 */
    CHECK_INT(cio_file_set_limit(f, 0), CIO_EINVALSTATE);
    CHECK_INT(cio_file_readline(f, buf, sizeof buf), CIO_ELIMITOVERRUN); /* the second, dropped */
    CHECK_INT(cio_file_readline(f, buf, sizeof buf), 1);
    CHECK_INT(cio_file_close(f), 0);
    CHECK_INT(cio_file_readline(f, buf, sizeof buf), CIO_ECLOSED);
    drop(f);

    /* Many lines through a small buffer. */
    enum { LINES = 3000 };
    cio_file_t *w;
    MUST_OK(open_tracked(p, O_WRONLY | O_TRUNC, 0, &w));
    for (int i = 0; i < LINES; i++) {
        int n = snprintf(buf, sizeof buf, "line %d\n", i);
        MUST(cio_file_write(w, buf, (size_t)n) == n);
    }
    drop(w);
    MUST_OK(open_tracked(p, O_RDONLY, 0, &f));
    int i = 0;
    ssize_t n;
    char want[64];
    while ((n = cio_file_readline(f, buf, sizeof buf)) > 0) {
        snprintf(want, sizeof want, "line %d\n", i++);
        if (strcmp(buf, want) != 0) {
            CHECK_STR(buf, want);
            break;
        }
    }
    CHECK_INT(n, 0);
    CHECK_INT(i, LINES);
    drop(f);
    CHECK_INT(cio_file_unlink(p), 0);
    return 0;
}

/* 64 tasks reading at random offsets at once: each gets its own bytes. */
enum { NREADERS = 64, BLOCK = 4096, NBLOCKS = 256 };
static cio_file_t *shared_file;

static int reader(void *arg, void **result)
{
    unsigned seed = (unsigned)(uintptr_t)arg;
    char buf[BLOCK];
    for (int k = 0; k < 20; k++) {
        seed = seed * 1103515245u + 12345u;
        int blk = (int)((seed >> 8) % NBLOCKS);
        ssize_t n = cio_file_pread(shared_file, buf, BLOCK, (int64_t)blk * BLOCK);
        if (n != BLOCK)
            return n < 0 ? (int)n : -EIO;
        for (int j = 0; j < BLOCK; j += 512)
            if ((unsigned char)buf[j] != (unsigned char)blk)
                return -EILSEQ;
    }
    return 0;
}

static int m_concurrent(void *arg, void **result)
{
    check_backend();
    const char *p = path_of("blocks");
    MUST_OK(open_tracked(p, O_RDWR | O_CREAT | O_TRUNC, 0600, &shared_file));
    static char block[BLOCK];
    for (int b = 0; b < NBLOCKS; b++) {
        memset(block, b, sizeof block);
        MUST(cio_file_pwrite(shared_file, block, BLOCK, (int64_t)b * BLOCK) == BLOCK);
    }
    cio_task_t *ts[NREADERS];
    int made = 0;
    for (; made < NREADERS; made++)
        if (!(ts[made] = cio_create_task(reader, (void *)(uintptr_t)(made + 1))))
            break;
    CHECK_INT(made, NREADERS);
    for (int i = 0; i < made; i++) {
        CHECK_INT(cio_await(ts[i], NULL), 0);
        cio_unref(ts[i]);
    }
    CHECK_INT(cio_file_close(shared_file), 0);
    drop(shared_file);
    CHECK_INT(cio_file_unlink(p), 0);
    return 0;
}

/* More operations in flight than the ring's queues hold (256 entries, 512
 * completions): every one completes, none is lost. */
static int m_many(void *arg, void **result)
{
    check_backend();
    enum { N = TEST_CROWD(1500) };
    const char *p = path_of("many");
    MUST_OK(open_tracked(p, O_RDWR | O_CREAT | O_TRUNC, 0600, &shared_file));
    static char block[BLOCK];
    for (int b = 0; b < NBLOCKS; b++) {
        memset(block, b, sizeof block);
        MUST(cio_file_pwrite(shared_file, block, BLOCK, (int64_t)b * BLOCK) == BLOCK);
    }
    static cio_task_t *ts[N];
    int made = 0;
    for (; made < N; made++)
        if (!(ts[made] = cio_create_task(reader, (void *)(uintptr_t)(made + 7))))
            break;
    CHECK_INT(made, N);
    for (int i = 0; i < made; i++) {
        CHECK_INT(cio_await(ts[i], NULL), 0);
        cio_unref(ts[i]);
    }
    CHECK_INT(cio_file_close(shared_file), 0);
    drop(shared_file);
    CHECK_INT(cio_file_unlink(p), 0);
    return 0;
}

/* Cancel a read that is in flight (a blocking pipe read: in a pool thread,
 * or armed in the kernel): the task gets -ECANCELED only once nothing can
 * write into its buffer any more, which is freed at once after (ASan would
 * see a late completion). */
struct pipe_read {
    cio_file_t *f;
    char *buf;
    ssize_t got;
};

static int pipe_reader(void *arg, void **result)
{
    struct pipe_read *r = arg;
    r->buf = malloc(64);
    if (!r->buf)
        return -ENOMEM;
    r->got = cio_file_read(r->f, r->buf, 64);
    free(r->buf); /* anything the read still did after this, ASan sees */
    r->buf = NULL;
    return r->got < 0 ? (int)r->got : 0;
}

static int m_cancel_read(void *arg, void **result)
{
    check_backend();
    int fds[2];
    MUST(pipe(fds) == 0);
    struct pipe_read r = {0};
    int rc = from_fd_tracked(fds[0], &r.f);
    if (rc < 0) {
        close(fds[0]);
        close(fds[1]);
        return rc;
    }
    cio_task_t *t;
    t = cio_create_task(pipe_reader, &r);
    MUST(t);
    cio_sleep(0.05); /* the read is in flight */
    CHECK(!cio_future_done(t));
    cio_task_cancel(t, NULL);
    for (int i = 0; i < 20 && !cio_future_done(t); i++)
        cio_sleep(0.01);
    if (!cio_future_done(t)) {
        /* The pool's read runs on: the task waits for it. */
        CHECK_INT(write(fds[1], "z", 1), 1);
    }
    CHECK_INT(cio_await(t, NULL), -ECANCELED);
    CHECK(cio_future_cancelled(t));
    cio_unref(t);
    /* The file is still usable. */
    CHECK_INT(write(fds[1], "ok", 2), 2);
    char buf[4];
    CHECK_INT(cio_file_read(r.f, buf, sizeof buf), 2);
    CHECK_BYTES(buf, 2, "ok");
    drop(r.f);
    close(fds[1]);
    return rc;
}

/* The same for a write blocked on a full pipe. */
static int pipe_writer(void *arg, void **result)
{
    cio_file_t *f = arg;
    size_t n = 1 << 20;
    char *buf = calloc(1, n);
    if (!buf)
        return -ENOMEM;
    ssize_t w = cio_file_write(f, buf, n);
    free(buf);
    return w < 0 ? (int)w : 0;
}

static int m_cancel_write(void *arg, void **result)
{
    check_backend();
    int fds[2];
    MUST(pipe(fds) == 0);
    cio_file_t *f;
    int rc = from_fd_tracked(fds[1], &f);
    if (rc < 0) {
        close(fds[0]);
        close(fds[1]);
        return rc;
    }
    cio_task_t *t;
    if ((t = cio_create_task(pipe_writer, f))) {
        cio_sleep(0.05);
        if (cio_future_done(t)) {
            /* io_uring returned the short write a pipe takes at once. */
            CHECK_INT(cio_await(t, NULL), 0);
            cio_unref(t);
            drop(f);
            close(fds[0]);
            return 0;
        }
        cio_task_cancel(t, NULL);
        /* Drain the pipe until the task is done (a pool thread's write
         * finishes only when everything went). */
        static char sink[65536];
        for (int i = 0; i < 2000 && !cio_future_done(t); i++) {
            fcntl(fds[0], F_SETFL, O_NONBLOCK);
            while (read(fds[0], sink, sizeof sink) > 0)
                ;
            cio_sleep(0.002);
        }
        CHECK_INT(cio_await(t, NULL), -ECANCELED);
        cio_unref(t);
    }
    drop(f);
    close(fds[0]);
    return rc;
}

/* A task cancelled before its operation begins never starts it. */
static int opener(void *arg, void **result)
{
    cio_file_t *f = NULL;
    int rc = cio_file_open(arg, O_WRONLY | O_CREAT, 0600, &f);
    drop(f);
    return rc;
}

static int m_cancel_before(void *arg, void **result)
{
    check_backend();
    const char *p = path_of("never");
    cio_task_t *t;
    MUST(t = cio_create_task(opener, (void *)p));
    cio_task_cancel(t, NULL);
    CHECK_INT(cio_await(t, NULL), -ECANCELED);
    cio_unref(t);
    struct stat st;
    CHECK_INT(cio_file_stat(p, &st), -ENOENT);
    /* Cancelled while its open is in flight: the open happened or not, and
     * no fd is left behind (the harness's fd count would not show it, so
     * the file is only checked to be removable). */
    MUST(t = cio_create_task(opener, (void *)p));
    cio_yield();
    cio_task_cancel(t, NULL);
    int rc = cio_await(t, NULL);
    CHECK(rc == -ECANCELED || rc == 0);
    cio_unref(t);
    cio_file_unlink(p);
    return 0;
}

/* Writing a stream to a file: a pipe's read end as a stream. */
static int m_write_stream(void *arg, void **result)
{
    check_backend();
    int fds[2];
    MUST(pipe(fds) == 0);
    cio_stream_t *s;
    int rc = cio_stream_from_read_pipe(fds[0], 0, &s);
    if (rc < 0) {
        close(fds[0]);
        close(fds[1]);
        return rc;
    }
    static char data[200000];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (char)('a' + i % 26);
    /* The pipe holds 64 KiB: a child process writes it all, then exits. */
    pid_t pid = fork();
    if (pid < 0) {
        FAILF("fork: %s", strerror(errno));
        close(fds[1]);
        cio_unref(s);
        return -EIO;
    }
    if (pid == 0) {
        close(fds[0]); /* the parent's end: EPIPE once the parent closed it */
        size_t off = 0;
        while (off < sizeof data) {
            ssize_t w = write(fds[1], data + off, sizeof data - off);
            if (w <= 0)
                _exit(1);
            off += (size_t)w;
        }
        _exit(0);
    }
    close(fds[1]);
    const char *p = path_of("fromstream");
    cio_file_t *f;
    rc = open_tracked(p, O_WRONLY | O_CREAT | O_TRUNC, 0600, &f);
    CHECK_RC(rc, 0);
    if (rc == 0) {
        CHECK_INT(cio_file_write_stream(f, s), (int64_t)sizeof data);
        CHECK_INT(cio_file_close(f), 0);
        drop(f);
    }
    cio_stream_close(s); /* the child's writes then fail: it exits */
    cio_unref(s);
    char *back = NULL;
    ssize_t n = cio_file_read_all(p, &back);
    CHECK_INT(n, (ssize_t)sizeof data);
    if (back && n == (ssize_t)sizeof data)
        CHECK(memcmp(back, data, sizeof data) == 0);
    cio_free(back);
    cio_file_unlink(p);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return 0;
}

/* ------------------------------------------------ each under both paths */

static void run_under(const char *backend, cio_coro_fn *fn)
{
    want_backend = backend;
    setenv("CIO_FILE_BACKEND", backend, 1);
    CHECK_RC(run_limited(fn, NULL, NULL), 0);
    drop_all();
    unsetenv("CIO_FILE_BACKEND");
}

#define BOTH(name)                                                     \
    static void t_##name##_threadpool(void) { run_under("threadpool", m_##name); } \
    static void t_##name##_io_uring(void) { run_under("io_uring", m_##name); }
#define CASES(name) TEST(t_##name##_threadpool), TEST(t_##name##_io_uring)

BOTH(basic)
BOTH(errors)
BOTH(bad_input)
BOTH(large_offsets)
BOTH(readline)
BOTH(concurrent)
BOTH(many)
BOTH(cancel_read)
BOTH(cancel_write)
BOTH(cancel_before)
BOTH(write_stream)

/* Outside a task: refused, nothing blocks. */
static void t_no_task(void)
{
    cio_file_t *f;
    CHECK_INT(cio_file_open("/dev/null", O_RDONLY, 0, &f), CIO_ENOLOOP);
    CHECK_INT(cio_file_unlink("/nonexistent"), CIO_ENOLOOP);
    int fd = open("/dev/null", O_RDONLY);
    REQUIRE(fd >= 0);
    int rc = cio_file_from_fd(fd, &f);
    CHECK_RC(rc, 0);
    if (rc < 0) {
        close(fd);
        return;
    }
    char b[1];
    CHECK_INT(cio_file_read(f, b, 1), CIO_ENOLOOP);
    CHECK_INT(cio_file_close(f), CIO_ENOLOOP); /* closed all the same */
    CHECK_INT(cio_file_fd(f), CIO_ECLOSED);
    CHECK_INT(drop(f), 0);
}

/* io_uring refused (ENOSYS, EPERM): the thread pool takes over, silently. */
static int m_fallback(void *arg, void **result)
{
    cio_loop_t *loop;
    MUST_OK(cio_get_running_loop(&loop));
    CHECK_INT(cio_file_backend(loop, NULL), CIO_FILE_THREADPOOL);
    const char *p = path_of("fallback");
    MUST_OK(cio_file_write_all(p, "ok", 2));
    char *data;
    CHECK_INT(cio_file_read_all(p, &data), 2);
    cio_free(data);
    CHECK_INT(cio_file_unlink(p), 0);
    return 0;
}

static void t_fallback_when_refused(void)
{
#ifdef CIO_HAVE_LIBURING
    int errs[] = {-ENOSYS, -EPERM};
    for (int i = 0; i < 2; i++) {
        uring_fail_with = errs[i];
        setenv("CIO_FILE_BACKEND", "io_uring", 1);
        CHECK_RC(run_limited(m_fallback, NULL, NULL), 0);
        unsetenv("CIO_FILE_BACKEND");
        uring_fail_with = 0;
    }
#else
    fprintf(stderr, "skip: built without liburing (the thread pool is the only path)\n");
    CHECK_RC(run_limited(m_fallback, NULL, NULL), 0);
#endif
}

/* The loop closes while a ring exists and nothing is in flight. */
static void t_loop_close(void)
{
    setenv("CIO_FILE_BACKEND", "io_uring", 1);
    cio_loop_t *loop = new_loop();
    want_backend = "io_uring";
    cio_task_t *t;
    int rc = cio_loop_create_task(loop, m_basic, NULL, NULL, &t);
    CHECK_RC(rc, 0);
    if (rc == 0) {
        rc = cio_loop_run_until_complete(loop, t, NULL);
        CHECK_RC(rc, 0);
        for (int i = 0; i < 100 && !cio_future_done(t); i++) { /* it failed early */
            cio_task_cancel(t, NULL);
            cio_loop_run_until_complete(loop, t, NULL);
        }
        cio_unref(t);
    }
    drop_all();
    free_loop(loop);
    unsetenv("CIO_FILE_BACKEND");
}

/* cio_loop_close while a task waits in a file operation: -EBUSY, and
 * nothing is torn down under it; once the operation completed and the
 * task ended, the close succeeds (the ring with it). */
static int busy_reader(void *arg, void **result)
{
    char b[4];
    ssize_t n = cio_file_read(arg, b, sizeof b);
    return n < 0 ? (int)n : 0;
}

static int stop_soon(void *arg)
{
    return cio_loop_stop(arg);
}

static void close_busy_under(const char *backend)
{
    setenv("CIO_FILE_BACKEND", backend, 1);
    cio_loop_t *loop = new_loop();
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    cio_file_t *f = NULL;
    cio_task_t *t = NULL;
    int rc = cio_file_from_fd(fds[0], &f);
    CHECK_RC(rc, 0);
    if (rc == 0)
        rc = cio_loop_create_task(loop, busy_reader, f, NULL, &t);
    if (rc == 0 && (rc = cio_call_later(loop, 0.05, stop_soon, loop, NULL)) == 0) {
        cio_loop_run_forever(loop); /* the read is in flight when it stops */
        CHECK(!cio_future_done(t));
        CHECK_RC(cio_loop_close(loop), -EBUSY);
        CHECK_INT(write(fds[1], "x", 1), 1);
        CHECK_RC(cio_loop_run_until_complete(loop, t, NULL), 0);
    }
    for (int i = 0; t && i < 100 && !cio_future_done(t); i++) {
        cio_task_cancel(t, NULL);
        if (write(fds[1], "x", 1) < 0) {
        }
        cio_loop_run_until_complete(loop, t, NULL);
    }
    cio_unref(t);
    if (f)
        cio_file_free(f);
    else
        close(fds[0]);
    close(fds[1]);
    free_loop(loop);
    unsetenv("CIO_FILE_BACKEND");
}

static void t_loop_close_busy(void)
{
    close_busy_under("threadpool");
    close_busy_under("io_uring");
}

static const struct test_case cases[] = {
    CASES(basic),       CASES(errors),       CASES(bad_input),     CASES(large_offsets),
    CASES(readline),    CASES(concurrent), CASES(many),   CASES(cancel_read),   CASES(cancel_write),
    CASES(cancel_before), CASES(write_stream), TEST(t_no_task),    TEST(t_fallback_when_refused),
    TEST(t_loop_close), TEST(t_loop_close_busy),
};

int main(int argc, char **argv)
{
    make_dir();
    int rc = run_tests(argc, argv, cases, NCASES(cases));
    remove_dir();
    return rc;
}
