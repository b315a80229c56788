/* Signals: cio_loop_add_signal_handler / cio_loop_remove_signal_handler and
 * the Ctrl-C behaviour of cio_run, checked the way a user sees them.
 *
 * asyncio (CPython 3.11) is the reference:
 *   - loop.add_signal_handler's callback runs in the loop, from the ready
 *     queue (signal.set_wakeup_fd + _read_from_self + call_soon), never in
 *     the C signal handler: right after raise() returns it has not run yet;
 *     inside it get_running_loop() is the loop and current_task() is None;
 *   - adding again replaces the callback; remove returns True then False
 *     and restores SIG_DFL; an invalid number is ValueError, SIGKILL and
 *     SIGSTOP are refused (RuntimeError "cannot be caught"), a closed loop
 *     RuntimeError; loop.close() removes every handler of the loop;
 *   - signals coalesce: a burst may give fewer callbacks than signals (the
 *     kernel keeps one pending standard signal; asyncio itself calls once
 *     per byte in the wake-up fd);
 *   - asyncio.Runner: the first SIGINT cancels the main task, which may
 *     clean up (and even await) and then end cancelled -> KeyboardInterrupt
 *     (here CIO_EINTERRUPTED), or swallow the cancel and return normally ->
 *     run() returns its result; a second SIGINT raises KeyboardInterrupt at
 *     once (here: the default action, the process dies of SIGINT); the
 *     handler is installed only when SIGINT is at its default, and the
 *     default is put back when the run ends.
 *
 * The Ctrl-C cases run a fresh exec of this binary ("--child MODE"), which
 * reports through fd 3 ("R": the main task runs, so cio_run's handler is in
 * place; "C": the main task saw -ECANCELED) and through its exit status.
 * The child sets SIGINT to its default itself, since a test started in the
 * background may inherit it ignored. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* pipe2, mkostemp (CMake defines it for the tests) */
#endif
#include "harness.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define RUN(m) CHECK_RC(run_limited(m, NULL, NULL), 0)

/* ------------------------------------------------------------ helpers */

/* What a signal callback saw. */
struct sigrec {
    cio_loop_t *loop;
    pthread_t thread; /* the loop's */
    volatile int count;
    int wrong_thread;  /* ran in another thread */
    int wrong_loop;    /* cio_get_running_loop was not the loop */
    int in_task;       /* cio_current_task() was not NULL */
    int soon_rc;       /* cio_call_soon from the callback */
    volatile int soon_ran;
    int ret;           /* what the callback returns */
    cio_event_t *ev;   /* set by the callback, if given */
};

static int soon_cb(void *arg)
{
    struct sigrec *r = arg;
    r->soon_ran++;
    return 0;
}

static int on_signal(void *arg)
{
    struct sigrec *r = arg;
    r->count++;
    if (!pthread_equal(pthread_self(), r->thread))
        r->wrong_thread++;
    cio_loop_t *l = NULL;
    if (cio_get_running_loop(&l) != 0 || l != r->loop)
        r->wrong_loop++;
    if (cio_current_task() != NULL)
        r->in_task++;
    r->soon_rc = cio_call_soon(r->loop, soon_cb, r, NULL);
    if (r->ev)
        cio_event_set(r->ev);
    return r->ret;
}

/* A record for the running loop, in this thread. */
static void rec_init(struct sigrec *r)
{
    memset(r, 0, sizeof *r);
    r->soon_rc = 12345;
    r->thread = pthread_self();
    if (cio_get_running_loop(&r->loop) != 0)
        FAILF("no running loop");
}

static void *disposition(int sig)
{
    struct sigaction sa;
    if (sigaction(sig, NULL, &sa) < 0)
        return (void *)-1;
    return (sa.sa_flags & SA_SIGINFO) ? (void *)sa.sa_sigaction : (void *)sa.sa_handler;
}
#define IS_DFL(sig) (disposition(sig) == (void *)SIG_DFL)

/* ------------------------------------------------------------ callback */

static int m_callback_on_loop(void *arg, void **result)
{
    struct sigrec r;
    rec_init(&r);
    cio_loop_t *loop = r.loop;
    REQ(IS_DFL(SIGUSR1));
    CHECK_RC(cio_loop_add_signal_handler(loop, SIGUSR1, on_signal, &r), 0);

    /* raise() runs the C handler in this thread before it returns: the
     * callback must not have run inside it. */
    CHECK_INT(raise(SIGUSR1), 0);
    CHECK_INT(r.count, 0);
    WAIT_FOR(r.count >= 1 && r.soon_ran >= 1, 5.0);
    CHECK_INT(r.count, 1);
    CHECK_INT(r.soon_ran, 1);
    CHECK_RC(r.soon_rc, 0);
    CHECK_INT(r.wrong_thread, 0);
    CHECK_INT(r.wrong_loop, 0);
    CHECK_INT(r.in_task, 0);

    /* kill() to the whole process: the same. */
    CHECK_INT(kill(getpid(), SIGUSR1), 0);
    WAIT_FOR(r.count >= 2 && r.soon_ran >= 2, 5.0);
    CHECK_INT(r.count, 2);
    CHECK_INT(r.soon_ran, 2);
    CHECK_INT(r.wrong_thread, 0);
    CHECK_INT(r.wrong_loop, 0);
    /* Nothing more comes. */
    CHECK_RC(cio_sleep(0.05), 0);
    CHECK_INT(r.count, 2);
out:
    CHECK_INT(cio_loop_remove_signal_handler(loop, SIGUSR1), 1);
    return 0;
}
static void t_callback_on_loop(void) { RUN(m_callback_on_loop); }

