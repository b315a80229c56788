/* Subprocesses (asyncio's create_subprocess_exec/shell and Process, and
 * the subprocess transport of loop.subprocess_exec).
 *
 * posix_spawn starts the child (glibc's clone(CLONE_VFORK): nothing runs in
 * the child but the file actions and exec, and an exec failure comes back as
 * the call's error); with user, group or umask, fork(2) and async-signal-safe
 * calls only (fork_spawn).  Pipes are cio streams over the parent's ends.  The
 * child's exit is noticed through a pidfd on the loop; without pidfd (Linux
 * before 5.3) a thread per child waits in waitpid and posts the exit to the
 * loop.  Only our own children are ever reaped. */
#include "net/net.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <spawn.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

struct cio_process_s {
    struct cio__obj obj;
    cio_loop_t *loop;
    pid_t pid;
    int pidfd;
    struct cio__io io;
    uint8_t registered;
    uint8_t exited;
    uint8_t orphan; /* the user let go while it ran: free once reaped */
    int returncode;
    struct cio__wlist waitq;
    struct cio_stream_s *pipes[3];
    /* the waiting thread, without pidfd */
    struct cio__cb exit_cb;
    int status;
    /* a subprocess transport (cio_subprocess_exec): the protocol, the pipe
     * transports, and asyncio's order of events */
    const cio_subprocess_protocol_t *proto;
    void *ud;
    cio_transport_t *tp[3];
    uint8_t tp_lost[3];
    uint8_t exit_seen; /* process_exited delivered */
    uint8_t finished;  /* connection_lost scheduled or run */
    uint8_t closed;    /* cio_process_close */
    uint8_t life;      /* the loop's reference until connection_lost */
    struct cio__cb proto_exit_cb, proto_lost_cb;
};


static int proc_check(cio_process_t *p)
{
    if (!p || p->obj.magic != CIO__MAGIC_PROCESS || !p->obj.refs)
        return -EINVAL;
    return 0;
}

static void process_free(cio_process_t *p)
{
    for (int i = 0; i < 3; i++)
        if (p->pipes[i])
            cio__conn_unref(&p->pipes[i]->t);
    for (int i = 0; i < 3; i++)
        if (p->tp[i]) {
            p->tp[i]->proto = NULL; /* nothing calls back into p any more */
            cio__conn_abort(p->tp[i]);
            cio__conn_unref(p->tp[i]);
        }
    if (p->registered)
        cio__io_del(p->loop, &p->io);
    if (p->pidfd >= 0)
        close(p->pidfd);
    p->loop->nobjs--;
    p->obj.magic = CIO__MAGIC_DEAD;
    cio__free(p);
}

static void exited(cio_process_t *p, int status)
{
    p->exited = 1;
    p->returncode = WIFSIGNALED(status) ? -WTERMSIG(status) : WEXITSTATUS(status);
    if (p->registered) {
        cio__io_del(p->loop, &p->io);
        p->registered = 0;
    }
    if (p->proto) {
        /* process_exited from the ready queue; waiters wake at
         * connection_lost, as asyncio's transport _wait. */
        p->obj.refs++;
        cio__loop_schedule(p->loop, &p->proto_exit_cb);
        return;
    }
    while (cio__wlist_wake_first(&p->waitq))
        ;
    if (p->orphan) {
        p->loop->norphans--;
        process_free(p);
    }
}

static void pidfd_io(struct cio__io *io, uint32_t ev)
{
    (void)ev;
    cio_process_t *p = cio__container_of(io, cio_process_t, io);
    int status;
    pid_t r;
    do
        r = waitpid(p->pid, &status, WNOHANG);
    while (r < 0 && errno == EINTR);
    if (r == p->pid)
        exited(p, status);
    else if (r < 0) /* ECHILD: somebody else reaped it (waitpid(-1) elsewhere) */
        exited(p, 0);
}

static void exit_posted(struct cio__cb *cb)
{
    cio_process_t *p = cio__container_of(cb, cio_process_t, exit_cb);
    exited(p, p->status);
}

