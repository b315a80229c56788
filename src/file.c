/* Asynchronous files: cio_file_* (aiofiles, libuv's uv_fs_*).
 *
 * Every operation is a struct fop on the calling task's stack; the task
 * suspends until the operation has completed, whichever way it ran, so the
 * caller's buffer, path and iovec stay valid for as long as anything may
 * touch them.  Two ways to run one:
 *
 *   - the thread pool (src/threadpool.c): the fop is a job; a worker makes
 *     the system call and posts the job back to the loop, whose callback
 *     wakes the task;
 *   - io_uring (when built with liburing): a per-loop ring, made at the
 *     first file operation.  An operation becomes a submission queue entry
 *     whose user_data is the fop; the entries of an iteration are submitted
 *     together by one callback queued behind the ready batch (fring_flush),
 *     which also reaps what completed inline (a read from the page cache).
 *     The ring signals the rest through an eventfd that the loop watches like
 *     any fd; its callback reaps the completion queue.
 *
 * Cancellation (asyncio's: the task gets -ECANCELED).  A job no worker has
 * picked yet is taken back and the task resumes at once.  A job that runs,
 * or an io_uring operation, cannot be stopped midway: the cancel is a
 * request (IORING_OP_ASYNC_CANCEL on the ring), and the task resumes only
 * when the operation's own completion has arrived, then returns -ECANCELED.
 * So no completion ever lands in memory that was given back, at the price
 * of a cancel that waits for the operation in flight (bounded for regular
 * files).  A cancelled open that did open closes the new fd.
 *
 * The backend is decided per loop at its first file operation: the
 * CIO_FILE_BACKEND environment variable (threadpool or io_uring), else
 * io_uring when the ring can be made, else the thread pool (a kernel without
 * io_uring, a seccomp filter, kernel.io_uring_disabled). */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

#ifdef CIO_HAVE_LIBURING
#include <liburing.h>
#include <sys/eventfd.h>
#endif
#if defined(CIO_VALGRIND) && defined(CIO_HAVE_LIBURING)
#include <valgrind/memcheck.h>
#define MEM_DEFINED(p, n) VALGRIND_MAKE_MEM_DEFINED((p), (n))
#else
#define MEM_DEFINED(p, n) ((void)(p), (void)(n))
#endif

#define FILE_MAGIC 0x46696c65u /* "File" */
#define RW_MAX 0x7ffff000u     /* Linux moves at most this much per call */

enum { BE_UNDECIDED = 0, BE_POOL = 1, BE_URING = 2 };

enum { OP_OPEN, OP_CLOSE, OP_READ, OP_WRITE, OP_READV, OP_WRITEV, OP_FSYNC, OP_FDATASYNC,
       OP_FSTAT, OP_STAT, OP_UNLINK, OP_RENAME, OP_MKDIR, OP_RMDIR };

struct fop {
    struct cio__job job;        /* the thread-pool path */
    struct cio__task *task;     /* the task waiting for it */
    int op, fd, flags;
    mode_t mode;
    void *buf;                  /* read/write data; struct stat * for (f)stat */
    size_t n;
    const struct iovec *iov;
    int iovcnt;
    int64_t off;                /* -1: at (and moving) the file position */
    const char *path, *path2;
    ssize_t res;                /* the outcome: >= 0, or -errno */
#ifdef CIO_HAVE_LIBURING
    struct statx stx;           /* (f)stat on the ring */
#endif
};

struct cio_file_s {
    uint32_t magic;
    int fd;           /* -1 once closed */
    int busy;         /* operations in flight */
    uint8_t reading;  /* a buffered read (readline ...) is running */
    uint8_t eof;      /* the buffered reader saw end of file */
    char *rbuf;       /* buffered reading: data read ahead of the caller */
    size_t rpos, rlen, rcap;
    size_t limit;     /* readline/readuntil limit */
    size_t partial;   /* the count of the last CIO_EINCOMPLETE/ELIMITOVERRUN */
};

/* ------------------------------------------------------- the system calls */