/* A signal sent while the loop sleeps in its poll (nothing else to do for
 * seconds) wakes it: from another thread to the process, and to the loop's
 * own thread (its poll is interrupted). */
struct sender {
    pthread_t target;
    int to_thread;
    int count;
    int sig;
    double delay;
    atomic_int done; /* polled by another thread */
};

static void *sender_main(void *arg)
{
    struct sender *s = arg;
    if (s->delay > 0)
        usleep((useconds_t)(s->delay * 1e6));
    for (int i = 0; i < s->count; i++) {
        if (s->to_thread)
            pthread_kill(s->target, s->sig);
        else
            kill(getpid(), s->sig);
    }
    s->done = 1;
    return NULL;
}

static int m_wakes_sleeping_loop(void *arg, void **result)
{
    struct sigrec r;
    cio_event_t ev = CIO_EVENT_INIT;
    rec_init(&r);
    r.ev = &ev;
    cio_loop_t *loop = r.loop;
    CHECK_RC(cio_loop_add_signal_handler(loop, SIGUSR1, on_signal, &r), 0);
    for (int round = 0; round < 2; round++) {
        struct sender s = {.target = pthread_self(), .to_thread = round == 1, .count = 1, .sig = SIGUSR1,
                           .delay = 0.2};
        pthread_t th;
        cio_event_clear(&ev);
        REQ(pthread_create(&th, NULL, sender_main, &s) == 0);
        double t0 = now_s();
        cio_timeout_t to;
        CHECK_RC(cio_timeout_enter(&to, 5.0), 0);
        int rc = cio_timeout_exit(&to, cio_event_wait(&ev));
        double dt = now_s() - t0;
        pthread_join(th, NULL);
        if (rc != 0)
            FAILF("round %d (%s): the callback did not run: %s", round, round ? "pthread_kill" : "kill",
                  cio_err_name(rc));
        CHECK(dt < 3.0);
        CHECK_INT(r.count, round + 1);
        CHECK_INT(r.wrong_thread, 0);
        CHECK_INT(r.wrong_loop, 0);
    }
out:
    CHECK_INT(cio_loop_remove_signal_handler(loop, SIGUSR1), 1);
    return 0;
}
static void t_wakes_sleeping_loop(void) { RUN(m_wakes_sleeping_loop); }

/* An error returned by the callback goes to the loop's exception handler;
 * the handler stays installed. */
struct exc_seen {
    int calls;
    int error;
};

static void exc_handler(cio_loop_t *loop, const cio_exc_context_t *ctx, void *ud)
{
    struct exc_seen *e = ud;
    e->calls++;
    e->error = ctx->error;
}

static int m_callback_error(void *arg, void **result)
{
    struct sigrec r;
    struct exc_seen e = {0};
    rec_init(&r);
    r.ret = -EIO;
    cio_loop_t *loop = r.loop;
    CHECK_RC(cio_loop_set_exception_handler(loop, exc_handler, &e), 0);
    CHECK_RC(cio_loop_add_signal_handler(loop, SIGUSR1, on_signal, &r), 0);
    CHECK_INT(raise(SIGUSR1), 0);
    WAIT_FOR(e.calls >= 1, 5.0);
    CHECK_INT(r.count, 1);
    CHECK_INT(e.calls, 1);
    CHECK_RC(e.error, -EIO);
    r.ret = 0;
    CHECK_INT(raise(SIGUSR1), 0);
    WAIT_FOR(r.count >= 2, 5.0);
    CHECK_INT(r.count, 2);
    CHECK_INT(e.calls, 1);
    CHECK_INT(cio_loop_remove_signal_handler(loop, SIGUSR1), 1);
    cio_loop_set_exception_handler(loop, NULL, NULL);
    return 0;
}
static void t_callback_error(void) { RUN(m_callback_error); }

/* ------------------------------------------------------------ replace, remove */

