/* Signals (asyncio's add_signal_handler): the process-wide C handler only
 * writes the signal number to the owning loop's pipe; the loop reads the
 * pipe and queues the user's callback as an ordinary ready callback.
 *
 * Which loop owns a signal is process-wide (sig_fd: the write end of the
 * owner's pipe, read by the handler without locks).  The Runner's Ctrl-C
 * handling is an internal SIGINT handler of the same kind, whose second
 * signal restores the default action and re-raises it from the handler. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#define NSIGS 65

struct cio__sigstate;
struct sigent { /* the ready-queue node of one signal's callback */
    struct cio__cb cb;
    struct cio__sigstate *st;
    int sig;
};

struct cio__sigstate {
    cio_loop_t *loop;
    int rfd, wfd;
    struct cio__io io;
    int registered;
    cio_callback_fn *fn[NSIGS];
    void *arg[NSIGS];
    struct sigent ent[NSIGS];
    uint8_t queued[NSIGS];
    uint8_t runner_sigint; /* SIGINT is the Runner's, not the user's */
    uint8_t runner_hidden; /* the Runner's SIGINT, replaced by the user's for now */
    cio_callback_fn *runner_fn;
    void *runner_arg;
};

static atomic_int sig_fd[NSIGS];           /* owner's pipe write end + 1, 0: none */
static atomic_int sigint_count;            /* the Runner's SIGINTs so far */
static atomic_int sigint_runner;           /* 1 while the Runner owns SIGINT */
static cio_loop_t *sig_owner[NSIGS];
static struct sigaction sig_saved[NSIGS];  /* the disposition before ours */
static pthread_mutex_t sig_lock = PTHREAD_MUTEX_INITIALIZER;

static void on_signal(int sig)
{
    int saved = errno;
    if (sig == SIGINT && atomic_load(&sigint_runner) && atomic_fetch_add(&sigint_count, 1) >= 1) {
        /* The second Ctrl-C: interrupt at once, as the default action. */
        signal(SIGINT, SIG_DFL);
        raise(SIGINT);
    }
    int fd = atomic_load(&sig_fd[sig]) - 1;
    if (fd >= 0) {
        unsigned char b = (unsigned char)sig;
        ssize_t r = write(fd, &b, 1); /* a full pipe already holds a wake-up */
        (void)r;
    }
    errno = saved;
}

static void sig_cb(struct cio__cb *cb)
{
    struct sigent *e = cio__container_of(cb, struct sigent, cb);
    struct cio__sigstate *st = e->st;
    int sig = e->sig;
    st->queued[sig] = 0;
    cio_callback_fn *fn = st->fn[sig];
    if (!fn)
        return; /* removed since it was queued */
    int rc = fn(st->arg[sig]);
    if (rc < 0)
        cio__loop_report(st->loop, "Exception in signal handler", rc, NULL, NULL, NULL);
}

static void sig_io(struct cio__io *io, uint32_t ev)
{
    (void)ev;
    struct cio__sigstate *st = cio__container_of(io, struct cio__sigstate, io);
    unsigned char buf[64];
    ssize_t n;
    while ((n = read(st->rfd, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < n; i++) {
            int s = buf[i];
            if (s <= 0 || s >= NSIGS || !st->fn[s] || st->queued[s])
                continue;
            st->queued[s] = 1;
            cio__loop_schedule(st->loop, &st->ent[s].cb);
        }
    }
}

static int state_get(cio_loop_t *loop, struct cio__sigstate **out)
{
    if (loop->sig) {
        *out = loop->sig;
        return 0;
    }
    struct cio__sigstate *st = cio__calloc(sizeof *st);
    if (!st)
        return -ENOMEM;
    int p[2];
    if (pipe2(p, O_NONBLOCK | O_CLOEXEC) < 0) {
        int e = -errno;
        cio__free(st);
        return e;
    }
    st->rfd = p[0];
    st->wfd = p[1];
    st->io.fd = p[0];
    st->io.events = CIO__IO_READ;
    st->io.cb = sig_io;
    st->loop = loop;
    for (int s = 0; s < NSIGS; s++) {
        st->ent[s].cb.run = sig_cb;
        st->ent[s].st = st;
        st->ent[s].sig = s;
    }
    int rc = cio__io_add(loop, &st->io);
    if (rc < 0) {
        close(p[0]);
        close(p[1]);
        cio__free(st);
        return rc;
    }
    st->registered = 1;
    loop->sig = st;
    *out = st;
    return 0;
}

static int valid(int sig)
{
    return sig > 0 && sig < NSIGS && sig != SIGKILL && sig != SIGSTOP;
}

/* Make loop the owner of sig with fn; under sig_lock. */
static int install(cio_loop_t *loop, int sig, cio_callback_fn *fn, void *arg, int runner)
{
    if (sig_owner[sig] && sig_owner[sig] != loop)
        return CIO_EINVALSTATE;
    struct cio__sigstate *st = NULL;
    int rc = state_get(loop, &st);
    if (rc < 0)
        return rc;
    if (!sig_owner[sig]) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sa.sa_flags = SA_RESTART;
        sigfillset(&sa.sa_mask);
        atomic_store(&sig_fd[sig], st->wfd + 1);
        if (sigaction(sig, &sa, &sig_saved[sig]) < 0) {
            rc = -errno;
            atomic_store(&sig_fd[sig], 0);
            return rc;
        }
        sig_owner[sig] = loop;
        /* The signal may be blocked in this thread: unblock it. */
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, sig);
        pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    }
    if (sig == SIGINT) {
        if (runner) {
            st->runner_fn = fn;
            st->runner_arg = arg;
        } else if (st->runner_sigint) {
            st->runner_hidden = 1; /* back when the user's is removed */
        }
        st->runner_sigint = (uint8_t)runner;
        atomic_store(&sigint_runner, runner);
    }
    st->fn[sig] = fn;
    st->arg[sig] = arg;
    return 0;
}