static ssize_t fop_syscall(struct fop *o)
{
    ssize_t r;
    do {
        switch (o->op) {
        case OP_OPEN: r = open(o->path, o->flags | O_CLOEXEC, o->mode); break;
        case OP_CLOSE: r = close(o->fd); return r < 0 && errno != EINTR ? -errno : 0;
        case OP_READ: r = o->off < 0 ? read(o->fd, o->buf, o->n) : pread(o->fd, o->buf, o->n, o->off); break;
        case OP_WRITE: r = o->off < 0 ? write(o->fd, o->buf, o->n) : pwrite(o->fd, o->buf, o->n, o->off); break;
        case OP_READV:
            r = o->off < 0 ? readv(o->fd, o->iov, o->iovcnt) : preadv(o->fd, o->iov, o->iovcnt, o->off);
            break;
        case OP_WRITEV:
            r = o->off < 0 ? writev(o->fd, o->iov, o->iovcnt) : pwritev(o->fd, o->iov, o->iovcnt, o->off);
            break;
        case OP_FSYNC: r = fsync(o->fd); break;
        case OP_FDATASYNC: r = fdatasync(o->fd); break;
        case OP_FSTAT: r = fstat(o->fd, o->buf); break;
        case OP_STAT: r = stat(o->path, o->buf); break;
        case OP_UNLINK: r = unlink(o->path); break;
        case OP_RENAME: r = rename(o->path, o->path2); break;
        case OP_MKDIR: r = mkdir(o->path, o->mode); break;
        case OP_RMDIR: r = rmdir(o->path); break;
        default: return -EINVAL;
        }
    } while (r < 0 && errno == EINTR);
    return r < 0 ? -errno : r;
}

/* ------------------------------------------------------- thread-pool path */

static int pool_work(void *arg, void **result)
{
    (void)result;
    struct fop *o = arg;
    o->res = fop_syscall(o);
    return 0;
}

static void pool_done(struct cio__cb *cb)
{
    struct fop *o = cio__container_of(cb, struct fop, job.cb);
    cio__task_wake(o->task, 0);
}

static int pool_cancel(struct cio__task *t)
{
    struct fop *o = t->wait->obj;
    if (!cio__executor_unqueue(t->fut.loop, &o->job))
        return 0; /* running: the task resumes at its completion */
    o->res = -ECANCELED;
    cio__task_wake(t, -ECANCELED);
    return 1;
}

/* ----------------------------------------------------------- io_uring path */
#ifdef CIO_HAVE_LIBURING
struct cio__fring {
    struct io_uring ring;
    struct cio__io evio;     /* the eventfd the ring signals completions on */
    struct cio__cb flush_cb; /* queued while entries wait to be submitted */
    cio_loop_t *loop;
    uint8_t flush_queued;
    size_t inflight;
};

static void fring_reap(struct cio__fring *fr)
{
    for (;;) {
        struct io_uring_cqe *cqe;
        unsigned head, n = 0;
        io_uring_for_each_cqe(&fr->ring, head, cqe)
        {
            n++;
            struct fop *o = io_uring_cqe_get_data(cqe);
            if (!o)
                continue; /* an ASYNC_CANCEL's own completion */
            o->res = cqe->res;
            fr->inflight--;
            cio__task_wake(o->task, 0);
        }
        if (n)
            io_uring_cq_advance(&fr->ring, n);
        /* Completions the full queue could not take wait in the kernel:
         * ask for them (they are not signalled again) and reap those too. */
        if (!io_uring_cq_has_overflow(&fr->ring) || io_uring_get_events(&fr->ring) < 0)
            break;
    }
}

static void fring_flush(struct cio__cb *cb)
{
    struct cio__fring *fr = cio__container_of(cb, struct cio__fring, flush_cb);
    fr->flush_queued = 0;
    if (fr->loop->closed)
        return;
    int rc = io_uring_submit(&fr->ring);
    fring_reap(fr);
    if (rc < 0 && io_uring_sq_ready(&fr->ring)) {
        /* -EBUSY/-EAGAIN: completions or memory first; try again next round. */
        fr->flush_queued = 1;
        cio__loop_schedule(fr->loop, &fr->flush_cb);
    }
}

static void fring_event(struct cio__io *io, uint32_t events)
{
    (void)events;
    struct cio__fring *fr = cio__container_of(io, struct cio__fring, evio);
    uint64_t v;
    if (read(io->fd, &v, sizeof v) < 0 && errno != EAGAIN)
        return;
    fring_reap(fr);
}

static void fring_kick(struct cio__fring *fr)
{
    if (!fr->flush_queued) {
        fr->flush_queued = 1;
        cio__loop_schedule(fr->loop, &fr->flush_cb);
    }
}

static struct io_uring_sqe *fring_sqe(struct cio__fring *fr)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(&fr->ring);
    if (!sqe) { /* the queue is full: submit what is there */
        io_uring_submit(&fr->ring);
        fring_reap(fr);
        sqe = io_uring_get_sqe(&fr->ring);
    }
    return sqe;
}