static int m_replace(void *arg, void **result)
{
    struct sigrec a, b;
    rec_init(&a);
    rec_init(&b);
    cio_loop_t *loop = a.loop;
    CHECK_RC(cio_loop_add_signal_handler(loop, SIGUSR1, on_signal, &a), 0);
    CHECK_RC(cio_loop_add_signal_handler(loop, SIGUSR1, on_signal, &b), 0);
    CHECK_INT(raise(SIGUSR1), 0);
    WAIT_FOR(b.count >= 1, 5.0);
    CHECK_RC(cio_sleep(0.05), 0);
    CHECK_INT(a.count, 0);
    CHECK_INT(b.count, 1);
    /* One handler, removed once. */
    CHECK_INT(cio_loop_remove_signal_handler(loop, SIGUSR1), 1);
    CHECK_INT(cio_loop_remove_signal_handler(loop, SIGUSR1), 0);
    return 0;
}
static void t_replace(void) { RUN(m_replace); }

static volatile sig_atomic_t own_count;
static void own_handler(int sig) { own_count++; }

static int m_remove_restores_default(void *arg, void **result)
{
    struct sigrec r;
    rec_init(&r);
    cio_loop_t *loop = r.loop;
    REQ(IS_DFL(SIGUSR1));
    CHECK_INT(cio_loop_remove_signal_handler(loop, SIGUSR1), 0); /* none yet */
    CHECK_INT(cio_loop_remove_signal_handler(loop, SIGUSR2), 0);

    CHECK_RC(cio_loop_add_signal_handler(loop, SIGUSR1, on_signal, &r), 0);
    void *h = disposition(SIGUSR1);
    CHECK(h != (void *)SIG_DFL && h != (void *)SIG_IGN && h != (void *)-1);
    CHECK_INT(cio_loop_remove_signal_handler(loop, SIGUSR1), 1);
    CHECK(IS_DFL(SIGUSR1));
    CHECK_INT(cio_loop_remove_signal_handler(loop, SIGUSR1), 0);
    CHECK(IS_DFL(SIGUSR1));

    /* Removed means removed: with a handler of our own in place, a signal
     * reaches only ours, never the old callback. */
    struct sigaction sa = {.sa_handler = own_handler}, old;
    sigemptyset(&sa.sa_mask);
    own_count = 0;
    sigaction(SIGUSR1, &sa, &old);
    CHECK_INT(raise(SIGUSR1), 0);
    CHECK_INT(own_count, 1);
    for (int i = 0; i < 5; i++)
        cio_sleep(0.01);
    CHECK_INT(r.count, 0);
    sigaction(SIGUSR1, &old, NULL);
    REQ(IS_DFL(SIGUSR1));

    /* And it can be added again. */
    CHECK_RC(cio_loop_add_signal_handler(loop, SIGUSR1, on_signal, &r), 0);
    CHECK_INT(raise(SIGUSR1), 0);
    WAIT_FOR(r.count >= 1, 5.0);
    CHECK_INT(r.count, 1);
    CHECK_INT(cio_loop_remove_signal_handler(loop, SIGUSR1), 1);
    CHECK(IS_DFL(SIGUSR1));
out:
    return 0;
}
static void t_remove_restores_default(void) { RUN(m_remove_restores_default); }

/* ------------------------------------------------------------ bad input */

static int m_invalid(void *arg, void **result)
{
    struct sigrec r;
    rec_init(&r);
    cio_loop_t *loop = r.loop;
    static const int bad[] = {0, -1, 65, 1000, SIGKILL, SIGSTOP};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = cio_loop_add_signal_handler(loop, bad[i], on_signal, &r);
        if (rc != -EINVAL)
            FAILF("add_signal_handler(%d): %d (%s), expected -EINVAL", bad[i], rc, cio_err_name(rc));
    }
    CHECK(IS_DFL(SIGKILL) && IS_DFL(SIGSTOP));
    CHECK_RC(cio_loop_remove_signal_handler(loop, 0), -EINVAL);
    CHECK_RC(cio_loop_remove_signal_handler(loop, -1), -EINVAL);
    CHECK_RC(cio_loop_remove_signal_handler(loop, 65), -EINVAL);
    CHECK_RC(cio_loop_remove_signal_handler(loop, 1000), -EINVAL);

    /* The top of the range is valid (Python: 1 <= sig < NSIG == 65). */
    CHECK_RC(cio_loop_add_signal_handler(loop, SIGRTMAX, on_signal, &r), 0);
    CHECK_INT(raise(SIGRTMAX), 0);
    WAIT_FOR(r.count >= 1, 5.0);
    CHECK_INT(r.count, 1);
    CHECK_INT(cio_loop_remove_signal_handler(loop, SIGRTMAX), 1);
    CHECK(IS_DFL(SIGRTMAX));
    return 0;
}

static void t_invalid(void)
{
    RUN(m_invalid);
    /* A closed loop. */
    cio_loop_t *loop = new_loop();
    CHECK_RC(cio_loop_close(loop), 0);
    struct sigrec r;
    memset(&r, 0, sizeof r);
    CHECK_RC(cio_loop_add_signal_handler(loop, SIGUSR1, on_signal, &r), CIO_ELOOPCLOSED);
    CHECK(IS_DFL(SIGUSR1));
    free_loop(loop);
}

/* ------------------------------------------------------------ ownership */

