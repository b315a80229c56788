/* The loop's default executor (a thread pool) and the thread-safe futures of
 * run_coroutine_threadsafe.
 *
 * Workers are started on demand, one per submission while none is idle, up
 * to the pool's maximum.  A finished job goes back to its loop through the
 * loop's thread-safe queue (the job itself is the queue entry), where it
 * completes its future unless that was cancelled meanwhile. */
#include "internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct cio__executor {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct cio__job *head, **tailp;
    int nthreads, idle, max, shutdown;
    atomic_int alive;             /* workers not yet returned */
    pthread_t *threads;
    cio_loop_t *loop;
    struct cio__executor *next_old; /* loop->old_executors */
};

/* A job's run, in whatever thread runs it (a pool worker, a user
 * executor's): skipped if its future was cancelled while it waited; the
 * completion goes back to the loop. */
static void job_execute(cio_loop_t *loop, struct cio__job *j)
{
    j->result = NULL;
    if (!j->always && atomic_load(&j->cancelled)) {
        j->rc = -ECANCELED; /* cancelled while queued: asyncio's does not run */
    } else {
        if (j->fut)
            cio__tls.fail_msg = &j->msg; /* cio_fail in fn keeps its message */
        j->rc = j->fn(j->arg, &j->result);
        cio__tls.fail_msg = NULL;
    }
    cio__loop_post_threadsafe(loop, &j->cb);
}

static void uexec_run(void *job)
{
    struct cio__job *j = job;
    job_execute(j->fut->loop, j); /* a future's loop is set at creation, never changed */
}

static int default_workers(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        n = 1;
    return n + 4 > 32 ? 32 : (int)n + 4;
}

static void *worker(void *arg)
{
    struct cio__executor *ex = arg;
    pthread_mutex_lock(&ex->lock);
    for (;;) {
        while (!ex->head && !ex->shutdown) {
            ex->idle++;
            pthread_cond_wait(&ex->cond, &ex->lock);
            ex->idle--;
        }
        struct cio__job *j = ex->head;
        if (!j)
            break; /* shut down and drained */
        ex->head = j->next;
        if (!ex->head)
            ex->tailp = &ex->head;
        pthread_mutex_unlock(&ex->lock);
        job_execute(ex->loop, j);
        pthread_mutex_lock(&ex->lock);
    }
    pthread_mutex_unlock(&ex->lock);
    atomic_fetch_sub(&ex->alive, 1);
    return NULL;
}

/* The job's future was completed (cancelled) on the loop's thread. */
static void job_fut_done(struct cio__reg *r)
{
    struct cio__job *j = cio__container_of(r, struct cio__job, reg);
    atomic_store(&j->cancelled, 1);
}

static void job_done(struct cio__cb *cb)
{
    struct cio__job *j = cio__container_of(cb, struct cio__job, cb);
    cio_future_t *f = j->fut;
    if (f->state == CIO__PENDING) {
        cio__future_del_reg(f, &j->reg);
        uint8_t st = j->rc == -ECANCELED ? CIO__CANCELLED : j->rc < 0 ? CIO__ERROR : CIO__RESULT;
        cio__future_complete(f, st, j->rc < 0 ? j->rc : 0, j->rc < 0 ? NULL : j->result, j->msg);
        j->msg = NULL;
    }
    cio__free(j->msg);
    cio_unref(f);
    cio__free(j);
}

static struct cio__executor *executor_get(cio_loop_t *loop)
{
    if (loop->executor)
        return loop->executor;
    struct cio__executor *ex = cio__calloc(sizeof *ex);
    if (!ex)
        return NULL;
    ex->max = loop->executor_max > 0 ? loop->executor_max : default_workers();
    ex->threads = cio__calloc((size_t)ex->max * sizeof *ex->threads);
    if (!ex->threads) {
        cio__free(ex);
        return NULL;
    }
    pthread_mutex_init(&ex->lock, NULL);
    pthread_cond_init(&ex->cond, NULL);
    ex->tailp = &ex->head;
    ex->loop = loop;
    loop->executor = ex;
    return ex;
}

/* Queue j (its cb.run, fn and arg set, the rest zero or set by the
 * caller; it stays the caller's until its cb has run), starting a worker
 * when none is idle.  0, -ENOMEM, or the error of a failed pthread_create
 * when there is no worker at all. */