/* 0, 1 when our own memory ran short (worth another try), or the kernel's
 * refusal (the thread pool for good: a kernel without io_uring, seccomp,
 * io_uring_disabled, an old kernel's memlock limit). */
static int fring_new(cio_loop_t *loop)
{
    struct cio__fring *fr = cio__calloc(sizeof *fr);
    if (!fr)
        return 1;
    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    int rc = io_uring_queue_init_params(256, &fr->ring, &p);
    if (rc < 0)
        goto fail_free;
    int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (efd < 0) {
        rc = -errno;
        goto fail_ring;
    }
    if ((rc = io_uring_register_eventfd(&fr->ring, efd)) < 0)
        goto fail_efd;
    fr->evio.fd = efd;
    fr->evio.events = CIO__IO_READ;
    fr->evio.cb = fring_event;
    if ((rc = cio__io_add(loop, &fr->evio)) < 0)
        goto fail_efd;
    fr->flush_cb.run = fring_flush;
    fr->loop = loop;
    loop->fring = fr;
    return 0;
fail_efd:
    close(efd);
fail_ring:
    io_uring_queue_exit(&fr->ring);
fail_free:
    cio__free(fr);
    return rc;
}

static int uring_cancel(struct cio__task *t)
{
    struct fop *o = t->wait->obj;
    struct cio__fring *fr = t->fut.loop->fring;
    struct io_uring_sqe *sqe = fring_sqe(fr);
    if (sqe) {
        io_uring_prep_cancel(sqe, o, 0);
        io_uring_sqe_set_data(sqe, NULL);
        fring_kick(fr);
    }
    return 0; /* the task resumes at the operation's own completion */
}

static void stat_from_statx(struct stat *st, const struct statx *x)
{
    memset(st, 0, sizeof *st);
    st->st_dev = makedev(x->stx_dev_major, x->stx_dev_minor);
    st->st_ino = x->stx_ino;
    st->st_mode = x->stx_mode;
    st->st_nlink = x->stx_nlink;
    st->st_uid = x->stx_uid;
    st->st_gid = x->stx_gid;
    st->st_rdev = makedev(x->stx_rdev_major, x->stx_rdev_minor);
    st->st_size = (off_t)x->stx_size;
    st->st_blksize = x->stx_blksize;
    st->st_blocks = (blkcnt_t)x->stx_blocks;
    st->st_atim.tv_sec = x->stx_atime.tv_sec;
    st->st_atim.tv_nsec = x->stx_atime.tv_nsec;
    st->st_mtim.tv_sec = x->stx_mtime.tv_sec;
    st->st_mtim.tv_nsec = x->stx_mtime.tv_nsec;
    st->st_ctim.tv_sec = x->stx_ctime.tv_sec;
    st->st_ctim.tv_nsec = x->stx_ctime.tv_nsec;
}

/* Queue o on the ring: 0, or -ENOMEM when no entry could be had. */
static int uring_prep(struct cio__fring *fr, struct fop *o)
{
    struct io_uring_sqe *sqe = fring_sqe(fr);
    if (!sqe)
        return -ENOMEM;
    __u64 off = o->off < 0 ? (__u64)-1 : (__u64)o->off;
    switch (o->op) {
    case OP_OPEN: io_uring_prep_openat(sqe, AT_FDCWD, o->path, o->flags | O_CLOEXEC, o->mode); break;
    case OP_CLOSE: io_uring_prep_close(sqe, o->fd); break;
    case OP_READ: io_uring_prep_read(sqe, o->fd, o->buf, (unsigned)o->n, off); break;
    case OP_WRITE: io_uring_prep_write(sqe, o->fd, o->buf, (unsigned)o->n, off); break;
    case OP_READV: io_uring_prep_readv(sqe, o->fd, o->iov, (unsigned)o->iovcnt, off); break;
    case OP_WRITEV: io_uring_prep_writev(sqe, o->fd, o->iov, (unsigned)o->iovcnt, off); break;
    case OP_FSYNC: io_uring_prep_fsync(sqe, o->fd, 0); break;
    case OP_FDATASYNC: io_uring_prep_fsync(sqe, o->fd, IORING_FSYNC_DATASYNC); break;
    case OP_FSTAT:
        io_uring_prep_statx(sqe, o->fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &o->stx);
        break;
    case OP_STAT: io_uring_prep_statx(sqe, AT_FDCWD, o->path, 0, STATX_BASIC_STATS, &o->stx); break;
    case OP_UNLINK: io_uring_prep_unlinkat(sqe, AT_FDCWD, o->path, 0); break;
    case OP_RENAME: io_uring_prep_renameat(sqe, AT_FDCWD, o->path, AT_FDCWD, o->path2, 0); break;
    case OP_MKDIR: io_uring_prep_mkdirat(sqe, AT_FDCWD, o->path, o->mode); break;
    case OP_RMDIR: io_uring_prep_unlinkat(sqe, AT_FDCWD, o->path, AT_REMOVEDIR); break;
    }
    io_uring_sqe_set_data(sqe, o);
    fr->inflight++;
    fring_kick(fr);
    return 0;
}
#endif /* CIO_HAVE_LIBURING */