/* Another loop, in another thread, while this one owns SIGUSR2. */
struct other {
    int sig_same, sig_other;
    int rc_same;       /* add of the owned signal */
    int rc_other;      /* add of a free signal */
    int other_count;   /* its callback, raised in that thread */
    int other_wrong;   /* ran off that thread or loop */
    int rc_remove;
    int run_rc;
    atomic_int done; /* polled by another thread */
};

static int other_cb(void *arg)
{
    struct other *o = arg;
    o->other_count++;
    return 0;
}

static int m_other_loop(void *arg, void **result)
{
    struct other *o = arg;
    cio_loop_t *loop = NULL;
    cio_get_running_loop(&loop);
    o->rc_same = cio_loop_add_signal_handler(loop, o->sig_same, other_cb, o);
    if (o->rc_same == 0)
        cio_loop_remove_signal_handler(loop, o->sig_same);
    if (o->sig_other) {
        o->rc_other = cio_loop_add_signal_handler(loop, o->sig_other, other_cb, o);
        if (o->rc_other == 0) {
            raise(o->sig_other); /* to this thread */
            double t0 = now_s();
            while (o->other_count == 0 && now_s() - t0 < 5.0)
                cio_sleep(0.002);
            o->rc_remove = cio_loop_remove_signal_handler(loop, o->sig_other);
        }
    }
    return 0;
}

static void *other_thread(void *arg)
{
    struct other *o = arg;
    o->run_rc = cio_run(m_other_loop, o, NULL);
    o->done = 1;
    return NULL;
}

static int m_second_loop_refused(void *arg, void **result)
{
    struct sigrec r;
    rec_init(&r);
    cio_loop_t *loop = r.loop;
    pthread_t th;
    int owned = 0;
    CHECK_RC(cio_loop_add_signal_handler(loop, SIGUSR2, on_signal, &r), 0);
    owned = 1;

    /* SIGWINCH is ignored by default: harmless if anything goes wrong. */
    struct other o = {.sig_same = SIGUSR2, .sig_other = SIGWINCH, .rc_same = 12345, .rc_other = 12345};
    REQ(pthread_create(&th, NULL, other_thread, &o) == 0);
    WAIT_FOR(o.done, 10.0);
    pthread_join(th, NULL);
    CHECK_RC(o.run_rc, 0);
    CHECK_RC(o.rc_same, CIO_EINVALSTATE);
    CHECK_RC(o.rc_other, 0);
    CHECK_INT(o.other_count, 1);
    CHECK_INT(o.rc_remove, 1);

    /* This loop still owns SIGUSR2 and gets it. */
    CHECK_INT(raise(SIGUSR2), 0);
    WAIT_FOR(r.count >= 1, 5.0);
    CHECK_INT(r.count, 1);
    CHECK_INT(r.wrong_thread, 0);
    CHECK_INT(cio_loop_remove_signal_handler(loop, SIGUSR2), 1);
    owned = 0;

    /* Released: another loop may take it now. */
    struct other o2 = {.sig_same = SIGUSR2, .rc_same = 12345};
    REQ(pthread_create(&th, NULL, other_thread, &o2) == 0);
    WAIT_FOR(o2.done, 10.0);
    pthread_join(th, NULL);
    CHECK_RC(o2.run_rc, 0);
    CHECK_RC(o2.rc_same, 0);
    CHECK(IS_DFL(SIGUSR2));
out:
    if (owned)
        cio_loop_remove_signal_handler(loop, SIGUSR2);
    return 0;
}
static void t_second_loop_refused(void) { RUN(m_second_loop_refused); }

/* Closing a loop removes its handlers (asyncio's loop.close()): the
 * default is back and another loop may add the signal. */
static int m_add_and_leave(void *arg, void **result)
{
    static struct sigrec r;
    rec_init(&r);
    return cio_loop_add_signal_handler(r.loop, SIGUSR1, on_signal, &r);
}

static int m_add_remove(void *arg, void **result)
{
    struct sigrec r;
    rec_init(&r);
    CHECK_RC(cio_loop_add_signal_handler(r.loop, SIGUSR1, on_signal, &r), 0);
    CHECK_INT(raise(SIGUSR1), 0);
    WAIT_FOR(r.count >= 1, 5.0);
    CHECK_INT(r.count, 1);
    CHECK_INT(cio_loop_remove_signal_handler(r.loop, SIGUSR1), 1);
    return 0;
}

static void t_loop_close_releases(void)
{
    RUN(m_add_and_leave);
    CHECK(IS_DFL(SIGUSR1));
    RUN(m_add_remove);
}

/* A handler added before the loop runs: the signal waits in the pipe and
 * the callback runs once the loop does. */
static struct sigrec early;
static int m_wait_early(void *arg, void **result)
{
    WAIT_FOR(early.count >= 1, 5.0);
    return 0;
}

