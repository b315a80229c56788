/* Loop groups: N loops on N threads (the caller's thread runs loop 0), each
 * running a main, started and stopped together, and calls from a task of
 * one loop to a task run on another.
 *
 * Lifetime.  Every thread makes its loop (through a runner, so that the
 * loop's end is asyncio.run's shutdown), then all meet at a barrier: from
 * then on every loop exists and may be called.  A loop whose main has
 * ended keeps running (serving calls from the others) until the last main
 * has ended; then each thread shuts its runner down.  A loop is `alive`
 * (g->lock) from the barrier until just before its shutdown: posts to it
 * (stops, calls, cancels of calls) are made under the lock and only while
 * it is alive, so nothing is ever posted to a freed loop; what was posted
 * before is run, or dropped with the loop closed, by its shutdown.
 *
 * Stops.  cio_loop_group_stop, SIGINT (loop 0's runner handler) and the
 * first failing main post each live loop a callback that cancels its main.
 *
 * Calls (cio_loop_group_call).  The record is on the calling task's stack.
 * Its `start` callback is posted to the target loop, which creates the
 * task; a done-registration on that task queues `done` on the target loop,
 * which stores the outcome and wakes the caller by posting the caller's
 * task step to its loop.  A cancel of the caller posts `cancel` to the
 * target, which cancels the remote task; the caller goes on waiting for
 * the remote outcome (so a remote task that ignores the cancel still
 * delivers its result, as asyncio's await does).  `state` decides who wakes
 * the caller when a cancel crosses the completion: RUNNING -> FINISHED by
 * `done` (it wakes), RUNNING -> CANCEL_POSTED by the caller's cancel (then
 * whichever of `done` and `cancel` runs second on the target wakes). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "internal.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#define GROUP_MAGIC 0x47727570u /* "Grup" */

struct slot {
    cio_loop_group_t *g;
    int index;
    pthread_t thread;
    cio_loop_t *loop;       /* set before the barrier */
    int alive;              /* g->lock: posts allowed */
    int stop_posted;        /* g->lock */
    struct cio__cb stop_cb; /* cancels the main */
    struct cio__cb done_cb; /* every main has ended */
    cio_task_t *main;       /* the loop's thread only */
    cio_future_t *all_done; /* the loop's thread only */
    cio_coro_fn *fn;
    void *arg;
};

struct cio_loop_group_s {
    uint32_t magic;
    int n;
    int pin;
    int running;
    size_t stack_size;
    pthread_mutex_t lock;
    pthread_cond_t gate;    /* the start: every loop made */
    int nready, nstarted;   /* g->lock; nstarted -1 until known */
    int stopping, interrupted;
    int ndone;              /* mains ended */
    int first_rc;           /* the first failure */
    char *first_msg;
    struct slot *slots;
};

static _Thread_local cio_loop_group_t *cur_group;
static _Thread_local int cur_index;

static int group_check(const cio_loop_group_t *g)
{
    return g && g->magic == GROUP_MAGIC ? 0 : -EINVAL;
}

static int online_cpus(void)
{
    long c = sysconf(_SC_NPROCESSORS_ONLN);
    return c > 0 && c < CIO_LOOP_GROUP_MAX ? (int)c : 1;
}

int cio_loop_group_new(const cio_loop_group_opts_t *opts, cio_loop_group_t **out)
{
    if (out)
        *out = NULL;
    if (!out)
        return -EINVAL;
    int n = opts ? opts->nloops : 0;
    if (n < 0 || n > CIO_LOOP_GROUP_MAX)
        return -EINVAL;
    if (n == 0)
        n = online_cpus();
    cio_loop_group_t *g = cio__calloc(sizeof *g);
    if (!g)
        return -ENOMEM;
    g->slots = cio__calloc((size_t)n * sizeof *g->slots);
    if (!g->slots) {
        cio__free(g);
        return -ENOMEM;
    }
    int rc = pthread_mutex_init(&g->lock, NULL);
    if (rc == 0 && (rc = pthread_cond_init(&g->gate, NULL)) != 0)
        pthread_mutex_destroy(&g->lock);
    if (rc) {
        cio__free(g->slots);
        cio__free(g);
        return -rc;
    }
    g->magic = GROUP_MAGIC;
    g->n = n;
    g->pin = opts ? opts->pin : 0;
    g->stack_size = opts ? opts->stack_size : 0;
    *out = g;
    return 0;
}

