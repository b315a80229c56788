/* fd readiness: asyncio's add_reader/add_writer (level-triggered callbacks
 * run from the ready queue) and cio_wait_readable/writable for a task.
 *
 * The loop keeps a table indexed by fd.  An entry holds, per direction, the
 * user's callback or the one waiting task; its epoll registration follows
 * what is wanted (added, changed or dropped when that changes).  Entries of
 * watched fds live until the loop closes, so a callback node still queued
 * when its reader is removed stays valid (it finds no callback and does
 * nothing); an entry that only marked a library object's fd goes with it. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>

int cio__io_add(cio_loop_t *loop, struct cio__io *io)
{
    int rc = loop->backend->add(loop, io);
    if (rc == -EEXIST)
        rc = loop->backend->mod(loop, io);
    if (rc == 0)
        loop->nwatchers++;
    return rc;
}

int cio__io_mod(cio_loop_t *loop, struct cio__io *io)
{
    int rc = loop->backend->mod(loop, io);
    if (rc == -ENOENT) /* the fd was closed and reopened behind our back */
        rc = loop->backend->add(loop, io);
    return rc;
}

void cio__io_del(cio_loop_t *loop, struct cio__io *io)
{
    loop->backend->del(loop, io); /* ENOENT/EBADF: the fd is already gone */
    loop->nwatchers--;
}

cio_loop_t *cio__running_loop(int *rc)
{
    cio_loop_t *loop = cio__tls.running;
    *rc = loop ? 0 : CIO_ENOLOOP;
    return loop;
}

static struct cio__fdent *fd_entry(cio_loop_t *loop, int fd, int create)
{
    if (fd < loop->nfds && loop->fds[fd])
        return loop->fds[fd];
    if (!create)
        return NULL;
    if (fd >= loop->nfds) {
        int n = loop->nfds ? loop->nfds : 64;
        while (n <= fd)
            n *= 2;
        struct cio__fdent **a = cio__realloc(loop->fds, (size_t)n * sizeof *a);
        if (!a)
            return NULL;
        for (int i = loop->nfds; i < n; i++)
            a[i] = NULL;
        loop->fds = a;
        loop->nfds = n;
    }
    struct cio__fdent *e = cio__calloc(sizeof *e);
    if (!e)
        return NULL;
    e->io.fd = fd;
    e->loop = loop;
    loop->fds[fd] = e;
    return e;
}

static void fd_io_cb(struct cio__io *io, uint32_t ev);

/* Make the registration match what the entry wants. */
static int fd_update(struct cio__fdent *e)
{
    uint32_t want = 0;
    if (e->fn[0] || e->task[0])
        want |= CIO__IO_READ;
    if (e->fn[1] || e->task[1])
        want |= CIO__IO_WRITE;
    if (want == (e->registered ? e->io.events : 0))
        return 0;
    uint32_t old = e->io.events;
    e->io.events = want;
    e->io.cb = fd_io_cb;
    int rc = 0;
    if (!want) {
        cio__io_del(e->loop, &e->io);
        e->registered = 0;
    } else if (!e->registered) {
        rc = cio__io_add(e->loop, &e->io);
        if (rc == 0)
            e->registered = 1;
    } else {
        rc = cio__io_mod(e->loop, &e->io);
    }
    if (rc < 0)
        e->io.events = old;
    return rc;
}

static void fd_run_cb(struct cio__cb *cb, int dir)
{
    struct cio__fdent *e = cio__container_of(cb, struct cio__fdent, cb[dir]);
    e->queued[dir] = 0;
    cio_callback_fn *fn = e->fn[dir];
    if (!fn)
        return; /* removed since it was queued */
    int rc = fn(e->arg[dir]);
    if (rc < 0)
        cio__loop_report(e->loop, dir ? "Exception in writer callback" : "Exception in reader callback", rc,
                         NULL, NULL, NULL);
}
static void fd_run_reader(struct cio__cb *cb) { fd_run_cb(cb, 0); }
static void fd_run_writer(struct cio__cb *cb) { fd_run_cb(cb, 1); }