static void *waiter_thread(void *arg)
{
    cio_process_t *p = arg;
    int status = 0;
    pid_t r;
    do
        r = waitpid(p->pid, &status, 0);
    while (r < 0 && errno == EINTR);
    p->status = status;
    cio__loop_post_threadsafe(p->loop, &p->exit_cb);
    return NULL;
}

static int watch(cio_process_t *p)
{
#ifdef SYS_pidfd_open
    int fd = (int)syscall(SYS_pidfd_open, p->pid, 0);
    if (fd >= 0) {
        fcntl(fd, F_SETFD, FD_CLOEXEC);
        p->pidfd = fd;
        p->io.fd = fd;
        p->io.events = CIO__IO_READ;
        p->io.cb = pidfd_io;
        int rc = cio__io_add(p->loop, &p->io);
        if (rc == 0) {
            p->registered = 1;
            return 0;
        }
        close(fd);
        p->pidfd = -1;
    }
#endif
    p->exit_cb.run = exit_posted;
    pthread_t th;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&at, 64 * 1024);
    int rc = pthread_create(&th, &at, waiter_thread, p);
    pthread_attr_destroy(&at);
    return -rc;
}

/* ------------------------------------------------ the subprocess transport */

/* asyncio's BaseSubprocessTransport: pipe events go to the protocol as
 * they come; connection_lost only once the child has exited (and
 * process_exited was delivered) and every pipe is closed. */
static void try_finish(cio_process_t *p)
{
    if (!p->exit_seen || p->finished)
        return;
    for (int i = 0; i < 3; i++)
        if (p->tp[i] && !p->tp_lost[i])
            return;
    p->finished = 1;
    p->obj.refs++;
    cio__loop_schedule(p->loop, &p->proto_lost_cb);
}

static void proto_exit(struct cio__cb *cb)
{
    cio_process_t *p = cio__container_of(cb, cio_process_t, proto_exit_cb);
    p->exit_seen = 1;
    if (p->proto->process_exited)
        p->proto->process_exited(p, p->ud);
    try_finish(p);
    cio__process_unref(p);
}

static void proto_lost(struct cio__cb *cb)
{
    cio_process_t *p = cio__container_of(cb, cio_process_t, proto_lost_cb);
    p->finished = 2;
    if (p->proto->connection_lost)
        p->proto->connection_lost(p, 0, p->ud);
    while (cio__wlist_wake_first(&p->waitq))
        ;
    if (p->life) {
        p->life = 0;
        cio__process_unref(p);
    }
    cio__process_unref(p);
}

static int tp_index(cio_process_t *p, cio_transport_t *t)
{
    for (int i = 0; i < 3; i++)
        if (p->tp[i] == t)
            return i;
    return -1;
}

static void tp_data(cio_transport_t *t, const void *data, size_t n, void *ud)
{
    cio_process_t *p = ud;
    int i = tp_index(p, t);
    if (i >= 0 && p->proto && p->proto->pipe_data_received)
        p->proto->pipe_data_received(p, i, data, n, p->ud);
}

static int tp_eof(cio_transport_t *t, void *ud)
{
    (void)t, (void)ud;
    return 0; /* the pipe closes: its connection_lost follows */
}

static void tp_lost(cio_transport_t *t, int err, void *ud)
{
    cio_process_t *p = ud;
    int i = tp_index(p, t);
    if (i < 0 || !p->proto)
        return;
    p->tp_lost[i] = 1;
    if (p->proto->pipe_connection_lost)
        p->proto->pipe_connection_lost(p, i, err, p->ud);
    try_finish(p);
}

static void tp_pause(cio_transport_t *t, void *ud)
{
    (void)t;
    cio_process_t *p = ud;
    if (p->proto && p->proto->pause_writing)
        p->proto->pause_writing(p, p->ud);
}

static void tp_resume(cio_transport_t *t, void *ud)
{
    (void)t;
    cio_process_t *p = ud;
    if (p->proto && p->proto->resume_writing)
        p->proto->resume_writing(p, p->ud);
}

static const cio_protocol_t tp_proto = {
    .data_received = tp_data,
    .eof_received = tp_eof,
    .connection_lost = tp_lost,
    .pause_writing = tp_pause,
    .resume_writing = tp_resume,
};