static void t_added_before_run(void)
{
    cio_loop_t *loop = new_loop();
    cio_task_t *t = NULL;
    memset(&early, 0, sizeof early);
    early.loop = loop;
    early.thread = pthread_self();
    int rc = cio_loop_add_signal_handler(loop, SIGUSR1, on_signal, &early);
    CHECK_RC(rc, 0);
    if (rc < 0) { /* no handler: raise() would kill the process */
        free_loop(loop);
        return;
    }
    CHECK_INT(raise(SIGUSR1), 0);
    CHECK_INT(early.count, 0);
    CHECK_RC(cio_loop_create_task(loop, m_wait_early, NULL, NULL, &t), 0);
    if (t) {
        rc = cio_loop_run_until_complete(loop, t, NULL);
        CHECK_RC(rc, 0);
        if (rc < 0) { /* it did not run: cancel it and let it end */
            cio_task_cancel(t, NULL);
            cio_loop_run_until_complete(loop, t, NULL);
        }
        cio_unref(t);
    }
    CHECK_INT(early.count, 1);
    CHECK_INT(early.wrong_thread, 0);
    CHECK_INT(early.wrong_loop, 0);
    CHECK_INT(cio_loop_remove_signal_handler(loop, SIGUSR1), 1);
    free_loop(loop);
    CHECK(IS_DFL(SIGUSR1));
}

/* ------------------------------------------------------------ bursts */

static int m_burst(void *arg, void **result)
{
    struct sigrec r;
    rec_init(&r);
    cio_loop_t *loop = r.loop;
    CHECK_RC(cio_loop_add_signal_handler(loop, SIGUSR1, on_signal, &r), 0);

    /* 50 from the task, without yielding in between. */
    for (int i = 0; i < 50; i++)
        raise(SIGUSR1);
    CHECK_INT(r.count, 0);
    WAIT_FOR(r.count >= 1, 5.0);
    CHECK_RC(cio_sleep(0.1), 0);
    if (r.count < 1 || r.count > 50)
        FAILF("50 signals raised: %d callbacks, expected 1..50", r.count);
    CHECK_INT(r.wrong_thread, 0);

    /* 200 from another thread, as fast as it can. */
    int before = r.count;
    struct sender s = {.count = 200, .sig = SIGUSR1};
    pthread_t th;
    REQ(pthread_create(&th, NULL, sender_main, &s) == 0);
    WAIT_FOR(s.done, 5.0);
    pthread_join(th, NULL);
    WAIT_FOR(r.count > before, 5.0);
    CHECK_RC(cio_sleep(0.1), 0);
    if (r.count - before < 1 || r.count - before > 200)
        FAILF("200 signals sent: %d callbacks, expected 1..200", r.count - before);
    CHECK_INT(r.wrong_thread, 0);
    CHECK_INT(r.wrong_loop, 0);
out:
    CHECK_INT(cio_loop_remove_signal_handler(loop, SIGUSR1), 1);
    return 0;
}
static void t_burst_coalesces(void) { RUN(m_burst); }

/* ------------------------------------------------------------ Ctrl-C */

/* The child side: fd 3 is the report pipe. */
static volatile int child_saw_cancel;
static int child_cleanup_rc = 12345;

static void report(char c)
{
    ssize_t k = write(3, &c, 1);
    (void)k;
}

/* The same from a loop callback, after the task that asks has suspended,
 * for a report the parent answers with a signal: the signal then finds the
 * loop's own context.  Under TSan a signal that arrives while a task's
 * fiber runs is held for that fiber until it next enters the runtime (here
 * 30 s later, its sleep's end), so the run would not see it in time. */
static int report_cb(void *arg)
{
    report((char)(intptr_t)arg);
    return 0;
}

static void report_soon(char c)
{
    cio_loop_t *loop = NULL;
    if (cio_get_running_loop(&loop) < 0 || cio_call_soon(loop, report_cb, (void *)(intptr_t)c, NULL) < 0)
        report(c);
}

/* Waits up to 10 s for *flag, polled from loop callbacks rather than by the
 * task, for the reason report_soon gives: a signal that sets the flag must
 * not land in the task's fiber.  The task awaits a future the poll
 * completes; it returns what the await returns (-ECANCELED if the task is
 * cancelled meanwhile).  One at a time (the state is static: the poll may
 * outlive a cancelled wait). */
static struct {
    volatile sig_atomic_t *flag;
    volatile int *iflag;
    cio_future_t *done;
    cio_loop_t *loop;
    double t0;
} poll_st;

static int poll_cb(void *arg)
{
    (void)arg;
    int set = poll_st.flag ? *poll_st.flag != 0 : *poll_st.iflag != 0;
    if (cio_future_done(poll_st.done) || set || now_s() - poll_st.t0 > 10.0) {
        cio_future_set_result(poll_st.done, NULL); /* refused once cancelled: fine */
        cio_unref(poll_st.done);
        return 0;
    }
    if (cio_call_later(poll_st.loop, 0.01, poll_cb, NULL, NULL) < 0) {
        cio_future_set_result(poll_st.done, NULL);
        cio_unref(poll_st.done);
    }
    return 0;
}