void cio__file_loop_close(cio_loop_t *loop)
{
#ifdef CIO_HAVE_LIBURING
    struct cio__fring *fr = loop->fring;
    if (!fr)
        return;
    cio__io_del(loop, &fr->evio);
    io_uring_queue_exit(&fr->ring);
    close(fr->evio.fd);
    cio__free(fr);
    loop->fring = NULL;
#endif
    loop->file_backend = BE_UNDECIDED;
}

/* The loop's backend, deciding it at the first call. */
static int backend_of(cio_loop_t *loop)
{
    if (loop->file_backend != BE_UNDECIDED)
        return loop->file_backend;
    loop->file_backend = BE_POOL;
#ifdef CIO_HAVE_LIBURING
    const char *env = getenv("CIO_FILE_BACKEND");
    if (env && strcmp(env, "threadpool") == 0)
        return BE_POOL;
    int rc = fring_new(loop);
    if (rc == 0)
        loop->file_backend = BE_URING;
    else if (rc == 1)
        loop->file_backend = BE_UNDECIDED; /* try again at the next call */
#endif
    return loop->file_backend == BE_URING ? BE_URING : BE_POOL;
}

/* Run o from the current task and wait for its completion: its outcome, or
 * -ECANCELED (the operation then has finished or never started). */
static ssize_t fop_run(struct fop *o)
{
    struct cio__task *t = cio__tls.task;
    if (!t)
        return cio__tls.running ? CIO_ENOTASK : CIO_ENOLOOP;
    cio_loop_t *loop = t->fut.loop;
    if (t->fut.tflags & CIO__T_MUST_CANCEL) { /* cancelled before it began */
        t->fut.tflags &= (uint8_t)~CIO__T_MUST_CANCEL;
        return -ECANCELED;
    }
    o->task = t;
    o->res = -ECANCELED;
    int rc;
#ifdef CIO_HAVE_LIBURING
    if (backend_of(loop) == BE_URING) {
        if ((rc = uring_prep(loop->fring, o)) < 0)
            return rc;
        rc = cio__task_suspend(t, uring_cancel, o);
        if (o->res >= 0) {
            /* What the kernel wrote, valgrind did not see written. */
            if (o->op == OP_READ)
                MEM_DEFINED(o->buf, (size_t)o->res);
            if (o->op == OP_READV)
                for (size_t i = 0, left = (size_t)o->res; i < (size_t)o->iovcnt && left; i++) {
                    size_t k = o->iov[i].iov_len < left ? o->iov[i].iov_len : left;
                    MEM_DEFINED(o->iov[i].iov_base, k);
                    left -= k;
                }
            if (o->op == OP_FSTAT || o->op == OP_STAT) {
                MEM_DEFINED(&o->stx, sizeof o->stx);
                stat_from_statx(o->buf, &o->stx);
            }
        }
        goto done;
    }
#else
    (void)backend_of(loop);
#endif
    o->job.cb.run = pool_done;
    o->job.fn = pool_work;
    o->job.arg = o;
    o->job.fut = NULL;
    if ((rc = cio__executor_submit(loop, &o->job)) < 0)
        return rc;
    rc = cio__task_suspend(t, pool_cancel, o);
#ifdef CIO_HAVE_LIBURING
done:
#endif
    if (rc < 0) {
        if (o->op == OP_OPEN && o->res >= 0)
            close((int)o->res); /* opened, but nobody will have it */
        return rc;
    }
    return o->res;
}

int cio_file_backend(cio_loop_t *loop, const char **name)
{
    if (name)
        *name = NULL;
    if (cio__loop_check(loop))
        return -EINVAL;
    if (loop->closed)
        return CIO_ELOOPCLOSED;
    int be = backend_of(loop);
    if (name)
        *name = be == BE_URING ? "io_uring" : "threadpool";
    return be == BE_URING ? CIO_FILE_IO_URING : CIO_FILE_THREADPOOL;
}

