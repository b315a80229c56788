/* The thread pool, run_coroutine_threadsafe, and loops in several threads. */
#include "harness.h"

#include <pthread.h>
#include <unistd.h>

static int blocking_double(void *arg, void **result)
{
    usleep(20000);
    *result = (void *)((intptr_t)arg * 2);
    return 0;
}

static int blocking_fail(void *arg, void **result)
{
    return -EACCES;
}

/* Jobs that prove they run at the same time: each one waits, for at most
 * 10 s, until RENDEZVOUS jobs have arrived, and reports the most it saw. A
 * pool that ran them one by one would see 1 and fail, not hang. */
enum { RENDEZVOUS = 4 };
static atomic_int rv_arrived;

static int rendezvous_double(void *arg, void **result)
{
    int seen = atomic_fetch_add(&rv_arrived, 1) + 1;
    double t0 = now_s();
    while (seen < RENDEZVOUS && now_s() - t0 < 10.0) {
        usleep(1000);
        seen = atomic_load(&rv_arrived);
    }
    *result = (void *)((intptr_t)arg * 2 + (seen >= RENDEZVOUS ? 0 : 1));
    return 0;
}

static int m_executor(void *arg, void **result)
{
    cio_loop_t *loop;
    cio_get_running_loop(&loop);
    enum { N = 8 };
    cio_future_t *fs[N];
    /* 8 jobs on min(32, cpus+4) >= 5 workers: at least RENDEZVOUS run at
     * once. An odd result means a job gave up waiting for the others. */
    atomic_store(&rv_arrived, 0);
    intptr_t n = 0;
    for (; n < N; n++) {
        int rc = cio_loop_run_in_executor(loop, rendezvous_double, (void *)n, &fs[n]);
        if (rc < 0) {
            FAILF("run_in_executor: %s", cio_err_name(rc));
            atomic_store(&rv_arrived, RENDEZVOUS); /* release those queued */
            break;
        }
    }
    for (intptr_t i = 0; i < n; i++) {
        void *v;
        CHECK_RC(cio_await(fs[i], &v), 0);
        CHECK_INT((intptr_t)v, i * 2);
        cio_unref(fs[i]);
    }
    CHECK_RC(cio_to_thread(blocking_fail, NULL, NULL), -EACCES);
    void *v;
    CHECK_RC(cio_to_thread(blocking_double, (void *)21, &v), 0);
    CHECK_INT((intptr_t)v, 42);
    return 0;
}

static void t_executor_results_and_errors(void)
{
    CHECK_RC(cio_run(m_executor, NULL, NULL), 0);
}

static atomic_int slow_job_started;

static int slow_job(void *arg, void **result)
{
    atomic_store(&slow_job_started, 1);
    usleep(50000);
    atomic_int *done = arg;
    atomic_store(done, 1);
    return 0;
}

static int body_to_thread(void *arg, void **result)
{
    return cio_to_thread(slow_job, arg, NULL);
}

/* Cancelling the awaiter does not stop the thread; the job still ends. */
static int m_cancel_to_thread(void *arg, void **result)
{
    atomic_int *done = arg;
    atomic_store(&slow_job_started, 0);
    cio_task_t *t = cio_create_task(body_to_thread, done);
    if (!t) {
        FAILF("cio_create_task: NULL (%s)", cio_err_name(-ENOMEM)); /* in a task: out of memory */
        return 0;
    }
    /* A job cancelled while still queued never runs (asyncio's): cancel
     * only once a worker has it, however slowly threads start (qemu). */
    double until = now_s() + 10;
    while (!atomic_load(&slow_job_started) && !cio_future_done(t) && now_s() < until)
        CHECK_RC(cio_sleep(0.001), 0);
    cio_task_cancel(t, NULL);
    CHECK_RC(cio_await(t, NULL), -ECANCELED);
    CHECK_INT(atomic_load(done), 0);
    cio_unref(t);
    return 0;
}

static void t_cancel_to_thread(void)
{
    atomic_int done = 0;
    CHECK_RC(cio_run(m_cancel_to_thread, &done, NULL), 0);
    CHECK_INT(atomic_load(&done), 1); /* run() waited for the pool */
}