int cio__executor_submit(cio_loop_t *loop, struct cio__job *j)
{
    struct cio__executor *ex = executor_get(loop);
    if (!ex)
        return -ENOMEM;
    j->next = NULL;
    pthread_mutex_lock(&ex->lock);
    if (ex->idle == 0 && ex->nthreads < ex->max) {
        atomic_fetch_add(&ex->alive, 1);
        int e = pthread_create(&ex->threads[ex->nthreads], NULL, worker, ex);
        if (e == 0)
            ex->nthreads++;
        else
            atomic_fetch_sub(&ex->alive, 1);
        if (e != 0 && ex->nthreads == 0) {
            pthread_mutex_unlock(&ex->lock);
            return -e;
        }
    }
    *ex->tailp = j;
    ex->tailp = &j->next;
    pthread_cond_signal(&ex->cond);
    pthread_mutex_unlock(&ex->lock);
    return 0;
}

/* Take j back if no worker has picked it yet: 1 if it was, 0 if it runs or
 * ran (its cb will run). */
int cio__executor_unqueue(cio_loop_t *loop, struct cio__job *j)
{
    struct cio__executor *ex = loop->executor;
    if (!ex)
        return 0;
    int found = 0;
    pthread_mutex_lock(&ex->lock);
    for (struct cio__job **pp = &ex->head; *pp; pp = &(*pp)->next) {
        if (*pp == j) {
            *pp = j->next;
            if (!*pp)
                ex->tailp = pp;
            found = 1;
            break;
        }
    }
    pthread_mutex_unlock(&ex->lock);
    return found;
}

int cio_loop_run_in_executor(cio_loop_t *loop, cio_coro_fn *fn, void *arg, cio_future_t **out)
{
    return cio__run_in_executor(loop, fn, arg, false, out);
}

int cio__run_in_executor(cio_loop_t *loop, cio_coro_fn *fn, void *arg, bool always, cio_future_t **out)
{
    if (out)
        *out = NULL;
    if (cio__loop_check(loop) || !fn || !out)
        return -EINVAL;
    if (loop->closed)
        return CIO_ELOOPCLOSED;
    bool user = loop->uexec.submit != NULL;
    if (!user && !executor_get(loop))
        return -ENOMEM;
    struct cio__job *j = cio__malloc(sizeof *j);
    if (!j)
        return -ENOMEM;
    cio_future_t *f;
    int rc = cio_loop_create_future(loop, &f);
    if (rc < 0) {
        cio__free(j);
        return rc;
    }
    j->cb.run = job_done;
    j->next = NULL;
    j->fn = fn;
    j->arg = arg;
    j->msg = NULL;
    j->always = always;
    j->fut = cio_ref(f);
    j->reg.notify = job_fut_done;
    atomic_init(&j->cancelled, 0);
    cio__future_add_reg(f, &j->reg);
    rc = user ? loop->uexec.submit(loop->uexec.ud, uexec_run, j) /* the user's executor */
              : cio__executor_submit(loop, j);
    if (rc < 0) {
        cio__future_del_reg(f, &j->reg);
        cio_unref(f);
        cio_unref(f);
        cio__free(j);
        return rc;
    }
    *out = f;
    return 0;
}

int cio_to_thread(cio_coro_fn *fn, void *arg, void **result)
{
    if (result)
        *result = NULL;
    if (!fn)
        return -EINVAL;
    if (!cio__tls.task)
        return CIO_ENOTASK;
    cio_future_t *f;
    int rc = cio_loop_run_in_executor(cio__tls.task->fut.loop, fn, arg, &f);
    if (rc < 0)
        return rc;
    rc = cio_await(f, result);
    if (rc < 0 && rc != -ECANCELED && f->message) /* the job's cio_fail message is the task's */
        cio_fail(rc, "%s", f->message);
    cio_unref(f);
    return rc;
}

int cio_loop_set_executor_size(cio_loop_t *loop, int max_workers)
{
    if (cio__loop_check(loop) || max_workers < 1 || max_workers > 1024)
        return -EINVAL;
    loop->executor_max = max_workers;
    if (loop->executor) {
        /* Takes effect for the next pool; the running one keeps its array. */
        if (max_workers < loop->executor->max)
            loop->executor->max = max_workers;
    }
    return 0;
}

static void executor_begin_shutdown(struct cio__executor *ex)
{
    pthread_mutex_lock(&ex->lock);
    ex->shutdown = 1;
    pthread_cond_broadcast(&ex->cond);
    pthread_mutex_unlock(&ex->lock);
}

static void executor_join_free(struct cio__executor *ex)
{
    for (int i = 0; i < ex->nthreads; i++)
        pthread_join(ex->threads[i], NULL);
    pthread_mutex_destroy(&ex->lock);
    pthread_cond_destroy(&ex->cond);
    cio__free(ex->threads);
    cio__free(ex);
}