int cio_loop_group_free(cio_loop_group_t *g)
{
    if (group_check(g))
        return -EINVAL;
    if (g->running)
        return -EBUSY;
    g->magic = CIO__MAGIC_DEAD;
    pthread_cond_destroy(&g->gate);
    pthread_mutex_destroy(&g->lock);
    cio__free(g->first_msg);
    cio__free(g->slots);
    cio__free(g);
    return 0;
}

int cio_loop_group_size(cio_loop_group_t *g)
{
    return group_check(g) ? -EINVAL : g->n;
}

int cio_loop_group_index(void)
{
    return cur_group ? cur_index : CIO_ENOLOOP;
}

cio_loop_group_t *cio_loop_group_current(void)
{
    return cur_group;
}

const char *cio_loop_group_error_message(cio_loop_group_t *g)
{
    return group_check(g) ? NULL : g->first_msg;
}

/* ------------------------------------------------------------------ stop */

static void stop_run(struct cio__cb *cb)
{
    struct slot *s = cio__container_of(cb, struct slot, stop_cb);
    if (s->main && !cio_future_done(s->main))
        cio_task_cancel(s->main, NULL);
}

/* g->lock held. */
static void stop_all_locked(cio_loop_group_t *g)
{
    g->stopping = 1;
    for (int i = 0; i < g->n; i++) {
        struct slot *s = &g->slots[i];
        if (s->alive && !s->stop_posted) {
            s->stop_posted = 1;
            cio__loop_post_threadsafe(s->loop, &s->stop_cb);
        }
    }
}

int cio_loop_group_stop(cio_loop_group_t *g)
{
    if (group_check(g))
        return -EINVAL;
    pthread_mutex_lock(&g->lock);
    stop_all_locked(g);
    pthread_mutex_unlock(&g->lock);
    return 0;
}

static void record_failure(cio_loop_group_t *g, int rc, const char *msg)
{
    pthread_mutex_lock(&g->lock);
    if (!g->first_rc) {
        g->first_rc = rc;
        g->first_msg = msg ? cio__strdup(msg) : NULL;
    }
    stop_all_locked(g);
    pthread_mutex_unlock(&g->lock);
}

static int group_on_sigint(void *arg)
{
    cio_loop_group_t *g = arg;
    pthread_mutex_lock(&g->lock);
    g->interrupted = 1;
    stop_all_locked(g);
    pthread_mutex_unlock(&g->lock);
    return 0;
}

static void all_done_run(struct cio__cb *cb)
{
    struct slot *s = cio__container_of(cb, struct slot, done_cb);
    if (s->all_done && !cio_future_done(s->all_done))
        cio_future_set_result(s->all_done, NULL);
}

/* A main has ended: the last one lets every loop go on to its shutdown. */
static void main_ended(cio_loop_group_t *g)
{
    pthread_mutex_lock(&g->lock);
    if (++g->ndone == g->n)
        for (int i = 0; i < g->n; i++)
            if (g->slots[i].alive)
                cio__loop_post_threadsafe(g->slots[i].loop, &g->slots[i].done_cb);
    pthread_mutex_unlock(&g->lock);
}

/* -------------------------------------------------------------- threads */

static void pin_to(int index)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return;
    int count = CPU_COUNT(&set), k = index % (count ? count : 1);
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
        if (CPU_ISSET(cpu, &set) && k-- == 0) {
            cpu_set_t one;
            CPU_ZERO(&one);
            CPU_SET(cpu, &one);
            pthread_setaffinity_np(pthread_self(), sizeof one, &one);
            return;
        }
}

