/* Runners: asyncio.Runner and asyncio.run.  The shutdown follows
 * asyncio.run's order: cancel the remaining tasks and wait for them, shut the
 * thread pool down, close the loop. */
#include "internal.h"

#include <errno.h>
#include <stdio.h>

enum { RUNNER_NEW, RUNNER_READY, RUNNER_CLOSED };

struct cio_runner_s {
    cio_loop_t *loop;
    char *message;  /* the last run's failure message (its main task's) */
    int state;
    int debug;
    size_t stack_size;
};

int cio_runner_new(const cio_runner_opts_t *opts, cio_runner_t **out)
{
    if (!out)
        return -EINVAL;
    *out = NULL;
    cio_runner_t *r = cio__calloc(sizeof *r);
    if (!r)
        return -ENOMEM;
    r->debug = opts ? opts->debug : -1;
    r->stack_size = opts ? opts->stack_size : 0;
    *out = r;
    return 0;
}

static int lazy_init(cio_runner_t *r)
{
    if (r->state == RUNNER_CLOSED)
        return CIO_ERUNNERCLOSED;
    if (r->state == RUNNER_READY)
        return 0;
    int rc = cio_loop_new(&r->loop);
    if (rc < 0)
        return rc;
    if (r->debug >= 0)
        cio_loop_set_debug(r->loop, r->debug);
    if (r->stack_size && (rc = cio_loop_set_stack_size(r->loop, r->stack_size)) < 0) {
        cio_loop_free(r->loop);
        r->loop = NULL;
        return rc;
    }
    r->state = RUNNER_READY;
    return 0;
}

int cio_runner_get_loop(cio_runner_t *r, cio_loop_t **loop)
{
    if (loop)
        *loop = NULL; /* never left undefined, whatever the error */
    if (!r || !loop)
        return -EINVAL;
    int rc = lazy_init(r);
    if (rc == 0)
        *loop = r->loop;
    return rc;
}

/* Ctrl-C (asyncio's Runner._on_sigint): the first SIGINT cancels the main
 * task; the second is the default action (src/signal.c). */
struct interrupt {
    cio_task_t *main;
    int fired;
};

static int on_sigint(void *arg)
{
    struct interrupt *in = arg;
    in->fired = 1;
    if (!cio_future_done(in->main))
        cio_task_cancel(in->main, NULL);
    return 0;
}

int cio_runner_run(cio_runner_t *r, cio_coro_fn *fn, void *arg, void **result)
{
    if (result)
        *result = NULL;
    if (!r || !fn)
        return -EINVAL;
    if (r->state == RUNNER_CLOSED)
        return CIO_ERUNNERCLOSED;
    if (cio__tls.running)
        return CIO_ELOOPRUNNING;
    int rc = lazy_init(r);
    if (rc < 0)
        return rc;
    /* Ctrl-C first: if it cannot be armed (no memory) nothing has run yet.
     * Its callback runs on the loop, so in.main is set before it can fire. */
    struct interrupt in = {NULL, 0};
    int armed = cio__signal_runner_begin(r->loop, on_sigint, &in);
    if (armed < 0)
        return armed;
    cio_task_t *t;
    if ((rc = cio_loop_create_task(r->loop, fn, arg, NULL, &t)) < 0) {
        if (armed > 0)
            cio__signal_runner_end(r->loop);
        return rc;
    }
    in.main = t;
    cio__free(r->message);
    r->message = NULL;
    rc = cio_loop_run_until_complete(r->loop, t, result);
    if (rc < 0 && cio_future_done(t) == 1 && cio_future_message(t))
        r->message = cio__strdup(cio_future_message(t)); /* none if no memory */
    if (armed > 0)
        cio__signal_runner_end(r->loop);
    if (in.fired && rc == -ECANCELED)
        rc = CIO_EINTERRUPTED;
    cio_unref(t);
    return rc;
}