/* Blocking: the pool's jobs finish, its threads are joined; so are those of
 * pools whose timed shutdown gave up; the user's executor is shut down. */
void cio__executor_shutdown(cio_loop_t *loop)
{
    struct cio__executor *ex = loop->executor;
    if (ex) {
        executor_begin_shutdown(ex);
        executor_join_free(ex);
        loop->executor = NULL;
    }
    while ((ex = loop->old_executors)) {
        loop->old_executors = ex->next_old;
        executor_join_free(ex);
    }
    if (loop->uexec.submit && loop->uexec.shutdown)
        loop->uexec.shutdown(loop->uexec.ud);
}

int cio_loop_shutdown_default_executor(cio_loop_t *loop)
{
    if (cio__loop_check(loop))
        return -EINVAL;
    cio__executor_shutdown(loop);
    return 0;
}

/* asyncio 3.12's `await loop.shutdown_default_executor(timeout)`: the loop
 * goes on while the pool's threads finish; the task looks at how many are
 * left between short sleeps (the threads end on their own, nothing to
 * wake it).  After the timeout the pool is let go of, as asyncio's
 * shutdown(wait=False): its threads finish in the background and are
 * joined when the loop closes. */
int cio_shutdown_default_executor(double timeout)
{
    struct cio__task *t = cio__tls.task;
    if (isnan(timeout))
        return -EINVAL;
    if (!t)
        return CIO_ENOTASK;
    cio_loop_t *loop = t->fut.loop;
    struct cio__executor *ex = loop->executor;
    if (!ex) {
        if (loop->uexec.submit && loop->uexec.shutdown)
            loop->uexec.shutdown(loop->uexec.ud); /* the user's: blocking, no timeout */
        return 0;
    }
    loop->executor = NULL; /* a new job starts a new pool */
    executor_begin_shutdown(ex);
    double deadline = cio_loop_time(loop) + (timeout > 0 ? timeout : 0);
    double nap = 0.0005;
    int rc = 0;
    while (atomic_load(&ex->alive) > 0) {
        if (!(isinf(timeout) && timeout > 0) && cio_loop_time(loop) >= deadline) {
            cio_log(CIO_LOG_WARNING, "The executor did not finish joining its threads within %g seconds.",
                    timeout);
            ex->next_old = loop->old_executors;
            loop->old_executors = ex;
            return -ETIMEDOUT;
        }
        if ((rc = cio_sleep(nap)) < 0) { /* cancelled: joined at close */
            ex->next_old = loop->old_executors;
            loop->old_executors = ex;
            return rc;
        }
        nap = nap < 0.01 ? nap * 2 : 0.01;
    }
    executor_join_free(ex); /* every thread has returned: quick */
    return 0;
}

int cio_loop_set_default_executor(cio_loop_t *loop, const cio_executor_t *executor)
{
    if (cio__loop_check(loop) || (executor && !executor->submit))
        return -EINVAL;
    if (loop->closed)
        return CIO_ELOOPCLOSED;
    if (executor)
        loop->uexec = *executor;
    else
        memset(&loop->uexec, 0, sizeof loop->uexec);
    return 0;
}

/* ---------------------------------------------- run_coroutine_threadsafe */

struct cio_tsfuture_s {
    pthread_mutex_t m;
    pthread_cond_t c;
    atomic_int refs;
    int done, rc;
    void *result;
    cio_loop_t *loop;
    cio_coro_fn *fn;
    void *arg;
    cio_task_t *task;          /* loop thread only */
    char *message;             /* the task's failure message, set with done */
    struct cio__cb start_cb, cancel_cb;
};

static void ts_release(cio_tsfuture_t *f)
{
    if (atomic_fetch_sub(&f->refs, 1) == 1) {
        pthread_mutex_destroy(&f->m);
        pthread_cond_destroy(&f->c);
        cio__free(f->message);
        cio__free(f);
    }
}

static void ts_complete(cio_tsfuture_t *f, int rc, void *result, const char *message)
{
    char *m = message && rc < 0 ? cio__strdup(message) : NULL; /* none if no memory */
    pthread_mutex_lock(&f->m);
    if (!f->done) {
        f->done = 1;
        f->rc = rc;
        f->result = result;
        f->message = m;
        m = NULL;
    }
    cio__free(m);
    pthread_cond_broadcast(&f->c);
    pthread_mutex_unlock(&f->m);
}

static int ts_task_done(cio_future_t *t, void *arg)
{
    cio_tsfuture_t *f = arg;
    void *res;
    int rc = cio_future_result(t, &res);
    ts_complete(f, rc, res, cio_future_message(t));
    cio_unref(f->task);
    f->task = NULL;
    ts_release(f);
    return 0;
}