static int m_pool_size(void *arg, void **result)
{
    cio_loop_t *loop;
    cio_get_running_loop(&loop);
    CHECK_RC(cio_loop_set_executor_size(loop, 0), -EINVAL);
    CHECK_RC(cio_loop_set_executor_size(loop, 1), 0);
    cio_future_t *fs[3];
    double t0 = now_s();
    for (int i = 0; i < 3; i++)
        CHECK_RC(cio_loop_run_in_executor(loop, blocking_double, (void *)1, &fs[i]), 0);
    for (int i = 0; i < 3; i++) {
        CHECK_RC(cio_await(fs[i], NULL), 0);
        cio_unref(fs[i]);
    }
    CHECK(now_s() - t0 >= 0.055); /* one worker: in sequence */
    CHECK_RC(cio_loop_shutdown_default_executor(loop), 0);
    /* A new pool starts on demand. */
    void *v;
    CHECK_RC(cio_to_thread(blocking_double, (void *)2, &v), 0);
    CHECK_INT((intptr_t)v, 4);
    return 0;
}

static void t_pool_size_and_shutdown(void)
{
    CHECK_RC(cio_run(m_pool_size, NULL, NULL), 0);
}

/* ------------------------------------------- run_coroutine_threadsafe */

struct loop_thread {
    pthread_t th;
    cio_loop_t *loop;
    atomic_int ready;
    int rc;
};

static void *loop_thread_main(void *arg)
{
    struct loop_thread *lt = arg;
    atomic_store(&lt->ready, 1);
    lt->rc = cio_loop_run_forever(lt->loop);
    return NULL;
}

static void start_loop_thread(struct loop_thread *lt)
{
    lt->loop = new_loop();
    atomic_store(&lt->ready, 0);
    pthread_create(&lt->th, NULL, loop_thread_main, lt);
    while (!atomic_load(&lt->ready))
        usleep(1000);
}

/* Out of memory, the stop is posted again (checked once): nothing else
 * would end the loop's thread. */
static void stop_loop_thread(struct loop_thread *lt)
{
    int rc = cio_call_soon_threadsafe(lt->loop, (cio_callback_fn *)cio_loop_stop, lt->loop);
    CHECK_RC(rc, 0);
    while (rc == -ENOMEM)
        rc = cio_call_soon_threadsafe(lt->loop, (cio_callback_fn *)cio_loop_stop, lt->loop);
    pthread_join(lt->th, NULL);
    CHECK_RC(lt->rc, 0);
    free_loop(lt->loop);
}

static int coro_add(void *arg, void **result)
{
    int rc = cio_sleep(0.02);
    *result = (void *)((intptr_t)arg + 1);
    return rc;
}

static int coro_forever(void *arg, void **result)
{
    int rc = cio_sleep(100);
    atomic_store((atomic_int *)arg, rc == -ECANCELED ? 1 : 2);
    return rc;
}

static void t_run_coroutine_threadsafe(void)
{
    struct loop_thread lt;
    start_loop_thread(&lt);
    cio_tsfuture_t *f = NULL;
    atomic_int seen = 0;
    int rc = cio_run_coroutine_threadsafe(lt.loop, coro_add, (void *)41, &f);
    CHECK_RC(rc, 0);
    if (rc < 0)
        goto out;
    void *v = NULL;
    CHECK_RC(cio_tsfuture_wait(f, 0.001, &v), -ETIMEDOUT); /* not yet */
    CHECK_RC(cio_tsfuture_wait(f, -1, &v), -ETIMEDOUT);    /* only looks, as concurrent.futures */
    CHECK_RC(cio_tsfuture_wait(f, 0, &v), -ETIMEDOUT);
    CHECK_INT(cio_tsfuture_done(f), 0);
    CHECK_RC(cio_tsfuture_wait(f, 5.0, &v), 0);
    CHECK_INT((intptr_t)v, 42);
    CHECK_INT(cio_tsfuture_done(f), 1);
    CHECK_INT(cio_tsfuture_cancel(f), 0);
    cio_tsfuture_free(f);

    /* Cancel from this thread cancels the task in the loop. */
    rc = cio_run_coroutine_threadsafe(lt.loop, coro_forever, &seen, &f);
    CHECK_RC(rc, 0);
    if (rc < 0)
        goto out;
    usleep(20000);
    CHECK_INT(cio_tsfuture_cancel(f), 1);
    CHECK_RC(cio_tsfuture_wait(f, INFINITY, NULL), -ECANCELED);
    cio_tsfuture_free(f);
    for (int i = 0; i < 500 && !atomic_load(&seen); i++)
        usleep(1000);
    CHECK_INT(atomic_load(&seen), 1);
out:
    stop_loop_thread(&lt);
    CHECK_RC(cio_run_coroutine_threadsafe(NULL, coro_add, NULL, &f), -EINVAL);
    CHECK_RC(cio_tsfuture_wait(NULL, 1, NULL), -EINVAL);
}