static void run_slot(struct slot *s)
{
    cio_loop_group_t *g = s->g;
    cur_group = g;
    cur_index = s->index;
    if (g->pin)
        pin_to(s->index);
    cio_runner_opts_t ro = {-1, g->stack_size};
    cio_runner_t *r = NULL;
    cio_loop_t *loop = NULL;
    int rc = cio_runner_new(&ro, &r);
    if (rc == 0)
        rc = cio_runner_get_loop(r, &loop);
    if (rc == 0)
        rc = cio_loop_create_future(loop, &s->all_done);
    if (rc < 0)
        record_failure(g, rc, "a loop of the group could not be made");
    /* The start: wait until every thread has made its loop. */
    pthread_mutex_lock(&g->lock);
    s->loop = loop;
    s->alive = rc == 0;
    g->nready++;
    pthread_cond_broadcast(&g->gate);
    while (g->nstarted < 0 || g->nready < g->nstarted)
        pthread_cond_wait(&g->gate, &g->lock);
    pthread_mutex_unlock(&g->lock);

    int armed = 0;
    if (rc == 0 && s->index == 0)
        armed = cio__signal_runner_begin(loop, group_on_sigint, g);
    if (armed < 0)
        record_failure(g, armed, "Ctrl-C handling could not be armed");
    if (rc == 0 && armed >= 0) {
        rc = cio_loop_create_task(loop, s->fn, s->arg, NULL, &s->main);
        if (rc == 0) {
            pthread_mutex_lock(&g->lock);
            int stopping = g->stopping;
            pthread_mutex_unlock(&g->lock);
            if (stopping)
                cio_task_cancel(s->main, NULL);
            rc = cio_loop_run_until_complete(loop, s->main, NULL);
            pthread_mutex_lock(&g->lock);
            int by_stop = g->stopping && rc == -ECANCELED;
            pthread_mutex_unlock(&g->lock);
            if (rc < 0 && !by_stop)
                record_failure(g, rc, cio_future_message(s->main));
        } else {
            record_failure(g, rc, "the main task could not be created");
        }
    }
    main_ended(g);
    if (loop && s->all_done) {
        /* Serve calls from the other loops until every main has ended. */
        while (!cio_future_done(s->all_done) && cio_loop_run_until_complete(loop, s->all_done, NULL) == CIO_ESTOPPED)
            ;
    }
    if (armed > 0)
        cio__signal_runner_end(loop);
    pthread_mutex_lock(&g->lock);
    s->alive = 0;
    pthread_mutex_unlock(&g->lock);
    if (s->main)
        cio_unref(s->main);
    s->main = NULL;
    if (s->all_done)
        cio_unref(s->all_done);
    s->all_done = NULL;
    if (r && (rc = cio_runner_free(r)) < 0) /* asyncio.run's shutdown */
        record_failure(g, rc, "a loop of the group could not be closed");
    cur_group = NULL;
}

static void *thread_main(void *arg)
{
    cio__ignore_sigpipe();
    run_slot(arg);
    return NULL;
}