/* ---------------------------------------------------------- file objects */

static int file_check(cio_file_t *f)
{
    if (!f || f->magic != FILE_MAGIC)
        return -EINVAL;
    return f->fd < 0 ? CIO_ECLOSED : 0;
}

static int file_new(int fd, cio_file_t **out)
{
    cio_file_t *f = cio__calloc(sizeof *f);
    if (!f)
        return -ENOMEM;
    f->magic = FILE_MAGIC;
    f->fd = fd;
    f->limit = CIO_STREAM_LIMIT;
    *out = f;
    return 0;
}

int cio_file_open(const char *path, int flags, mode_t mode, cio_file_t **out)
{
    if (out)
        *out = NULL;
    if (!path || !out)
        return -EINVAL;
    cio_file_t *f;
    int rc = file_new(-1, &f); /* first: no fd to lose if memory is short */
    if (rc < 0)
        return rc;
    struct fop o = {.op = OP_OPEN, .path = path, .flags = flags, .mode = mode};
    ssize_t fd = fop_run(&o);
    if (fd < 0) {
        cio__free(f);
        return (int)fd;
    }
    f->fd = (int)fd;
    *out = f;
    return 0;
}

int cio_file_from_fd(int fd, cio_file_t **out)
{
    if (out)
        *out = NULL;
    if (!out)
        return -EINVAL;
    if (fd < 0 || fcntl(fd, F_GETFD) < 0)
        return -EBADF;
    return file_new(fd, out);
}

int cio_file_fd(cio_file_t *f)
{
    int rc = file_check(f);
    return rc < 0 ? rc : f->fd;
}

int cio_file_close(cio_file_t *f)
{
    int rc = file_check(f);
    if (rc < 0)
        return rc;
    if (f->busy || f->reading)
        return -EBUSY;
    struct fop o = {.op = OP_CLOSE, .fd = f->fd};
    f->busy++;
    ssize_t r = fop_run(&o);
    f->busy--;
    if (o.res == -ECANCELED || r == CIO_ENOTASK || r == CIO_ENOLOOP)
        close(f->fd); /* never ran: close it here rather than leak it */
    f->fd = -1;
    cio__free(f->rbuf);
    f->rbuf = NULL;
    f->rpos = f->rlen = f->rcap = 0;
    return (int)r;
}

int cio_file_free(cio_file_t *f)
{
    if (!f)
        return 0;
    if (f->magic != FILE_MAGIC)
        return -EINVAL;
    if (f->busy || f->reading)
        return -EBUSY;
    if (f->fd >= 0)
        close(f->fd);
    cio__free(f->rbuf);
    f->magic = CIO__MAGIC_DEAD;
    cio__free(f);
    return 0;
}

static ssize_t file_op(cio_file_t *f, struct fop *o)
{
    o->fd = f->fd;
    f->busy++;
    ssize_t r = fop_run(o);
    f->busy--;
    return r;
}

/* Before an operation at the file position: give back what the buffered
 * reader read ahead, so that the kernel's position is the caller's. */
static int unread_ahead(cio_file_t *f)
{
    size_t ahead = f->rlen - f->rpos;
    f->rpos = f->rlen = 0;
    f->eof = 0;
    if (ahead && lseek(f->fd, -(off_t)ahead, SEEK_CUR) < 0)
        return -errno;
    return 0;
}

int64_t cio_file_seek(cio_file_t *f, int64_t offset, int whence)
{
    int rc = file_check(f);
    if (rc < 0)
        return rc;
    if (f->reading || f->busy)
        return CIO_EINVALSTATE;
    if ((rc = unread_ahead(f)) < 0)
        return rc;
    off_t r = lseek(f->fd, (off_t)offset, whence);
    return r < 0 ? -errno : (int64_t)r;
}

static int rw_check(cio_file_t *f, const void *buf, size_t n, int64_t off)
{
    int rc = file_check(f);
    if (rc < 0)
        return rc;
    if ((!buf && n) || n > SSIZE_MAX || off < -1)
        return -EINVAL;
    return 0;
}

ssize_t cio_file_read(cio_file_t *f, void *buf, size_t n)
{
    int rc = rw_check(f, buf, n, -1);
    if (rc < 0)
        return rc;
    if (f->reading)
        return CIO_EINVALSTATE;
    if (f->rlen > f->rpos) { /* what readline read ahead comes first */
        size_t k = f->rlen - f->rpos < n ? f->rlen - f->rpos : n;
        memcpy(buf, f->rbuf + f->rpos, k);
        f->rpos += k;
        return (ssize_t)k;
    }
    struct fop o = {.op = OP_READ, .buf = buf, .n = n > RW_MAX ? RW_MAX : n, .off = -1};
    return file_op(f, &o);
}