static void ts_start(struct cio__cb *cb)
{
    cio_tsfuture_t *f = cio__container_of(cb, cio_tsfuture_t, start_cb);
    pthread_mutex_lock(&f->m);
    int cancelled = f->done;
    pthread_mutex_unlock(&f->m);
    int rc = 0;
    if (f->loop->closed)
        rc = CIO_ELOOPCLOSED;
    else if (cancelled)
        rc = -ECANCELED;
    else if ((rc = cio_loop_create_task(f->loop, f->fn, f->arg, NULL, &f->task)) == 0) {
        rc = cio_future_add_done_callback(f->task, ts_task_done, f);
        if (rc == 0)
            return;
        cio_task_cancel(f->task, NULL);
        cio_unref(f->task);
        f->task = NULL;
    }
    ts_complete(f, rc, NULL, NULL);
    ts_release(f);
}

static void ts_cancel(struct cio__cb *cb)
{
    cio_tsfuture_t *f = cio__container_of(cb, cio_tsfuture_t, cancel_cb);
    if (f->task)
        cio_task_cancel(f->task, NULL);
    ts_release(f);
}

int cio_run_coroutine_threadsafe(cio_loop_t *loop, cio_coro_fn *fn, void *arg, cio_tsfuture_t **out)
{
    if (out)
        *out = NULL;
    if (cio__loop_check(loop) || !fn || !out)
        return -EINVAL;
    if (loop->closed)
        return CIO_ELOOPCLOSED;
    cio_tsfuture_t *f = cio__calloc(sizeof *f);
    if (!f)
        return -ENOMEM;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&f->c, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&f->m, NULL);
    atomic_init(&f->refs, 2); /* the caller's and the loop's */
    f->loop = loop;
    f->fn = fn;
    f->arg = arg;
    f->start_cb.run = ts_start;
    f->cancel_cb.run = ts_cancel;
    cio__loop_post_threadsafe(loop, &f->start_cb);
    *out = f;
    return 0;
}

int cio_tsfuture_wait(cio_tsfuture_t *f, double timeout, void **result)
{
    if (result)
        *result = NULL;
    if (!f || timeout != timeout)
        return -EINVAL;
    /* INFINITY: no limit; a timeout <= 0 only looks (concurrent.futures'
     * result(timeout=-1) raises TimeoutError unless done). */
    struct timespec dl;
    bool forever = isinf(timeout) && timeout > 0;
    if (timeout < 0)
        timeout = 0;
    if (!forever) {
        clock_gettime(CLOCK_MONOTONIC, &dl);
        double s = timeout > 1e9 ? 1e9 : timeout;
        long long ns = dl.tv_nsec + (long long)((s - (long long)s) * 1e9);
        dl.tv_sec += (time_t)s + ns / 1000000000;
        dl.tv_nsec = ns % 1000000000;
    }
    pthread_mutex_lock(&f->m);
    while (!f->done) {
        if (forever)
            pthread_cond_wait(&f->c, &f->m);
        else if (pthread_cond_timedwait(&f->c, &f->m, &dl) == ETIMEDOUT && !f->done) {
            pthread_mutex_unlock(&f->m);
            return -ETIMEDOUT;
        }
    }
    int rc = f->rc;
    if (result)
        *result = f->result;
    pthread_mutex_unlock(&f->m);
    return rc;
}

int cio_tsfuture_cancel(cio_tsfuture_t *f)
{
    if (!f)
        return -EINVAL;
    pthread_mutex_lock(&f->m);
    if (f->done) {
        pthread_mutex_unlock(&f->m);
        return 0;
    }
    f->done = 1;
    f->rc = -ECANCELED;
    pthread_cond_broadcast(&f->c);
    pthread_mutex_unlock(&f->m);
    atomic_fetch_add(&f->refs, 1);
    cio__loop_post_threadsafe(f->loop, &f->cancel_cb);
    return 1;
}

const char *cio_tsfuture_message(cio_tsfuture_t *f)
{
    if (!f)
        return NULL;
    pthread_mutex_lock(&f->m);
    const char *m = f->done ? f->message : NULL; /* set once, with done */
    pthread_mutex_unlock(&f->m);
    return m;
}

int cio_tsfuture_done(cio_tsfuture_t *f)
{
    if (!f)
        return -EINVAL;
    pthread_mutex_lock(&f->m);
    int d = f->done;
    pthread_mutex_unlock(&f->m);
    return d;
}

int cio_tsfuture_free(cio_tsfuture_t *f)
{
    if (!f)
        return 0;
    ts_release(f);
    return 0;
}