/* Pipe i of the child as a transport; fd is closed on failure. */
static int tp_connect(cio_process_t *p, int i, int fd)
{
    int rc = i == 0 ? cio_connect_write_pipe(&tp_proto, p, fd, &p->tp[i])
                    : cio_connect_read_pipe(&tp_proto, p, fd, &p->tp[i]);
    if (rc < 0)
        close(fd);
    return rc;
}

/* ------------------------------------------------------------- spawning */

static int check_opts(const cio_process_opts_t *o)
{
    int modes[3] = {o->stdin_mode, o->stdout_mode, o->stderr_mode};
    int fds[3] = {o->stdin_fd, o->stdout_fd, o->stderr_fd};
    for (int i = 0; i < 3; i++) {
        if (modes[i] < CIO_STDIO_INHERIT || modes[i] > CIO_STDIO_FD)
            return -EINVAL;
        if (modes[i] == CIO_STDIO_STDOUT && i != 2)
            return CIO_EINVALSTATE;
        if (modes[i] == CIO_STDIO_FD && (fds[i] < 0 || fcntl(fds[i], F_GETFD) < 0))
            return -EBADF;
    }
    if (o->npass_fds && !o->pass_fds)
        return -EINVAL;
    for (size_t i = 0; i < o->npass_fds; i++)
        if (o->pass_fds[i] < 0 || fcntl(o->pass_fds[i], F_GETFD) < 0)
            return -EBADF;
    if ((o->set_process_group && o->process_group < 0) || (o->set_umask && (o->umask & ~(mode_t)0777)))
        return -EINVAL;
    return 0;
}

/* What the child does before exec, for the fork path (user, group, umask:
 * posix_spawn has no action for them).  Everything is prepared in the
 * parent; the child makes async-signal-safe calls only. */
struct plan {
    int dsrc[3], ddst[3], nd; /* the stdio dup2s, in order */
    const cio_process_opts_t *o;
    int *keep;                /* sorted fds >= 3 the child keeps: pass_fds, and errfd */
    size_t nkeep;
    int errfd;                /* the exec-failure pipe's write end */
    long maxfd;               /* without close_range: close up to here */
};