ssize_t cio_file_write(cio_file_t *f, const void *buf, size_t n)
{
    int rc = rw_check(f, buf, n, -1);
    if (rc < 0)
        return rc;
    if (f->reading)
        return CIO_EINVALSTATE;
    if ((rc = unread_ahead(f)) < 0)
        return rc;
    struct fop o = {.op = OP_WRITE, .buf = (void *)buf, .n = n > RW_MAX ? RW_MAX : n, .off = -1};
    return file_op(f, &o);
}

ssize_t cio_file_pread(cio_file_t *f, void *buf, size_t n, int64_t offset)
{
    int rc = rw_check(f, buf, n, offset);
    if (rc < 0)
        return rc;
    if (offset < 0)
        return -EINVAL;
    struct fop o = {.op = OP_READ, .buf = buf, .n = n > RW_MAX ? RW_MAX : n, .off = offset};
    return file_op(f, &o);
}

ssize_t cio_file_pwrite(cio_file_t *f, const void *buf, size_t n, int64_t offset)
{
    int rc = rw_check(f, buf, n, offset);
    if (rc < 0)
        return rc;
    if (offset < 0)
        return -EINVAL;
    struct fop o = {.op = OP_WRITE, .buf = (void *)buf, .n = n > RW_MAX ? RW_MAX : n, .off = offset};
    return file_op(f, &o);
}

static ssize_t vec_op(cio_file_t *f, int op, const struct iovec *iov, int iovcnt, int64_t offset)
{
    int rc = file_check(f);
    if (rc < 0)
        return rc;
    if (offset < -1 || iovcnt < 0 || iovcnt > IOV_MAX || (!iov && iovcnt))
        return -EINVAL;
    size_t total = 0;
    for (int i = 0; i < iovcnt; i++) {
        if ((!iov[i].iov_base && iov[i].iov_len) || iov[i].iov_len > SSIZE_MAX - total)
            return -EINVAL;
        total += iov[i].iov_len;
    }
    if (offset == -1) {
        if (f->reading)
            return CIO_EINVALSTATE;
        if ((rc = unread_ahead(f)) < 0)
            return rc;
    }
    struct fop o = {.op = op, .iov = iov, .iovcnt = iovcnt, .off = offset};
    return file_op(f, &o);
}

ssize_t cio_file_readv(cio_file_t *f, const struct iovec *iov, int iovcnt, int64_t offset)
{
    return vec_op(f, OP_READV, iov, iovcnt, offset);
}

ssize_t cio_file_writev(cio_file_t *f, const struct iovec *iov, int iovcnt, int64_t offset)
{
    return vec_op(f, OP_WRITEV, iov, iovcnt, offset);
}

static int sync_op(cio_file_t *f, int op)
{
    int rc = file_check(f);
    if (rc < 0)
        return rc;
    struct fop o = {.op = op};
    return (int)file_op(f, &o);
}

int cio_file_fsync(cio_file_t *f)
{
    return sync_op(f, OP_FSYNC);
}

int cio_file_fdatasync(cio_file_t *f)
{
    return sync_op(f, OP_FDATASYNC);
}

int cio_file_fstat(cio_file_t *f, struct stat *st)
{
    int rc = file_check(f);
    if (rc < 0)
        return rc;
    if (!st)
        return -EINVAL;
    struct fop o = {.op = OP_FSTAT, .buf = st};
    return (int)file_op(f, &o);
}

/* ------------------------------------------------------------- by path */

int cio_file_stat(const char *path, struct stat *st)
{
    if (!path || !st)
        return -EINVAL;
    struct fop o = {.op = OP_STAT, .path = path, .buf = st};
    return (int)fop_run(&o);
}

int cio_file_unlink(const char *path)
{
    if (!path)
        return -EINVAL;
    struct fop o = {.op = OP_UNLINK, .path = path};
    return (int)fop_run(&o);
}

int cio_file_rename(const char *oldpath, const char *newpath)
{
    if (!oldpath || !newpath)
        return -EINVAL;
    struct fop o = {.op = OP_RENAME, .path = oldpath, .path2 = newpath};
    return (int)fop_run(&o);
}

int cio_file_mkdir(const char *path, mode_t mode)
{
    if (!path)
        return -EINVAL;
    struct fop o = {.op = OP_MKDIR, .path = path, .mode = mode};
    return (int)fop_run(&o);
}