static void fd_io_cb(struct cio__io *io, uint32_t ev)
{
    struct cio__fdent *e = cio__container_of(io, struct cio__fdent, io);
    for (int dir = 0; dir < 2; dir++) {
        if (!(ev & (dir ? CIO__IO_WRITE : CIO__IO_READ)))
            continue;
        if (e->task[dir]) {
            struct cio__task *t = e->task[dir];
            e->task[dir] = NULL;
            cio__task_wake(t, 0);
        }
        if (e->fn[dir] && !e->queued[dir]) {
            e->queued[dir] = 1;
            cio__loop_schedule(e->loop, &e->cb[dir]);
        }
    }
    fd_update(e); /* a woken task no longer wants the fd */
}

static int fd_check(cio_loop_t *loop, int fd)
{
    if (fd < 0)
        return -EBADF;
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -errno;
    if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))
        return -EPERM;
    struct cio__fdent *e = fd_entry(loop, fd, 0);
    if (e && e->owned)
        return CIO_EINVALSTATE;
    return 0;
}

static int add_watch(cio_loop_t *loop, int fd, int dir, cio_callback_fn *fn, void *arg)
{
    if (cio__loop_check(loop) || !fn)
        return -EINVAL;
    if (loop->closed)
        return CIO_ELOOPCLOSED;
    int rc = fd_check(loop, fd);
    if (rc < 0)
        return rc;
    struct cio__fdent *e = fd_entry(loop, fd, 1);
    if (!e)
        return -ENOMEM;
    cio_callback_fn *ofn = e->fn[dir];
    void *oarg = e->arg[dir];
    e->fn[dir] = fn;
    e->arg[dir] = arg;
    e->cb[dir].run = dir ? fd_run_writer : fd_run_reader;
    if ((rc = fd_update(e)) < 0) {
        e->fn[dir] = ofn;
        e->arg[dir] = oarg;
    }
    return rc;
}

static int remove_watch(cio_loop_t *loop, int fd, int dir)
{
    if (cio__loop_check(loop))
        return -EINVAL;
    if (fd < 0)
        return -EBADF;
    struct cio__fdent *e = fd_entry(loop, fd, 0);
    if (!e || !e->fn[dir])
        return 0;
    e->fn[dir] = NULL;
    e->arg[dir] = NULL;
    fd_update(e);
    return 1;
}

int cio_loop_add_reader(cio_loop_t *loop, int fd, cio_callback_fn *fn, void *arg)
{
    return add_watch(loop, fd, 0, fn, arg);
}
int cio_loop_add_writer(cio_loop_t *loop, int fd, cio_callback_fn *fn, void *arg)
{
    return add_watch(loop, fd, 1, fn, arg);
}
int cio_loop_remove_reader(cio_loop_t *loop, int fd)
{
    return remove_watch(loop, fd, 0);
}
int cio_loop_remove_writer(cio_loop_t *loop, int fd)
{
    return remove_watch(loop, fd, 1);
}

/* ------------------------------------------------------- a task waiting */

struct fd_wait {
    struct cio__timer timer;
    struct cio__fdent *e;
    struct cio__task *task;
    int dir;
};

static void fd_wait_timeout(struct cio__timer *tm)
{
    struct fd_wait *w = cio__container_of(tm, struct fd_wait, timer);
    if (w->e->task[w->dir] != w->task)
        return;
    w->e->task[w->dir] = NULL;
    fd_update(w->e);
    cio__task_wake(w->task, -ETIMEDOUT);
}

static int fd_wait_cancel(struct cio__task *t)
{
    struct fd_wait *w = t->wait->obj;
    if (w->e->task[w->dir] != t)
        return 0; /* already woken */
    w->e->task[w->dir] = NULL;
    fd_update(w->e);
    if (w->timer.idx != CIO__TIMER_NONE)
        cio__heap_remove(&t->fut.loop->timers, &w->timer);
    cio__task_wake(t, -ECANCELED);
    return 1;
}