static void uninstall(cio_loop_t *loop, int sig)
{
    struct cio__sigstate *st = loop->sig;
    if (sig == SIGINT && st->runner_hidden && !st->runner_sigint) {
        /* The user's SIGINT handler goes: the Runner's comes back. */
        st->runner_hidden = 0;
        st->fn[sig] = st->runner_fn;
        st->arg[sig] = st->runner_arg;
        st->runner_sigint = 1;
        atomic_store(&sigint_runner, 1);
        return;
    }
    st->fn[sig] = NULL;
    st->arg[sig] = NULL;
    if (sig_owner[sig] == loop) {
        sigaction(sig, &sig_saved[sig], NULL);
        atomic_store(&sig_fd[sig], 0);
        sig_owner[sig] = NULL;
    }
    if (sig == SIGINT) {
        st->runner_sigint = 0;
        st->runner_hidden = 0;
        atomic_store(&sigint_runner, 0);
    }
}

int cio_loop_add_signal_handler(cio_loop_t *loop, int sig, cio_callback_fn *fn, void *arg)
{
    if (cio__loop_check(loop) || !fn || !valid(sig))
        return -EINVAL;
    if (loop->closed)
        return CIO_ELOOPCLOSED;
    pthread_mutex_lock(&sig_lock);
    int rc = install(loop, sig, fn, arg, 0);
    pthread_mutex_unlock(&sig_lock);
    return rc;
}

int cio_loop_remove_signal_handler(cio_loop_t *loop, int sig)
{
    if (cio__loop_check(loop) || !valid(sig))
        return -EINVAL;
    pthread_mutex_lock(&sig_lock);
    int rc = 0;
    struct cio__sigstate *st = loop->sig;
    if (st && st->fn[sig] && !(sig == SIGINT && st->runner_sigint)) {
        uninstall(loop, sig);
        rc = 1;
    }
    pthread_mutex_unlock(&sig_lock);
    return rc;
}

void cio__signal_loop_close(cio_loop_t *loop)
{
    struct cio__sigstate *st = loop->sig;
    if (!st)
        return;
    pthread_mutex_lock(&sig_lock);
    st->runner_hidden = 0;
    for (int s = 1; s < NSIGS; s++)
        if (st->fn[s] || sig_owner[s] == loop)
            uninstall(loop, s);
    pthread_mutex_unlock(&sig_lock);
    if (st->registered)
        cio__io_del(loop, &st->io);
    close(st->rfd);
    close(st->wfd);
    cio__free(st);
    loop->sig = NULL;
}

/* ------------------------------------------------------- the Runner's Ctrl-C */

int cio__signal_runner_begin(cio_loop_t *loop, cio_callback_fn *fn, void *arg)
{
    if (getpid() != gettid())
        return 0; /* not the main thread */
    struct sigaction cur;
    if (sigaction(SIGINT, NULL, &cur) < 0 || cur.sa_handler != SIG_DFL || (cur.sa_flags & SA_SIGINFO))
        return 0; /* the program's own handler (or SIG_IGN): left alone */
    pthread_mutex_lock(&sig_lock);
    int rc = sig_owner[SIGINT] ? 0 : install(loop, SIGINT, fn, arg, 1);
    pthread_mutex_unlock(&sig_lock);
    if (rc == 0 && loop->sig && loop->sig->runner_sigint)
        atomic_store(&sigint_count, 0);
    return rc < 0 ? rc : (loop->sig && loop->sig->runner_sigint);
}

void cio__signal_runner_end(cio_loop_t *loop)
{
    pthread_mutex_lock(&sig_lock);
    struct cio__sigstate *st = loop->sig;
    if (st && st->runner_sigint && sig_owner[SIGINT] == loop)
        uninstall(loop, SIGINT);
    else if (st)
        st->runner_hidden = 0; /* the user's handler stays */
    pthread_mutex_unlock(&sig_lock);
}

void cio__ignore_sigpipe(void)
{
    static atomic_int done;
    if (atomic_exchange(&done, 1))
        return;
    struct sigaction cur;
    if (sigaction(SIGPIPE, NULL, &cur) == 0 && cur.sa_handler == SIG_DFL && !(cur.sa_flags & SA_SIGINFO))
        signal(SIGPIPE, SIG_IGN);
}