int cio_file_rmdir(const char *path)
{
    if (!path)
        return -EINVAL;
    struct fop o = {.op = OP_RMDIR, .path = path};
    return (int)fop_run(&o);
}

ssize_t cio_file_read_all(const char *path, char **data)
{
    if (data)
        *data = NULL;
    if (!path || !data)
        return -EINVAL;
    cio_file_t *f;
    int rc = cio_file_open(path, O_RDONLY, 0, &f);
    if (rc < 0)
        return rc;
    struct stat st;
    size_t cap = 4096, len = 0;
    ssize_t r = cio_file_fstat(f, &st);
    if (r < 0)
        goto out;
    if (st.st_size > 0 && (uint64_t)st.st_size < SSIZE_MAX - 1)
        cap = (size_t)st.st_size + 1; /* + 1: EOF read in place, room for the NUL */
    char *buf = cio__malloc(cap);
    if (!buf) {
        r = -ENOMEM;
        goto out;
    }
    for (;;) {
        if (len + 1 >= cap) {
            size_t ncap = cap * 2;
            char *nb = ncap > cap ? cio__realloc(buf, ncap) : NULL;
            if (!nb) {
                r = -ENOMEM;
                break;
            }
            buf = nb;
            cap = ncap;
        }
        r = cio_file_read(f, buf + len, cap - len - 1);
        if (r <= 0)
            break;
        len += (size_t)r;
    }
    if (r < 0) {
        cio__free(buf);
    } else {
        buf[len] = '\0';
        *data = buf;
        r = (ssize_t)len;
    }
out:
    rc = cio_file_close(f);
    cio_file_free(f);
    if (r >= 0 && rc < 0) {
        cio__free(*data);
        *data = NULL;
        r = rc;
    }
    return r;
}

static ssize_t write_fully(cio_file_t *f, const char *p, size_t n)
{
    size_t done = 0;
    while (done < n) {
        ssize_t w = cio_file_write(f, p + done, n - done);
        if (w < 0)
            return w;
        if (w == 0)
            return -EIO;
        done += (size_t)w;
    }
    return (ssize_t)done;
}

int cio_file_write_all(const char *path, const void *data, size_t n)
{
    if (!path || (!data && n) || n > SSIZE_MAX)
        return -EINVAL;
    cio_file_t *f;
    int rc = cio_file_open(path, O_WRONLY | O_CREAT | O_TRUNC, 0666, &f);
    if (rc < 0)
        return rc;
    ssize_t w = write_fully(f, data, n);
    rc = cio_file_close(f);
    cio_file_free(f);
    return w < 0 ? (int)w : rc;
}

/* ------------------------------------------------------ buffered reading */

int cio_file_set_limit(cio_file_t *f, size_t limit)
{
    int rc = file_check(f);
    if (rc < 0)
        return rc;
    if (limit > SSIZE_MAX / 2)
        return -EINVAL;
    if (f->reading || f->rlen > f->rpos)
        return CIO_EINVALSTATE;
    cio__free(f->rbuf);
    f->rbuf = NULL;
    f->rcap = f->rpos = f->rlen = 0;
    f->limit = limit ? limit : CIO_STREAM_LIMIT;
    return 0;
}

size_t cio_file_partial(cio_file_t *f)
{
    return file_check(f) < 0 ? 0 : f->partial;
}

/* Read more at the end of the buffer: the count, 0 at EOF, or an error. */
static ssize_t ra_fill(cio_file_t *f)
{
    if (!f->rbuf) {
        f->rcap = f->limit + 4096;
        if (!(f->rbuf = cio__malloc(f->rcap)))
            return -ENOMEM;
    }
    if (f->rpos) {
        memmove(f->rbuf, f->rbuf + f->rpos, f->rlen - f->rpos);
        f->rlen -= f->rpos;
        f->rpos = 0;
    }
    if (f->rlen == f->rcap)
        return -ENOBUFS; /* cannot happen: the caller stops at the limit */
    size_t n = f->rcap - f->rlen;
    struct fop o = {.op = OP_READ, .buf = f->rbuf + f->rlen, .n = n, .off = -1};
    ssize_t r = file_op(f, &o);
    if (r > 0)
        f->rlen += (size_t)r;
    else if (r == 0)
        f->eof = 1;
    return r;
}

static void *find(const char *p, size_t n, const void *sep, size_t seplen)
{
    return seplen == 1 ? memchr(p, *(const char *)sep, n) : memmem(p, n, sep, seplen);
}