/* Run iterations until no task of the loop is pending. */
static void run_until_no_tasks(cio_loop_t *loop)
{
    loop->running = 1;
    cio__tls.running = loop;
    cio__stack_thread_enter();
    while (loop->ntasks_pending)
        cio__loop_run_once(loop);
    cio__stack_thread_leave();
    loop->running = 0;
    loop->stopping = 0;
    loop->exit_err = 0; /* a stop_with_error during the shutdown ends nothing */
    cio__tls.running = NULL;
}

static void cancel_all_tasks(cio_loop_t *loop)
{
    size_t n = loop->ntasks_pending;
    if (!n)
        return;
    cio_task_t **ts = cio__malloc(n * sizeof *ts);
    if (!ts) /* they are still cancelled and waited for; their errors cannot be collected: say so */
        cio__loop_report(loop, "unhandled exception during cio_run() shutdown", -ENOMEM,
                         "out of memory: the errors of the cancelled tasks are not reported", NULL, NULL);
    size_t k = 0;
    for (struct cio__task *t = loop->all_head; t; t = t->all_next) {
        if (ts && k < n)
            ts[k++] = cio_ref(&t->fut);
        cio_task_cancel(&t->fut, NULL);
    }
    run_until_no_tasks(loop);
    for (size_t i = 0; i < k; i++) {
        int rc = cio_future_exception(ts[i]);
        if (rc < 0 && rc != -ECANCELED)
            cio__loop_report(loop, "unhandled exception during cio_run() shutdown", rc, cio_future_message(ts[i]),
                             ts[i], NULL);
        cio_unref(ts[i]);
    }
    cio__free(ts);
}

int cio_runner_close(cio_runner_t *r)
{
    if (!r)
        return -EINVAL;
    if (r->state != RUNNER_READY) {
        r->state = RUNNER_CLOSED;
        return 0;
    }
    if (cio__tls.running)
        return CIO_ELOOPRUNNING;
    cancel_all_tasks(r->loop);
    if (r->loop->norphans) { /* children killed at their last unref: reap them */
        r->loop->running = 1;
        cio__tls.running = r->loop;
        while (r->loop->norphans)
            cio__loop_run_once(r->loop);
        r->loop->running = 0;
        cio__tls.running = NULL;
    }
    if (r->loop->gens) { /* asyncio's shutdown_asyncgens */
        cio__gen_close_all(r->loop);
        run_until_no_tasks(r->loop);
    }
    cio__gen_release_finished(r->loop);
    cio_loop_shutdown_default_executor(r->loop);
    int rc = cio_loop_free(r->loop);
    if (rc < 0)
        return rc; /* e.g. -EBUSY: the user still holds a future */
    r->loop = NULL;
    r->state = RUNNER_CLOSED;
    return 0;
}

int cio_runner_free(cio_runner_t *r)
{
    if (!r)
        return 0;
    int rc = cio_runner_close(r);
    if (rc < 0)
        return rc;
    cio__free(r->message);
    cio__free(r);
    return 0;
}

const char *cio_runner_message(cio_runner_t *r)
{
    return r ? r->message : NULL;
}

int cio_run(cio_coro_fn *fn, void *arg, void **result)
{
    return cio_run_with_message(fn, arg, result, NULL, 0);
}

int cio_run_with_message(cio_coro_fn *fn, void *arg, void **result, char *msg, size_t cap)
{
    if (msg && cap)
        msg[0] = 0;
    if (result)
        *result = NULL;
    if (!fn)
        return -EINVAL;
    if (cio__tls.running)
        return CIO_ELOOPRUNNING;
    cio_runner_t *r;
    int rc = cio_runner_new(NULL, &r);
    if (rc < 0)
        return rc;
    rc = cio_runner_run(r, fn, arg, result);
    if (rc < 0 && msg && cap && r->message)
        snprintf(msg, cap, "%s", r->message);
    int crc = cio_runner_free(r);
    return rc < 0 ? rc : crc;
}