/* ------------------------------------------- errors and cancels cross */

static int blocking_fail_msg(void *arg, void **result)
{
    return cio_fail(-EACCES, "no access to %s", (const char *)arg);
}

static int to_thread_child(void *arg, void **result)
{
    return cio_to_thread(blocking_fail_msg, arg, NULL);
}

static atomic_int gate_open, b_ran;

static int blocking_gate(void *arg, void **result)
{
    double t0 = now_s();
    while (!atomic_load(&gate_open) && now_s() - t0 < 10.0)
        usleep(1000);
    return 0;
}

static int blocking_mark(void *arg, void **result)
{
    atomic_store(&b_ran, 1);
    return 0;
}

static int m_executor_messages_and_cancel(void *arg, void **result)
{
    cio_loop_t *loop;
    cio_future_t *f = NULL, *a = NULL, *b = NULL;
    cio_task_t *t = NULL;
    cio_get_running_loop(&loop);
    /* cio_fail in a pool thread: the message reaches the future. */
    REQ_RC(cio_loop_run_in_executor(loop, blocking_fail_msg, "x.txt", &f));
    CHECK_RC(cio_await(f, NULL), -EACCES);
    CHECK_STR(cio_future_message(f) ? cio_future_message(f) : "(none)", "no access to x.txt");
    /* to_thread: it becomes the awaiting task's. */
    t = cio_create_task(to_thread_child, "y.txt");
    REQ(t);
    CHECK_RC(cio_await(t, NULL), -EACCES);
    CHECK_STR(cio_future_message(t) ? cio_future_message(t) : "(none)", "no access to y.txt");
    /* One worker: b waits in the queue behind a; cancelled there, it never runs. */
    REQ_RC(cio_loop_set_executor_size(loop, 1));
    REQ_RC(cio_loop_shutdown_default_executor(loop)); /* the next job starts a pool of 1 */
    atomic_store(&gate_open, 0);
    atomic_store(&b_ran, 0);
    REQ_RC(cio_loop_run_in_executor(loop, blocking_gate, NULL, &a));
    REQ_RC(cio_loop_run_in_executor(loop, blocking_mark, NULL, &b));
    CHECK_INT(cio_future_cancel(b, NULL), 1);
    atomic_store(&gate_open, 1);
    CHECK_RC(cio_await(a, NULL), 0);
    REQ_RC(cio_loop_shutdown_default_executor(loop)); /* every job finished */
    CHECK_INT(atomic_load(&b_ran), 0);
    CHECK_INT(cio_future_cancelled(b), 1);
out:
    atomic_store(&gate_open, 1);
    if (a && !cio_future_done(a))
        cio_await(a, NULL);
    cio_unref(f);
    cio_unref(a);
    cio_unref(b);
    reap_tasks(&t, 1);
    return 0;
}

static void t_executor_messages_and_queued_cancel(void)
{
    CHECK_RC(cio_run(m_executor_messages_and_cancel, NULL, NULL), 0);
}

static int coro_fail_msg(void *arg, void **result)
{
    cio_sleep(0.001);
    return cio_fail(-EPROTO, "bad frame %d", 7);
}