static ssize_t read_until(cio_file_t *f, const void *sep, size_t seplen, char *buf, size_t cap, int line)
{
    int rc = file_check(f);
    if (rc < 0)
        return rc;
    if (!sep || !seplen || (!buf && cap) || cap > SSIZE_MAX)
        return -EINVAL;
    if (f->reading || f->busy)
        return CIO_EINVALSTATE;
    f->reading = 1;
    f->partial = 0;
    size_t scanned = 0;
    ssize_t r;
    for (;;) {
        char *p = f->rbuf + f->rpos;
        size_t avail = f->rlen - f->rpos;
        size_t from = scanned > seplen - 1 ? scanned - (seplen - 1) : 0;
        char *m = avail ? find(p + from, avail - from, sep, seplen) : NULL;
        if (m) {
            size_t len = (size_t)(m - p) + seplen;
            if (len - seplen > f->limit) { /* asyncio compares the data before the separator */
                f->partial = len - seplen;
                if (line)
                    f->rpos += len; /* readline drops the overlong line */
                r = CIO_ELIMITOVERRUN;
            } else if (len > cap) {
                r = -ENOBUFS;
            } else {
                memcpy(buf, p, len);
                if (len < cap)
                    buf[len] = '\0';
                f->rpos += len;
                r = (ssize_t)len;
            }
            break;
        }
        scanned = avail;
        if (avail > f->limit) {
            f->partial = avail;
            if (line)
                f->rpos = f->rlen = 0; /* readline drops what it holds */
            r = CIO_ELIMITOVERRUN;
            break;
        }
        if (f->eof) {
            if (avail > cap) {
                r = -ENOBUFS;
                break;
            }
            if (avail)
                memcpy(buf, p, avail);
            if (avail < cap)
                buf[avail] = '\0';
            f->rpos = f->rlen = 0;
            f->eof = 0; /* a file may grow: the next call reads again */
            if (line) {
                r = (ssize_t)avail; /* the last line, or 0 */
            } else {
                f->partial = avail;
                r = CIO_EINCOMPLETE;
            }
            break;
        }
        if ((r = ra_fill(f)) < 0)
            break;
    }
    f->reading = 0;
    return r;
}

ssize_t cio_file_readline(cio_file_t *f, char *buf, size_t cap)
{
    return read_until(f, "\n", 1, buf, cap, 1);
}

ssize_t cio_file_readuntil(cio_file_t *f, const void *sep, size_t seplen, void *buf, size_t cap)
{
    return read_until(f, sep, seplen, buf, cap, 0);
}

ssize_t cio_file_readexactly(cio_file_t *f, void *buf, size_t n)
{
    int rc = rw_check(f, buf, n, -1);
    if (rc < 0)
        return rc;
    if (f->reading || f->busy)
        return CIO_EINVALSTATE;
    f->reading = 1;
    f->partial = 0;
    size_t got = 0;
    ssize_t r = 0;
    if (f->rlen > f->rpos) {
        got = f->rlen - f->rpos < n ? f->rlen - f->rpos : n;
        memcpy(buf, f->rbuf + f->rpos, got);
        f->rpos += got;
    }
    while (got < n) {
        size_t want = n - got > RW_MAX ? RW_MAX : n - got;
        struct fop o = {.op = OP_READ, .buf = (char *)buf + got, .n = want, .off = -1};
        if ((r = file_op(f, &o)) <= 0)
            break;
        got += (size_t)r;
    }
    f->reading = 0;
    f->eof = 0;
    if (r < 0)
        return r;
    if (got < n) {
        f->partial = got;
        return CIO_EINCOMPLETE;
    }
    return (ssize_t)got;
}

int64_t cio_file_write_stream(cio_file_t *f, cio_stream_t *s)
{
    int rc = file_check(f);
    if (rc < 0)
        return rc;
    if (!s)
        return -EINVAL;
    if (f->reading)
        return CIO_EINVALSTATE;
    if ((rc = unread_ahead(f)) < 0)
        return rc;
    /* A buffer of its own: the stream's may move while the write waits. */
    enum { CHUNK = 64 * 1024 };
    char *buf = cio__malloc(CHUNK);
    if (!buf)
        return -ENOMEM;
    int64_t total = 0;
    for (;;) {
        ssize_t n = cio_stream_read(s, buf, CHUNK);
        if (n <= 0) {
            if (n < 0)
                total = n;
            break;
        }
        ssize_t w = write_fully(f, buf, (size_t)n);
        if (w < 0) {
            total = w;
            break;
        }
        total += w;
    }
    cio__free(buf);
    return total;
}