static int wait_flag(volatile sig_atomic_t *flag, volatile int *iflag)
{
    poll_st.flag = flag;
    poll_st.iflag = iflag;
    poll_st.t0 = now_s();
    int rc = cio_get_running_loop(&poll_st.loop);
    if (rc < 0 || (rc = cio_loop_create_future(poll_st.loop, &poll_st.done)) < 0)
        return rc;
    cio_future_t *f = poll_st.done;
    cio_ref(f); /* the poll's own reference, dropped when it stops */
    if ((rc = cio_call_soon(poll_st.loop, poll_cb, NULL, NULL)) < 0) {
        cio_unref(f);
        cio_unref(f);
        return rc;
    }
    rc = cio_await(f, NULL);
    cio_unref(f);
    return rc;
}

/* Sleeps 30 s; a cancel is reported, cleaned up after (awaiting), and the
 * task ends cancelled. */
static int child_main_cancel(void *arg, void **result)
{
    report_soon('R');
    int rc = cio_sleep(30);
    if (rc == -ECANCELED) {
        child_saw_cancel = 1;
        report('C');
        child_cleanup_rc = cio_sleep(0.05); /* cleanup may await */
    }
    return rc;
}

/* The cancel is swallowed: the task returns normally. */
static int child_main_swallow(void *arg, void **result)
{
    report_soon('R');
    int rc = cio_sleep(30);
    if (rc == -ECANCELED) {
        child_saw_cancel = 1;
        report('C');
        return 0;
    }
    return rc;
}

/* The first cancel is ignored: it sleeps on. */
static int child_main_twice(void *arg, void **result)
{
    report_soon('R');
    for (int i = 0; i < 2; i++) {
        int rc = cio_sleep(30);
        if (rc == -ECANCELED) {
            child_saw_cancel++;
            report_soon('C');
        }
    }
    return 0;
}

/* The program's own SIGINT handler: it must be the one that runs. */
static int child_main_own(void *arg, void **result)
{
    report_soon('R');
    if (wait_flag(&own_count, NULL) == -ECANCELED)
        child_saw_cancel = 1;
    for (int i = 0; i < 10; i++)
        if (cio_sleep(0.01) == -ECANCELED)
            child_saw_cancel = 1;
    return child_saw_cancel ? -ECANCELED : 0;
}

static int child_quick(void *arg, void **result) { return cio_sleep(0.001); }

/* The program adds its own loop handler for SIGINT during the run: it gets
 * the signal instead of the Runner; once removed, SIGINT is the Runner's
 * again (the header: "SIGINT's being the Runner's when a run is in
 * progress"), so the next one cancels the main task. */
static volatile int user_sigint;
static int user_sigint_rc0 = 12345, user_sigint_rc1 = 12345, user_sigint_dfl_after_remove = -1;
static int user_sigint_cb(void *arg)
{
    user_sigint++;
    return 0;
}

static int child_main_usersig(void *arg, void **result)
{
    cio_loop_t *loop = NULL;
    cio_get_running_loop(&loop);
    user_sigint_rc0 = cio_loop_remove_signal_handler(loop, SIGINT); /* only the Runner's: 0 */
    if (cio_loop_add_signal_handler(loop, SIGINT, user_sigint_cb, NULL) != 0)
        return -EPROTO;
    report_soon('R');
    if (wait_flag(NULL, &user_sigint) == -ECANCELED)
        child_saw_cancel++;
    report('U');
    user_sigint_rc1 = cio_loop_remove_signal_handler(loop, SIGINT);
    user_sigint_dfl_after_remove = IS_DFL(SIGINT);
    if (user_sigint_dfl_after_remove)
        fprintf(stderr, "child usersig: after remove during the run SIGINT is SIG_DFL, not the Runner's\n");
    report_soon('X');
    int rc = cio_sleep(30);
    if (rc == -ECANCELED)
        report('C');
    return rc;
}