/* run_coroutine_threadsafe: the other thread sees the task's message. */
static void t_tsfuture_message(void)
{
    struct loop_thread lt;
    start_loop_thread(&lt);
    cio_tsfuture_t *f = NULL;
    int rc = cio_run_coroutine_threadsafe(lt.loop, coro_fail_msg, NULL, &f);
    CHECK_RC(rc, 0);
    if (rc == 0) {
        CHECK(cio_tsfuture_message(f) == NULL || cio_tsfuture_done(f));
        CHECK_RC(cio_tsfuture_wait(f, INFINITY, NULL), -EPROTO);
        const char *m = cio_tsfuture_message(f);
        CHECK_STR(m ? m : "(none)", "bad frame 7");
        cio_tsfuture_free(f);
    }
    stop_loop_thread(&lt);
    CHECK(cio_tsfuture_message(NULL) == NULL);
}

/* ------------------------------------------------ executors of one's own */

struct my_exec {
    pthread_t th[16];
    int n;
    int submitted, shutdowns;
};

struct my_job {
    void (*run)(void *);
    void *job;
};

static void *my_thread(void *arg)
{
    struct my_job *mj = arg;
    mj->run(mj->job);
    free(mj);
    return NULL;
}

static int my_submit(void *ud, void (*run)(void *job), void *job)
{
    struct my_exec *e = ud;
    if (e->n == 16)
        return -EAGAIN;
    struct my_job *mj = malloc(sizeof *mj);
    if (!mj)
        return -ENOMEM;
    mj->run = run;
    mj->job = job;
    if (pthread_create(&e->th[e->n], NULL, my_thread, mj) != 0) {
        free(mj);
        return -EAGAIN;
    }
    e->n++;
    e->submitted++;
    return 0;
}

static void my_shutdown(void *ud)
{
    struct my_exec *e = ud;
    for (int i = 0; i < e->n; i++)
        pthread_join(e->th[i], NULL);
    e->n = 0;
    e->shutdowns++;
}

static int m_user_executor(void *arg, void **result)
{
    struct my_exec *e = arg;
    cio_loop_t *loop;
    cio_get_running_loop(&loop);
    cio_executor_t ex = {my_submit, my_shutdown, e};
    REQ_RC(cio_loop_set_default_executor(loop, &ex));
    void *v = NULL;
    CHECK_RC(cio_to_thread(blocking_double, (void *)21, &v), 0);
    CHECK_INT((intptr_t)v, 42);
    CHECK_RC(cio_to_thread(blocking_fail_msg, "z", NULL), -EACCES);
    CHECK_INT(e->submitted, 2);
    CHECK_RC(cio_shutdown_default_executor(INFINITY), 0);
    CHECK_INT(e->shutdowns, 1);
    REQ_RC(cio_loop_set_default_executor(loop, NULL)); /* back to the pool */
    CHECK_RC(cio_to_thread(blocking_double, (void *)1, &v), 0);
    CHECK_INT(e->submitted, 2);
    cio_executor_t bad = {NULL, NULL, NULL};
    CHECK_RC(cio_loop_set_default_executor(loop, &bad), -EINVAL);
    CHECK_RC(cio_loop_set_default_executor(NULL, &ex), -EINVAL);
out:
    return 0;
}

/* set_default_executor with an executor of one's own: jobs go to it, their
 * outcomes and messages come back, its shutdown is called. */
static void t_user_executor(void)
{
    struct my_exec e = {.n = 0};
    CHECK_RC(cio_run(m_user_executor, &e, NULL), 0);
    CHECK_INT(e.n, 0);
}

static int blocking_slow(void *arg, void **result)
{
    usleep(200 * 1000);
    return 0;
}

static int m_shutdown_timeout(void *arg, void **result)
{
    cio_loop_t *loop;
    cio_future_t *f = NULL;
    cio_get_running_loop(&loop);
    REQ_RC(cio_loop_run_in_executor(loop, blocking_double, (void *)2, &f));
    CHECK_RC(cio_await(f, NULL), 0);
    cio_unref(f);
    f = NULL;
    CHECK_RC(cio_shutdown_default_executor(5.0), 0); /* idle workers: joined */
    REQ_RC(cio_loop_run_in_executor(loop, blocking_slow, NULL, &f));
    double t0 = now_s();
    CHECK_RC(cio_shutdown_default_executor(0.02), -ETIMEDOUT);
    CHECK(now_s() - t0 < 0.19); /* gave up before the job ended */
    CHECK_RC(cio_await(f, NULL), 0); /* the job still finishes */
    CHECK_RC(cio_shutdown_default_executor(INFINITY), 0); /* no pool now */
    CHECK_RC(cio_shutdown_default_executor(NAN), -EINVAL);
out:
    cio_unref(f);
    return 0;
}