int cio_loop_group_run_each(cio_loop_group_t *g, cio_coro_fn *const *fns, void *const *args)
{
    if (group_check(g) || !fns)
        return -EINVAL;
    for (int i = 0; i < g->n; i++)
        if (!fns[i])
            return -EINVAL;
    if (g->running)
        return -EBUSY;
    if (cio__tls.running)
        return CIO_ELOOPRUNNING;
    int rc;
    g->running = 1;
    g->nready = 0;
    g->nstarted = -1;
    g->stopping = g->interrupted = 0;
    g->ndone = 0;
    g->first_rc = 0;
    cio__free(g->first_msg);
    g->first_msg = NULL;
    for (int i = 0; i < g->n; i++) {
        struct slot *s = &g->slots[i];
        memset(s, 0, sizeof *s);
        s->g = g;
        s->index = i;
        s->fn = fns[i];
        s->arg = args ? args[i] : NULL;
        s->stop_cb.run = stop_run;
        s->done_cb.run = all_done_run;
    }
    /* The new threads start with SIGINT blocked, so that Ctrl-C goes to
     * the caller's thread, whose loop (0) handles it for the group. */
    sigset_t intr, old;
    sigemptyset(&intr);
    sigaddset(&intr, SIGINT);
    pthread_sigmask(SIG_BLOCK, &intr, &old);
    int started = 1;
    for (int i = 1; i < g->n; i++) {
        if ((rc = pthread_create(&g->slots[i].thread, NULL, thread_main, &g->slots[i])) != 0)
            break;
        started++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (started < g->n)
        record_failure(g, -rc, "a thread of the group could not be started");
    pthread_mutex_lock(&g->lock);
    g->ndone += g->n - started; /* the mains that never run */
    g->nstarted = started;
    pthread_cond_broadcast(&g->gate);
    pthread_mutex_unlock(&g->lock);
    run_slot(&g->slots[0]);
    for (int i = 1; i < started; i++)
        pthread_join(g->slots[i].thread, NULL);
    g->running = 0;
    if (g->first_rc)
        return g->first_rc;
    return g->interrupted ? CIO_EINTERRUPTED : 0;
}

int cio_loop_group_run(cio_loop_group_t *g, cio_coro_fn *fn, void *arg)
{
    if (group_check(g) || !fn)
        return -EINVAL;
    cio_coro_fn *fns_buf[16] = {0}, **fns = fns_buf;
    void *args_buf[16] = {0}, **args = args_buf;
    if (g->n > 16) {
        fns = cio__malloc((size_t)g->n * sizeof *fns);
        args = cio__malloc((size_t)g->n * sizeof *args);
        if (!fns || !args) {
            cio__free(fns);
            cio__free(args);
            return -ENOMEM;
        }
    }
    for (int i = 0; i < g->n; i++) {
        fns[i] = fn;
        args[i] = arg;
    }
    int rc = cio_loop_group_run_each(g, fns, args);
    if (fns != fns_buf) {
        cio__free(fns);
        cio__free(args);
    }
    return rc;
}

int cio_loop_group_get_loop(cio_loop_group_t *g, int index, cio_loop_t **loop)
{
    if (loop)
        *loop = NULL;
    if (group_check(g) || !loop || index < 0 || index >= g->n)
        return -EINVAL;
    pthread_mutex_lock(&g->lock);
    int ok = g->running && g->slots[index].alive;
    if (ok)
        *loop = g->slots[index].loop;
    pthread_mutex_unlock(&g->lock);
    return ok ? 0 : CIO_ELOOPCLOSED;
}

/* ---------------------------------------------------------------- calls */

enum { CALL_RUNNING, CALL_CANCEL_POSTED, CALL_FINISHED };

struct call {
    cio_loop_group_t *g;
    int index;
    cio_coro_fn *fn;
    void *arg;
    struct cio__task *caller;
    cio_loop_t *caller_loop;
    atomic_int state;
    struct cio__cb start, cancel, done;
    struct cio__reg reg;     /* on the remote task */
    cio_task_t *remote;      /* the target's thread only */
    int remote_done, cancel_ran; /* the target's thread only */
    int rc;
    void *result;
    char *msg;
};

static void wake_caller(struct call *c)
{
    if (c->caller_loop == cio__tls.running)
        cio__task_wake(c->caller, 0);
    else /* its wake_rc stays the 0 its suspension set */
        cio__loop_post_threadsafe(c->caller_loop, &c->caller->step);
}

/* The remote outcome is known (or the task never ran): wake the caller
 * unless a cancel is on its way here, which then does. */
static void call_finished(struct call *c)
{
    c->remote_done = 1;
    int exp = CALL_RUNNING;
    if (atomic_compare_exchange_strong(&c->state, &exp, CALL_FINISHED) || c->cancel_ran)
        wake_caller(c);
}

static void call_done_run(struct cio__cb *cb)
{
    struct call *c = cio__container_of(cb, struct call, done);
    cio_future_t *f = c->remote;
    c->rc = cio_future_result(f, &c->result);
    const char *m = c->rc < 0 && c->rc != -ECANCELED ? cio_future_message(f) : NULL;
    c->msg = m ? cio__strdup(m) : NULL;
    c->remote = NULL;
    cio_unref(f);
    call_finished(c);
}

static void call_notify(struct cio__reg *r)
{
    struct call *c = cio__container_of(r, struct call, reg);
    cio__loop_schedule(c->remote->loop, &c->done);
}

static void call_start_run(struct cio__cb *cb)
{
    struct call *c = cio__container_of(cb, struct call, start);
    cio_loop_t *loop = cio__tls.running;
    int rc = loop && !loop->closed ? cio_loop_create_task(loop, c->fn, c->arg, NULL, &c->remote) : CIO_ELOOPCLOSED;
    if (rc < 0) {
        c->rc = rc;
        call_finished(c);
        return;
    }
    c->reg.notify = call_notify;
    cio__future_add_reg(c->remote, &c->reg);
}

static void call_cancel_run(struct cio__cb *cb)
{
    struct call *c = cio__container_of(cb, struct call, cancel);
    c->cancel_ran = 1;
    if (c->remote_done)
        wake_caller(c);
    else if (c->remote)
        cio_task_cancel(c->remote, NULL);
}

static int call_cancel_hook(struct cio__task *t)
{
    struct call *c = t->wait->obj;
    pthread_mutex_lock(&c->g->lock);
    struct slot *s = &c->g->slots[c->index];
    int exp = CALL_RUNNING;
    if (s->alive && atomic_compare_exchange_strong(&c->state, &exp, CALL_CANCEL_POSTED))
        cio__loop_post_threadsafe(s->loop, &c->cancel);
    pthread_mutex_unlock(&c->g->lock);
    return 1; /* the wait goes on: the remote outcome (-ECANCELED) ends it */
}

int cio_loop_group_call(cio_loop_group_t *g, int index, cio_coro_fn *fn, void *arg, void **result)
{
    if (result)
        *result = NULL;
    if (group_check(g) || !fn || index < 0 || index >= g->n)
        return -EINVAL;
    struct cio__task *t = cio__tls.task;
    if (!t)
        return CIO_ENOTASK;
    struct call c;
    memset(&c, 0, sizeof c);
    c.g = g;
    c.index = index;
    c.fn = fn;
    c.arg = arg;
    c.caller = t;
    c.caller_loop = t->fut.loop;
    atomic_init(&c.state, CALL_RUNNING);
    c.start.run = call_start_run;
    c.cancel.run = call_cancel_run;
    c.done.run = call_done_run;
    pthread_mutex_lock(&g->lock);
    struct slot *s = &g->slots[index];
    int ok = g->running && s->alive;
    if (ok)
        cio__loop_post_threadsafe(s->loop, &c.start);
    pthread_mutex_unlock(&g->lock);
    if (!ok)
        return CIO_ELOOPCLOSED;
    int rc = cio__task_suspend(t, call_cancel_hook, &c);
    (void)rc; /* the hook never leaves a cancel pending: the outcome is the remote one */
    if (result)
        *result = c.result;
    if (c.msg) {
        cio_fail(c.rc, "%s", c.msg);
        cio__free(c.msg);
    }
    return c.rc;
}

/* ------------------------------------------------- servers over the group */

#define GSERVER_MAGIC 0x47537276u /* "GSrv" */

struct cio_loop_group_server_s {
    uint32_t magic;
    cio_loop_group_t *g;
    int n;
    int port;
    cio_server_t **servers;  /* servers[i] lives on loop i */
};

struct gs_op {
    cio_loop_group_server_t *gs;
    int op;
    cio_client_fn *fn;
    void *arg;
    const char *host;
    int port;
    const cio_server_opts_t *opts;
};

enum { GS_START, GS_CLOSE, GS_CLOSE_CLIENTS, GS_ABORT_CLIENTS, GS_WAIT_CLOSED, GS_UNREF };

/* Runs on loop i (a task of cio_loop_group_call). */
static int gs_remote(void *arg, void **result)
{
    struct gs_op *o = arg;
    int i = cio_loop_group_index();
    cio_server_t **sv = &o->gs->servers[i];
    switch (o->op) {
    case GS_START: {
        cio_server_opts_t opts;
        if (o->opts)
            opts = *o->opts;
        else
            memset(&opts, 0, sizeof opts);
        opts.reuse_port = 1;
        return cio_start_server(o->fn, o->arg, o->host, o->port, &opts, sv);
    }
    case GS_CLOSE:
        return *sv ? cio_server_close(*sv) : 0;
    case GS_CLOSE_CLIENTS:
        return *sv ? cio_server_close_clients(*sv) : 0;
    case GS_ABORT_CLIENTS:
        return *sv ? cio_server_abort_clients(*sv) : 0;
    case GS_WAIT_CLOSED:
        return *sv ? cio_server_wait_closed(*sv) : 0;
    default:
        if (*sv)
            cio_unref(*sv);
        *sv = NULL;
        return 0;
    }
}

/* The operation on every loop in turn; the first failure, after all. */
static int gs_each(cio_loop_group_server_t *gs, int op)
{
    struct gs_op o = {gs, op, NULL, NULL, NULL, 0, NULL};
    int first = 0;
    for (int i = 0; i < gs->n; i++) {
        int rc = cio_loop_group_call(gs->g, i, gs_remote, &o, NULL);
        if (rc < 0 && !first)
            first = rc;
    }
    return first;
}

static int gs_check(const cio_loop_group_server_t *gs)
{
    return gs && gs->magic == GSERVER_MAGIC ? 0 : -EINVAL;
}

int cio_loop_group_start_server(cio_loop_group_t *g, cio_client_fn *fn, void *arg, const char *host, int port,
                                const cio_server_opts_t *opts, cio_loop_group_server_t **out)
{
    if (out)
        *out = NULL;
    if (group_check(g) || !fn || !out || port < 0 || port > 65535 || (opts && opts->has_sock))
        return -EINVAL;
    if (!cio__tls.task)
        return CIO_ENOTASK;
    cio_loop_group_server_t *gs = cio__calloc(sizeof *gs);
    if (!gs)
        return -ENOMEM;
    gs->servers = cio__calloc((size_t)g->n * sizeof *gs->servers);
    if (!gs->servers) {
        cio__free(gs);
        return -ENOMEM;
    }
    gs->magic = GSERVER_MAGIC;
    gs->g = g;
    gs->n = g->n;
    struct gs_op o = {gs, GS_START, fn, arg, host, port, opts};
    int rc = 0;
    for (int i = 0; i < gs->n && rc == 0; i++) {
        rc = cio_loop_group_call(g, i, gs_remote, &o, NULL);
        if (rc == 0 && i == 0) /* port 0: the others bind the port the first got */
            o.port = gs->port = cio_server_port(gs->servers[0]);
    }
    if (rc < 0) {
        gs_each(gs, GS_CLOSE);
        gs_each(gs, GS_UNREF);
        gs->magic = CIO__MAGIC_DEAD;
        cio__free(gs->servers);
        cio__free(gs);
        return rc;
    }
    *out = gs;
    return 0;
}

int cio_loop_group_server_port(cio_loop_group_server_t *gs)
{
    return gs_check(gs) ? -EINVAL : gs->port;
}

static int gs_op_checked(cio_loop_group_server_t *gs, int op)
{
    if (gs_check(gs))
        return -EINVAL;
    if (!cio__tls.task)
        return CIO_ENOTASK;
    return gs_each(gs, op);
}

int cio_loop_group_server_close(cio_loop_group_server_t *gs)
{
    return gs_op_checked(gs, GS_CLOSE);
}

int cio_loop_group_server_close_clients(cio_loop_group_server_t *gs)
{
    return gs_op_checked(gs, GS_CLOSE_CLIENTS);
}

int cio_loop_group_server_abort_clients(cio_loop_group_server_t *gs)
{
    return gs_op_checked(gs, GS_ABORT_CLIENTS);
}

int cio_loop_group_server_wait_closed(cio_loop_group_server_t *gs)
{
    return gs_op_checked(gs, GS_WAIT_CLOSED);
}

int cio_loop_group_server_free(cio_loop_group_server_t *gs)
{
    int rc = gs_op_checked(gs, GS_UNREF);
    if (rc == -EINVAL || rc == CIO_ENOTASK)
        return rc;
    gs->magic = CIO__MAGIC_DEAD;
    cio__free(gs->servers);
    cio__free(gs);
    return rc;
}