static int child_main(const char *mode)
{
    /* SIGINT at its default, unblocked, whatever we inherited. */
    signal(SIGINT, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    int rc;
    if (strcmp(mode, "cancel") == 0 || strcmp(mode, "swallow") == 0) {
        int swallow = mode[0] == 's';
        rc = cio_run(swallow ? child_main_swallow : child_main_cancel, NULL, NULL);
        int want = swallow ? 0 : CIO_EINTERRUPTED;
        if (rc != want) {
            fprintf(stderr, "child %s: cio_run returned %d (%s), expected %s\n", mode, rc, cio_err_name(rc),
                    cio_err_name(want));
            return 2;
        }
        if (!child_saw_cancel)
            return 3;
        if (!IS_DFL(SIGINT))
            return 4;
        if (!swallow && child_cleanup_rc != 0) {
            fprintf(stderr, "child %s: the cleanup's sleep returned %d (%s)\n", mode, child_cleanup_rc,
                    cio_err_name(child_cleanup_rc));
            return 5;
        }
        return 0;
    }
    if (strcmp(mode, "runner") == 0) {
        cio_runner_t *r = NULL;
        if (cio_runner_new(NULL, &r) < 0)
            return 9;
        rc = cio_runner_run(r, child_main_cancel, NULL, NULL);
        if (rc != CIO_EINTERRUPTED) {
            fprintf(stderr, "child runner: cio_runner_run returned %d (%s)\n", rc, cio_err_name(rc));
            cio_runner_free(r);
            return 2;
        }
        if (!child_saw_cancel)
            return 3;
        if (!IS_DFL(SIGINT))
            return 4;
        /* The runner goes on after an interrupted run. */
        rc = cio_runner_run(r, child_quick, NULL, NULL);
        cio_runner_free(r);
        if (rc != 0) {
            fprintf(stderr, "child runner: the run after the interrupt returned %d (%s)\n", rc, cio_err_name(rc));
            return 6;
        }
        return 0;
    }
    if (strcmp(mode, "twice") == 0) {
        rc = cio_run(child_main_twice, NULL, NULL);
        fprintf(stderr, "child twice: survived both SIGINTs; cio_run returned %d (%s), cancels seen %d\n", rc,
                cio_err_name(rc), child_saw_cancel);
        return 7;
    }
    if (strcmp(mode, "usersig") == 0) {
        rc = cio_run(child_main_usersig, NULL, NULL);
        int bad = 0;
        if (rc != CIO_EINTERRUPTED) {
            fprintf(stderr, "child usersig: cio_run returned %d (%s), expected CIO_EINTERRUPTED\n", rc,
                    cio_err_name(rc));
            bad = 2;
        }
        if (child_saw_cancel) {
            fprintf(stderr, "child usersig: the main task was cancelled by the SIGINT its own handler took\n");
            bad = 3;
        }
        if (user_sigint != 1) {
            fprintf(stderr, "child usersig: the loop's SIGINT callback ran %d times, expected 1\n", user_sigint);
            bad = 4;
        }
        if (user_sigint_rc0 != 0 || user_sigint_rc1 != 1) {
            fprintf(stderr, "child usersig: remove returned %d before the add (expected 0), %d after (expected 1)\n",
                    user_sigint_rc0, user_sigint_rc1);
            bad = 5;
        }
        if (user_sigint_dfl_after_remove != 0)
            bad = 6;
        if (!IS_DFL(SIGINT))
            bad = 7;
        return bad;
    }
    if (strcmp(mode, "own") == 0) {
        struct sigaction sa = {.sa_handler = own_handler, .sa_flags = SA_RESTART};
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        rc = cio_run(child_main_own, NULL, NULL);
        if (rc != 0) {
            fprintf(stderr, "child own: cio_run returned %d (%s)\n", rc, cio_err_name(rc));
            return 2;
        }
        if (own_count != 1) {
            fprintf(stderr, "child own: the program's handler ran %d times\n", (int)own_count);
            return 3;
        }
        if (disposition(SIGINT) != (void *)own_handler)
            return 4;
        return 0;
    }
    return 100;
}

/* The parent side. */
struct child {
    pid_t pid;
    int rfd;
};

static int start_child(const char *mode, struct child *c)
{
    int p[2];
    c->pid = -1;
    c->rfd = -1;
    if (pipe2(p, O_CLOEXEC) < 0)
        return -errno;
    pid_t pid = fork();
    if (pid < 0) {
        int e = -errno;
        close(p[0]);
        close(p[1]);
        return e;
    }
    if (pid == 0) {
        if (p[1] == 3)
            fcntl(3, F_SETFD, 0);
        else
            dup2(p[1], 3); /* dup2 clears close-on-exec on 3 */
        execl("/proc/self/exe", "test_signal", "--child", mode, (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    c->pid = pid;
    c->rfd = p[0];
    return 0;
}

/* The next report byte within timeout seconds: 0 if it is want. */
static int expect_report(struct child *c, char want, double timeout)
{
    struct pollfd pfd = {.fd = c->rfd, .events = POLLIN};
    int n = poll(&pfd, 1, (int)(timeout * 1000));
    if (n <= 0)
        return -ETIMEDOUT;
    char got;
    ssize_t k = read(c->rfd, &got, 1);
    if (k != 1)
        return -EPIPE; /* the child ended first */
    return got == want ? 0 : -EPROTO;
}

/* Reap the child within timeout seconds (else kill it): its status. */
static int reap_child(struct child *c, double timeout, int *status)
{
    double t0 = now_s();
    int rc = -ETIMEDOUT;
    while (now_s() - t0 < timeout) {
        pid_t r = waitpid(c->pid, status, WNOHANG);
        if (r == c->pid) {
            rc = 0;
            break;
        }
        if (r < 0) {
            rc = -errno;
            break;
        }
        usleep(5000);
    }
    if (rc == -ETIMEDOUT) {
        kill(c->pid, SIGKILL);
        waitpid(c->pid, status, 0);
    }
    close(c->rfd);
    c->rfd = -1;
    return rc;
}

static void describe_status(int st, char *buf, size_t n)
{
    if (WIFEXITED(st))
        snprintf(buf, n, "exited %d", WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        snprintf(buf, n, "killed by signal %d", WTERMSIG(st));
    else
        snprintf(buf, n, "status 0x%x", st);
}

/* One SIGINT after the main task runs; the child must exit 0 (its own
 * checks passed). */
static void ctrl_c_once(const char *mode, int expect_cancel)
{
    struct child c;
    int st = 0;
    char desc[64];
    REQUIRE(start_child(mode, &c) == 0);
    int rc = expect_report(&c, 'R', 10.0);
    if (rc != 0) {
        FAILF("%s: the child's main task never reported running: %s", mode, cio_err_name(rc));
        reap_child(&c, 0.0, &st);
        return;
    }
    CHECK_INT(kill(c.pid, SIGINT), 0);
    if (expect_cancel) {
        rc = expect_report(&c, 'C', 10.0);
        if (rc != 0)
            FAILF("%s: the main task did not see -ECANCELED: %s", mode, cio_err_name(rc));
    }
    rc = reap_child(&c, 10.0, &st);
    CHECK_RC(rc, 0);
    describe_status(st, desc, sizeof desc);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        FAILF("%s: child %s, expected exited 0", mode, desc);
}

static void t_ctrl_c_cancels_main(void) { ctrl_c_once("cancel", 1); }
static void t_ctrl_c_swallowed(void) { ctrl_c_once("swallow", 1); }
static void t_ctrl_c_runner(void) { ctrl_c_once("runner", 1); }
static void t_ctrl_c_own_handler(void) { ctrl_c_once("own", 0); }

static void t_ctrl_c_twice_kills(void)
{
    struct child c;
    int st = 0;
    char desc[64];
    REQUIRE(start_child("twice", &c) == 0);
    int rc = expect_report(&c, 'R', 10.0);
    if (rc != 0) {
        FAILF("the child's main task never reported running: %s", cio_err_name(rc));
        reap_child(&c, 0.0, &st);
        return;
    }
    CHECK_INT(kill(c.pid, SIGINT), 0);
    /* Only once the first one was handled: two pending SIGINTs would merge. */
    rc = expect_report(&c, 'C', 10.0);
    if (rc != 0)
        FAILF("the first SIGINT did not cancel the main task: %s", cio_err_name(rc));
    double t0 = now_s();
    CHECK_INT(kill(c.pid, SIGINT), 0);
    rc = reap_child(&c, 10.0, &st);
    CHECK_RC(rc, 0);
    CHECK(now_s() - t0 < 5.0);
    describe_status(st, desc, sizeof desc);
    if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGINT)
        FAILF("child %s, expected killed by signal %d (SIGINT)", desc, SIGINT);
}

/* The program's loop handler for SIGINT during a run, then removed. */
static void t_ctrl_c_loop_handler(void)
{
    struct child c;
    int st = 0;
    char desc[64];
    REQUIRE(start_child("usersig", &c) == 0);
    int rc = expect_report(&c, 'R', 10.0);
    if (rc == 0) {
        CHECK_INT(kill(c.pid, SIGINT), 0);
        rc = expect_report(&c, 'U', 10.0);
        if (rc != 0)
            FAILF("the loop's own SIGINT callback did not run: %s", cio_err_name(rc));
    } else {
        FAILF("the child's main task never reported running: %s", cio_err_name(rc));
    }
    if (rc == 0) {
        rc = expect_report(&c, 'X', 10.0);
        CHECK_RC(rc, 0);
    }
    if (rc == 0) {
        CHECK_INT(kill(c.pid, SIGINT), 0);
        rc = expect_report(&c, 'C', 10.0);
        if (rc != 0)
            FAILF("SIGINT after the loop handler was removed did not cancel the main task: %s", cio_err_name(rc));
    }
    if (reap_child(&c, 10.0, &st) != 0)
        FAILF("the child did not end within 10 s (killed)");
    describe_status(st, desc, sizeof desc);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        FAILF("child %s, expected exited 0", desc);
}

static const struct test_case cases[] = {
    TEST(t_callback_on_loop),
    TEST(t_wakes_sleeping_loop),
    TEST(t_callback_error),
    TEST(t_replace),
    TEST(t_remove_restores_default),
    TEST(t_invalid),
    TEST(t_second_loop_refused),
    TEST(t_loop_close_releases),
    TEST(t_added_before_run),
    TEST(t_burst_coalesces),
    TEST(t_ctrl_c_cancels_main),
    TEST(t_ctrl_c_swallowed),
    TEST(t_ctrl_c_runner),
    TEST(t_ctrl_c_twice_kills),
    TEST(t_ctrl_c_own_handler),
    TEST(t_ctrl_c_loop_handler),
};

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "--child") == 0)
        return child_main(argv[2]);
    return run_tests(argc, argv, cases, NCASES(cases));
}