/* asyncio 3.12's shutdown_default_executor(timeout): the loop goes on; past
 * the timeout it gives up and the threads are joined at close. */
static void t_shutdown_default_executor_timeout(void)
{
    CHECK_RC(cio_run(m_shutdown_timeout, NULL, NULL), 0);
    CHECK_RC(cio_shutdown_default_executor(1), CIO_ENOTASK);
}

/* Every thread may run its own loop, at the same time. */
struct per_thread {
    pthread_t th;
    int rc;
    void *result;
    intptr_t base;
};

static atomic_int loops_arrived, loops_ended;

static int thread_main_coro(void *arg, void **result)
{
    /* Wait, for at most 10 s, until all four loops run at once. */
    atomic_fetch_add(&loops_arrived, 1);
    double t0 = now_s();
    while (atomic_load(&loops_arrived) < 4 && atomic_load(&loops_ended) == 0 &&
           now_s() - t0 < 10.0) {
        int rc = cio_sleep(0.001);
        if (rc < 0)
            return rc;
    }
    if (atomic_load(&loops_arrived) < 4)
        return -ETIMEDOUT;
    intptr_t sum = 0;
    for (int i = 0; i < 5; i++) {
        int rc = cio_sleep(0.01);
        if (rc < 0)
            return rc;
        sum += (intptr_t)arg;
    }
    *result = (void *)sum;
    return 0;
}

static void *run_in_thread(void *arg)
{
    struct per_thread *p = arg;
    p->rc = cio_run(thread_main_coro, (void *)p->base, &p->result);
    atomic_fetch_add(&loops_ended, 1); /* a loop that failed to start frees the rest */
    return NULL;
}

static void t_loop_per_thread(void)
{
    struct per_thread ps[4];
    atomic_store(&loops_arrived, 0);
    atomic_store(&loops_ended, 0);
    for (int i = 0; i < 4; i++) {
        ps[i].base = i + 1;
        pthread_create(&ps[i].th, NULL, run_in_thread, &ps[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(ps[i].th, NULL);
        CHECK_RC(ps[i].rc, 0);
        CHECK_INT((intptr_t)ps[i].result, 5 * (i + 1)); /* all four met: concurrently */
    }
}

static void t_bad_arguments(void)
{
    cio_future_t *f;
    CHECK_RC(cio_loop_run_in_executor(NULL, blocking_fail, NULL, &f), -EINVAL);
    CHECK_RC(cio_to_thread(NULL, NULL, NULL), -EINVAL);
    CHECK_RC(cio_to_thread(blocking_fail, NULL, NULL), CIO_ENOTASK);
    CHECK_RC(cio_loop_set_executor_size(NULL, 4), -EINVAL);
    CHECK_RC(cio_loop_shutdown_default_executor(NULL), -EINVAL);
    CHECK_RC(cio_tsfuture_cancel(NULL), -EINVAL);
    CHECK_RC(cio_tsfuture_done(NULL), -EINVAL);
    CHECK_RC(cio_tsfuture_free(NULL), 0);
}

static const struct test_case cases[] = {
    TEST(t_executor_results_and_errors),
    TEST(t_cancel_to_thread),
    TEST(t_pool_size_and_shutdown),
    TEST(t_run_coroutine_threadsafe),
    TEST(t_loop_per_thread),
    TEST(t_bad_arguments),
    TEST(t_executor_messages_and_queued_cancel),
    TEST(t_tsfuture_message),
    TEST(t_user_executor),
    TEST(t_shutdown_default_executor_timeout),
};

int main(int argc, char **argv)
{
    return run_tests(argc, argv, cases, NCASES(cases));
}