int cio__wait_fd(int fd, int dir, int64_t timeout_ns)
{
    struct cio__task *t = cio__tls.task;
    if (!t)
        return cio__tls.running ? CIO_ENOTASK : CIO_ENOLOOP;
    cio_loop_t *loop = t->fut.loop;
    int rc = fd_check(loop, fd);
    if (rc < 0)
        return rc;
    struct cio__fdent *e = fd_entry(loop, fd, 1);
    if (!e)
        return -ENOMEM;
    if (e->task[dir])
        return CIO_EINVALSTATE;
    if (timeout_ns == 0) {
        /* No time to wait: ask the fd itself (the loop, when busy, polls
         * only every few iterations). */
        struct pollfd p = {.fd = fd, .events = dir ? POLLOUT : POLLIN};
        int n = poll(&p, 1, 0);
        if (n < 0)
            return -errno;
        if (n > 0)
            return 0;
        return cio_yield() < 0 ? -ECANCELED : -ETIMEDOUT;
    }
    struct fd_wait w = {.e = e, .task = t, .dir = dir};
    w.timer.idx = CIO__TIMER_NONE;
    if (timeout_ns >= 0) {
        if ((rc = cio__heap_reserve(&loop->timers, 1)) < 0)
            return rc;
        w.timer.when = cio__now_ns() + timeout_ns;
        w.timer.fire = fd_wait_timeout;
    }
    e->task[dir] = t;
    if ((rc = fd_update(e)) < 0) {
        e->task[dir] = NULL;
        return rc;
    }
    if (timeout_ns >= 0)
        cio__heap_push(&loop->timers, &w.timer);
    rc = cio__task_suspend(t, fd_wait_cancel, &w);
    if (w.timer.idx != CIO__TIMER_NONE)
        cio__heap_remove(&loop->timers, &w.timer);
    if (e->task[dir] == t) { /* a cancel delivered on resume */
        e->task[dir] = NULL;
        fd_update(e);
    }
    return rc;
}

static int wait_dir(int fd, int dir, double timeout)
{
    int64_t ns = -1;
    if (timeout >= 0) {
        int rc = cio__double_to_ns(timeout, &ns);
        if (rc < 0)
            return rc;
    } else if (timeout != timeout) {
        return -EINVAL;
    }
    return cio__wait_fd(fd, dir, ns);
}

int cio_wait_readable(int fd, double timeout)
{
    return wait_dir(fd, 0, timeout);
}
int cio_wait_writable(int fd, double timeout)
{
    return wait_dir(fd, 1, timeout);
}

/* ------------------------------------------------------------ ownership */

int cio__fd_claim(cio_loop_t *loop, int fd)
{
    struct cio__fdent *e = fd_entry(loop, fd, 0);
    if (e && (e->owned || e->fn[0] || e->fn[1] || e->task[0] || e->task[1]))
        return CIO_EINVALSTATE;
    if (!e && !(e = fd_entry(loop, fd, 1)))
        return -ENOMEM;
    e->owned = 1;
    return 0;
}

void cio__fd_release(cio_loop_t *loop, int fd)
{
    struct cio__fdent *e = fd_entry(loop, fd, 0);
    if (!e)
        return;
    e->owned = 0;
    /* An entry that only marked a connection's fd goes (nothing of it can
     * be queued): a spike of connections leaves no entries behind. */
    if (!e->fn[0] && !e->fn[1] && !e->task[0] && !e->task[1] && !e->registered && !e->queued[0] &&
        !e->queued[1]) {
        loop->fds[fd] = NULL;
        cio__free(e);
    }
}

void cio__fdwatch_close(cio_loop_t *loop)
{
    for (int i = 0; i < loop->nfds; i++) {
        struct cio__fdent *e = loop->fds[i];
        if (!e)
            continue;
        if (e->registered)
            cio__io_del(loop, &e->io);
        cio__free(e);
    }
    cio__free(loop->fds);
    loop->fds = NULL;
    loop->nfds = 0;
    cio__free(loop->scratch);
    loop->scratch = NULL;
}

char *cio__loop_scratch(cio_loop_t *loop)
{
    if (!loop->scratch)
        loop->scratch = cio__malloc(CIO__SCRATCH);
    return loop->scratch;
}