static int add_dup(posix_spawn_file_actions_t *fa, struct plan *pl, int src, int dst)
{
    pl->dsrc[pl->nd] = src;
    pl->ddst[pl->nd++] = dst;
    return -posix_spawn_file_actions_adddup2(fa, src, dst);
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* The fds >= 3 the child keeps (pass_fds, plus extra if >= 0), sorted. */
static int keep_list(const cio_process_opts_t *o, int extra, int **out, size_t *n)
{
    int *k = cio__malloc((o->npass_fds + 1) * sizeof *k);
    if (!k)
        return -ENOMEM;
    size_t m = 0;
    for (size_t i = 0; i < o->npass_fds; i++)
        if (o->pass_fds[i] >= 3)
            k[m++] = o->pass_fds[i];
    if (extra >= 0)
        k[m++] = extra;
    qsort(k, m, sizeof *k, cmp_int);
    *out = k;
    *n = m;
    return 0;
}

/* pass_fds with posix_spawn: each kept fd dup2'ed onto itself (which
 * clears its close-on-exec flag), every other open fd up to the last kept
 * one closed, then everything above. */
static int spawn_fd_actions(posix_spawn_file_actions_t *fa, const cio_process_opts_t *o)
{
    if (!o->npass_fds)
        return -posix_spawn_file_actions_addclosefrom_np(fa, 3);
    int *k;
    size_t n;
    int rc = keep_list(o, -1, &k, &n);
    if (rc < 0)
        return rc;
    int next = 3;
    for (size_t i = 0; i < n && rc == 0; i++) {
        for (int fd = next; fd < k[i] && rc == 0; fd++)
            if (fcntl(fd, F_GETFD) >= 0)
                rc = -posix_spawn_file_actions_addclose(fa, fd);
        if (rc == 0 && k[i] >= next)
            rc = -posix_spawn_file_actions_adddup2(fa, k[i], k[i]);
        next = k[i] + 1;
    }
    if (rc == 0)
        rc = -posix_spawn_file_actions_addclosefrom_np(fa, next);
    cio__free(k);
    return rc;
}

static void close_from_to(int lo, int hi, long maxfd)
{
    if (lo > hi)
        return;
#ifdef SYS_close_range
    if (syscall(SYS_close_range, (unsigned)lo, (unsigned)hi, 0) == 0)
        return;
#endif
    for (long fd = lo; fd <= hi && fd <= maxfd; fd++)
        close((int)fd);
}

static _Noreturn void child_fail(int errfd)
{
    int e = errno;
    while (write(errfd, &e, sizeof e) < 0 && errno == EINTR)
        ;
    _exit(127);
}

static _Noreturn void child_exec(const struct plan *pl, const char *path, char *const argv[], char *const env[])
{
    const cio_process_opts_t *o = pl->o;
    for (int i = 0; i < pl->nd; i++)
        if (dup2(pl->dsrc[i], pl->ddst[i]) < 0)
            child_fail(pl->errfd);
    if (o->cwd && chdir(o->cwd) < 0)
        child_fail(pl->errfd);
    if (o->start_new_session && setsid() < 0)
        child_fail(pl->errfd);
    if (o->set_process_group && setpgid(0, o->process_group) < 0)
        child_fail(pl->errfd);
    if (o->set_group && setregid(o->group, o->group) < 0)
        child_fail(pl->errfd);
    if (o->set_user && setreuid(o->user, o->user) < 0)
        child_fail(pl->errfd);
    if (o->set_umask)
        umask(o->umask);
    int lo = 3;
    for (size_t i = 0; i < pl->nkeep; i++) {
        close_from_to(lo, pl->keep[i] - 1, pl->maxfd);
        if (pl->keep[i] != pl->errfd && fcntl(pl->keep[i], F_SETFD, 0) < 0)
            child_fail(pl->errfd);
        lo = pl->keep[i] + 1;
    }
    close_from_to(lo, INT32_MAX, pl->maxfd);
    /* posix_spawn's signal setup: handlers and SIGPIPE/SIGXFSZ back to the
     * default, an empty mask. */
    for (int sig = 1; sig < NSIG; sig++) {
        struct sigaction sa;
        if (sigaction(sig, NULL, &sa) == 0 && sa.sa_handler != SIG_DFL &&
            (sa.sa_handler != SIG_IGN || sig == SIGPIPE || sig == SIGXFSZ))
            signal(sig, SIG_DFL);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execve(path, argv, env);
    child_fail(pl->errfd);
}

/* The fork path: the child's pid, or an error (the child reaped). */
static int fork_spawn(struct plan *pl, const char *path, char *const argv[], char *const env[], pid_t *pid)
{
    int ep[2];
    if (pipe2(ep, O_CLOEXEC) < 0)
        return -errno;
    int rc = keep_list(pl->o, ep[1], &pl->keep, &pl->nkeep);
    if (rc < 0) {
        close(ep[0]);
        close(ep[1]);
        return rc;
    }
    pl->errfd = ep[1];
    pl->maxfd = sysconf(_SC_OPEN_MAX);
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old); /* no handler runs in the child */
    pid_t k = fork();
    if (k == 0)
        child_exec(pl, path, argv, env);
    int e = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    close(ep[1]);
    cio__free(pl->keep);
    pl->keep = NULL;
    if (k < 0) {
        close(ep[0]);
        return -e;
    }
    int err = 0;
    ssize_t r;
    do
        r = read(ep[0], &err, sizeof err);
    while (r < 0 && errno == EINTR);
    close(ep[0]);
    if (r == (ssize_t)sizeof err) {
        while (waitpid(k, NULL, 0) < 0 && errno == EINTR)
            ;
        return err > 0 ? -err : -ECHILD;
    }
    *pid = k;
    return 0;
}

static const cio_process_opts_t proc_no_opts;

/* A source fd for the child's stdio must not be 0..2: an earlier
 * redirection would overwrite it.  Returns fd, or a copy >= 3 in *tmp. */
static int high_fd(int fd, int *tmp)
{
    if (fd >= 3)
        return fd;
    int d = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (d < 0)
        return -errno;
    *tmp = d;
    return d;
}

/* execvp's search, in the PATH of env (the child's environment). */
static int search_path(const char *prog, char *const *env, char **found)
{
    const char *path = "/bin:/usr/bin";
    for (char *const *e = env; *e; e++)
        if (strncmp(*e, "PATH=", 5) == 0) {
            path = *e + 5;
            break;
        }
    size_t plen = strlen(prog);
    int rc = -ENOENT;
    for (const char *d = path;; d++) {
        const char *end = strchr(d, ':');
        size_t dlen = end ? (size_t)(end - d) : strlen(d);
        char *cand = cio__malloc(dlen + plen + 2);
        if (!cand)
            return -ENOMEM;
        if (dlen) {
            memcpy(cand, d, dlen);
            cand[dlen] = '/';
            memcpy(cand + dlen + 1, prog, plen + 1);
        } else {
            memcpy(cand, prog, plen + 1); /* an empty entry: the current directory */
        }
        if (access(cand, X_OK) == 0) {
            *found = cand;
            return 0;
        }
        if (errno == EACCES)
            rc = -EACCES;
        cio__free(cand);
        if (!end)
            break;
        d = end;
    }
    return rc;
}

static const cio_process_opts_t proc_pipe_opts = {
    .stdin_mode = CIO_STDIO_PIPE, .stdout_mode = CIO_STDIO_PIPE, .stderr_mode = CIO_STDIO_PIPE};

static int tp_connect(cio_process_t *p, int i, int fd);

/* Spawn argv; its pipes become streams, or with sp, pipe transports for the
 * protocol sp. */
static int start(const char *const argv[], const cio_process_opts_t *opts, const cio_subprocess_protocol_t *sp,
                 void *ud, cio_process_t **out)
{
    if (!out)
        return -EINVAL;
    *out = NULL;
    if (!argv || !argv[0] || !*argv[0])
        return -EINVAL;
    int rc;
    cio_loop_t *loop = cio__running_loop(&rc);
    if (!loop)
        return rc;
    const cio_process_opts_t *o = opts ? opts : sp ? &proc_pipe_opts : &proc_no_opts;
    if ((rc = check_opts(o)) < 0)
        return rc;
    int modes[3] = {o->stdin_mode, o->stdout_mode, o->stderr_mode};
    int ufds[3] = {o->stdin_fd, o->stdout_fd, o->stderr_fd};
    int parent[3] = {-1, -1, -1}, child[3] = {-1, -1, -1}, devnull = -1, tmp[3] = {-1, -1, -1};
    char *found = NULL;
    cio_process_t *p = cio__calloc(sizeof *p);
    if (!p)
        return -ENOMEM;
    p->pidfd = -1;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    struct plan pl = {.o = o};
    int forked = o->set_user || o->set_group || o->set_umask;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&at);
    for (int i = 0; i < 3 && rc == 0; i++) {
        switch (modes[i]) {
        case CIO_STDIO_PIPE: {
            int pp[2];
            if (pipe2(pp, O_CLOEXEC) < 0) {
                rc = -errno;
                break;
            }
            parent[i] = i == 0 ? pp[1] : pp[0];
            child[i] = i == 0 ? pp[0] : pp[1];
            int src = high_fd(child[i], &tmp[i]);
            rc = src < 0 ? src : add_dup(&fa, &pl, src, i);
            if (i == 0)
                cio__ignore_sigpipe();
            break;
        }
        case CIO_STDIO_DEVNULL:
            if (devnull < 0 && (devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0) {
                rc = -errno;
                break;
            }
            if (devnull < 3) {
                int d = fcntl(devnull, F_DUPFD_CLOEXEC, 3);
                close(devnull);
                if ((devnull = d) < 0) {
                    rc = -errno;
                    break;
                }
            }
            rc = add_dup(&fa, &pl, devnull, i);
            break;
        case CIO_STDIO_STDOUT:
            rc = add_dup(&fa, &pl, 1, 2);
            break;
        case CIO_STDIO_FD: {
            int src = high_fd(ufds[i], &tmp[i]);
            rc = src < 0 ? src : add_dup(&fa, &pl, src, i);
            break;
        }
        default:
            break;
        }
    }
    if (rc == 0 && o->cwd)
        rc = -posix_spawn_file_actions_addchdir_np(&fa, o->cwd);
    if (rc == 0 && !forked)
        rc = spawn_fd_actions(&fa, o);
    sigset_t none, def;
    sigemptyset(&none);
    sigemptyset(&def);
    sigaddset(&def, SIGPIPE);
    sigaddset(&def, SIGXFSZ);
    short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    if (o->start_new_session)
        flags |= POSIX_SPAWN_SETSID;
    if (o->set_process_group) {
        flags |= POSIX_SPAWN_SETPGROUP;
        if (rc == 0)
            rc = -posix_spawnattr_setpgroup(&at, o->process_group);
    }
    if (rc == 0)
        rc = -posix_spawnattr_setsigmask(&at, &none);
    if (rc == 0)
        rc = -posix_spawnattr_setsigdefault(&at, &def);
    if (rc == 0)
        rc = -posix_spawnattr_setflags(&at, flags);
    pid_t pid = -1;
    if (rc == 0 && (o->env || forked) && !strchr(argv[0], '/'))
        rc = search_path(argv[0], o->env ? o->env : environ, &found); /* the child's PATH, as asyncio */
    if (rc == 0 && forked)
        rc = fork_spawn(&pl, found ? found : argv[0], (char *const *)argv, o->env ? o->env : environ, &pid);
    else if (rc == 0)
        rc = found ? -posix_spawn(&pid, found, &fa, &at, (char *const *)argv, o->env)
                   : -posix_spawnp(&pid, argv[0], &fa, &at, (char *const *)argv, o->env ? o->env : environ);
    cio__free(found);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    for (int i = 0; i < 3; i++)
        if (child[i] >= 0)
            close(child[i]);
    if (devnull >= 0)
        close(devnull);
    for (int i = 0; i < 3; i++)
        if (tmp[i] >= 0)
            close(tmp[i]);
    if (rc < 0)
        goto fail;
    p->obj.magic = CIO__MAGIC_PROCESS;
    p->obj.refs = 1;
    p->loop = loop;
    p->pid = pid;
    loop->nobjs++;
    for (int i = 0; i < 3; i++) {
        if (parent[i] < 0)
            continue;
        if (sp) {
            if (rc == 0)
                rc = tp_connect(p, i, parent[i]);
            else
                close(parent[i]);
            parent[i] = -1;
            continue;
        }
        int src = rc;
        struct cio_stream_s *s = cio__stream_new(loop, parent[i], o->limit, &src);
        if (!s) {
            close(parent[i]);
            rc = src;
        } else {
            s->t.is_pipe = i == 0 ? CIO__PIPE_WRITE : CIO__PIPE_READ;
            p->pipes[i] = s;
        }
        parent[i] = -1;
    }
    if (rc == 0)
        rc = watch(p);
    if (rc < 0) {
        /* The child runs but cannot be watched or piped: end it. */
        kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
        p->exited = 1;
        process_free(p);
        return rc;
    }
    *out = p;
    if (sp) {
        /* asyncio's subprocess_exec returns once connection_made has run;
         * every other event comes from the loop, after it. */
        p->proto = sp;
        p->ud = ud;
        p->life = 1;
        p->obj.refs++;
        p->proto_exit_cb.run = proto_exit;
        p->proto_lost_cb.run = proto_lost;
        if (sp->connection_made)
            sp->connection_made(p, ud);
    }
    return 0;
fail:
    for (int i = 0; i < 3; i++)
        if (parent[i] >= 0)
            close(parent[i]);
    cio__free(p);
    return rc;
}

int cio_create_subprocess_exec(const char *const argv[], const cio_process_opts_t *opts, cio_process_t **out)
{
    return start(argv, opts, NULL, NULL, out);
}

int cio_create_subprocess_shell(const char *cmd, const cio_process_opts_t *opts, cio_process_t **out)
{
    if (out)
        *out = NULL;
    if (!cmd)
        return -EINVAL;
    const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
    return cio_create_subprocess_exec(argv, opts, out);
}

int cio_subprocess_exec(const cio_subprocess_protocol_t *proto, void *ud, const char *const argv[],
                        const cio_process_opts_t *opts, cio_process_t **out)
{
    if (!proto) {
        if (out)
            *out = NULL;
        return -EINVAL;
    }
    return start(argv, opts, proto, ud, out);
}

int cio_subprocess_shell(const cio_subprocess_protocol_t *proto, void *ud, const char *cmd,
                         const cio_process_opts_t *opts, cio_process_t **out)
{
    if (out)
        *out = NULL;
    if (!cmd)
        return -EINVAL;
    const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
    return cio_subprocess_exec(proto, ud, argv, opts, out);
}

/* ------------------------------------------------------------ the object */

int cio__process_unref(cio_process_t *p)
{
    if (proc_check(p))
        return -EINVAL;
    if (--p->obj.refs > 0)
        return 0;
    if (!p->exited) {
        /* As asyncio's transport close: a child still running is killed;
         * the loop reaps it and then frees the object. */
        kill(p->pid, SIGKILL);
        p->orphan = 1;
        p->loop->norphans++;
        p->obj.refs = 0;
        for (int i = 0; i < 3; i++)
            if (p->pipes[i]) {
                cio__conn_abort(&p->pipes[i]->t);
                cio__conn_unref(&p->pipes[i]->t);
                p->pipes[i] = NULL;
            }
        return 0;
    }
    process_free(p);
    return 0;
}

int cio_process_pid(cio_process_t *p)
{
    int rc = proc_check(p);
    return rc < 0 ? rc : (int)p->pid;
}

int cio_process_returncode(cio_process_t *p, int *returncode)
{
    int rc = proc_check(p);
    if (rc < 0)
        return rc;
    if (!p->exited)
        return 0;
    if (returncode)
        *returncode = p->returncode;
    return 1;
}

static cio_stream_t *pipe_of(cio_process_t *p, int i)
{
    return proc_check(p) < 0 ? NULL : p->pipes[i];
}
cio_stream_t *cio_process_stdin(cio_process_t *p) { return pipe_of(p, 0); }
cio_stream_t *cio_process_stdout(cio_process_t *p) { return pipe_of(p, 1); }
cio_stream_t *cio_process_stderr(cio_process_t *p) { return pipe_of(p, 2); }

int cio_process_wait(cio_process_t *p, int *returncode)
{
    int rc = proc_check(p);
    if (rc < 0)
        return rc;
    struct cio__task *t = cio__tls.task;
    if (!t)
        return cio__tls.running ? CIO_ENOTASK : CIO_ENOLOOP;
    if (p->loop != t->fut.loop)
        return CIO_EWRONGLOOP;
    p->obj.refs++;
    while (p->proto ? p->finished != 2 : !p->exited) {
        struct cio__waiter w;
        cio__wlist_push(&p->waitq, &w, t);
        if ((rc = cio__waiter_suspend(t, &w)) < 0)
            break;
    }
    if (rc == 0 && returncode)
        *returncode = p->returncode;
    cio__process_unref(p);
    return rc;
}

int cio_process_send_signal(cio_process_t *p, int sig)
{
    int rc = proc_check(p);
    if (rc < 0)
        return rc;
    if (sig <= 0 || sig >= 65)
        return -EINVAL;
    if (p->exited)
        return -ESRCH;
    return kill(p->pid, sig) < 0 ? -errno : 0;
}
int cio_process_terminate(cio_process_t *p) { return cio_process_send_signal(p, SIGTERM); }
int cio_process_kill(cio_process_t *p) { return cio_process_send_signal(p, SIGKILL); }

/* ------------------------------------------------------------ communicate */

struct xfer {
    cio_stream_t *s;
    const void *in;
    size_t inlen;
    char *data;
    ssize_t len;
};

static int feed_stdin(void *arg, void **result)
{
    struct xfer *x = arg;
    int rc = 0;
    if (x->inlen) {
        rc = cio_stream_write(x->s, x->in, x->inlen);
        if (rc == 0)
            rc = cio_stream_drain(x->s);
    }
    cio_stream_close(x->s);
    /* A child that does not read its input is not an error (asyncio). */
    if (rc == -EPIPE || rc == -ECONNRESET || rc == CIO_ECLOSED)
        rc = 0;
    return rc;
}

static int read_pipe(void *arg, void **result)
{
    struct xfer *x = arg;
    x->len = cio_stream_read_all(x->s, &x->data);
    return x->len < 0 ? (int)x->len : 0;
}

int cio_process_communicate(cio_process_t *p, const void *input, size_t inlen, char **out, size_t *outlen,
                            char **err, size_t *errlen)
{
    if (out)
        *out = NULL;
    if (err)
        *err = NULL;
    if (outlen)
        *outlen = 0;
    if (errlen)
        *errlen = 0;
    int rc = proc_check(p);
    if (rc < 0)
        return rc;
    if (!input && inlen)
        return -EINVAL;
    if (!cio__tls.task)
        return cio__tls.running ? CIO_ENOTASK : CIO_ENOLOOP;
    p->obj.refs++;
    struct xfer x[3];
    memset(x, 0, sizeof x);
    x[0].in = input;
    x[0].inlen = inlen;
    /* The transfers run as a task group: one that fails (out of memory,
     * say) cancels the others, as a feeder blocked on a child whose output
     * nobody reads any more would wait for ever, and communicate returns
     * that failure.  A cancel of the caller cancels them all too. */
    cio_taskgroup_t *tg = cio_taskgroup_new();
    rc = tg ? 0 : -ENOMEM;
    for (int i = 0; i < 3 && rc == 0; i++) {
        if (!p->pipes[i] || (i == 0 && p->pipes[0]->t.user_closed))
            continue; /* no pipe, or stdin already closed by the caller */
        x[i].s = p->pipes[i];
        rc = cio_taskgroup_create_task_ex(tg, i == 0 ? feed_stdin : read_pipe, &x[i], NULL, NULL);
    }
    if (tg) {
        rc = cio_taskgroup_exit(tg, rc);
        if (rc == CIO_ETASKGROUP)
            cio_taskgroup_error(tg, 0, &rc, NULL, NULL); /* the first failure */
        cio_taskgroup_free(tg);
    }
    if (rc == 0)
        rc = cio_process_wait(p, NULL);
    if (rc == 0) {
        if (out) {
            *out = x[1].data;
            x[1].data = NULL;
        }
        if (outlen)
            *outlen = x[1].len > 0 ? (size_t)x[1].len : 0;
        if (err) {
            *err = x[2].data;
            x[2].data = NULL;
        }
        if (errlen)
            *errlen = x[2].len > 0 ? (size_t)x[2].len : 0;
    }
    cio__free(x[1].data);
    cio__free(x[2].data);
    cio__process_unref(p);
    return rc;
}

/* ------------------------------------------------ transport-only calls */

static int tr_check(cio_process_t *p)
{
    int rc = proc_check(p);
    if (rc < 0)
        return rc;
    if (!p->proto)
        return -ENOTSUP; /* a Process of streams: close its streams */
    if (p->loop != cio__tls.running)
        return cio__tls.running ? CIO_EWRONGLOOP : CIO_ENOLOOP;
    return 0;
}

cio_transport_t *cio_process_pipe_transport(cio_process_t *p, int fd)
{
    if (proc_check(p) < 0 || fd < 0 || fd > 2)
        return NULL;
    return p->tp[fd];
}

int cio_process_close(cio_process_t *p)
{
    int rc = tr_check(p);
    if (rc < 0)
        return rc;
    if (p->closed)
        return 0;
    p->closed = 1;
    for (int i = 0; i < 3; i++)
        if (p->tp[i])
            cio__conn_close(p->tp[i]);
    if (!p->exited)
        kill(p->pid, SIGKILL); /* asyncio: a child still running is killed */
    return 0;
}

int cio_process_is_closing(cio_process_t *p)
{
    int rc = tr_check(p);
    return rc < 0 ? rc : p->closed;
}
