/* debug_mode: asyncio's debug mode (seed 001: "By default asyncio runs in
 * production mode.  In order to ease the development asyncio has a debug
 * mode."), and what it reports.
 *
 *     import asyncio, logging, threading, time
 *     logging.basicConfig(level=logging.DEBUG)
 *
 *     async def blocker():
 *         time.sleep(0.2)            # a blocking call on the loop: a slow step
 *
 *     async def deep(done):
 *         buf = bytearray(24 * 1024)  # (C: a big local array on the task's stack)
 *         await done.wait()
 *
 *     async def failing():
 *         raise OSError("disk on fire")
 *
 *     async def main():
 *         loop = asyncio.get_running_loop()
 *         loop.slow_callback_duration = 0.05
 *         await asyncio.create_task(blocker(), name="blocker")
 *
 *         done = asyncio.Event()
 *         sleeper = asyncio.create_task(asyncio.sleep(10), name="sleeper")
 *         d = asyncio.create_task(deep(done), name="deep")
 *         await asyncio.sleep(0)
 *         for t in asyncio.all_tasks():
 *             t.print_stack()
 *
 *         def from_thread():
 *             try:
 *                 loop.call_soon(done.set)     # RuntimeError in debug mode
 *             except RuntimeError as e:
 *                 print(e)
 *             loop.call_soon_threadsafe(done.set)
 *         threading.Thread(target=from_thread).start()
 *         await d
 *
 *         sleeper.cancel()
 *         f = asyncio.create_task(failing())
 *         await asyncio.sleep(0)
 *         del f                           # "Task exception was never retrieved"
 *
 *     asyncio.run(main(), debug=True)
 *
 * The C program goes through the same steps with a Runner whose debug
 * option is on (cio_runner_opts_t.debug; CIO_DEBUG=1 in the environment
 * does the same for every new loop), and a log handler that prints the
 * library's messages on stdout, so they appear in order with the program's
 * own lines:
 *   1. a task that blocks the loop for 0.2 s is reported as slow, with its
 *      name and creation site (slow-callback duration set to 0.05 s);
 *   2. cio_loop_print_tasks lists the tasks that are not done: name,
 *      creation site, state, cancel requests, stack use, creator's stack;
 *   3. cio_task_stack_high_water tells how much of its 64 KiB stack a task
 *      used (for sizing stacks: cio_task_opts_t.stack_size);
 *   4. a thread that calls cio_call_soon on the loop gets CIO_EWRONGTHREAD
 *      and an ERROR line; cio_call_soon_threadsafe is the right call;
 *   5. a task whose error nobody retrieved is reported when its last
 *      reference goes (this one in any mode, not only in debug mode).
 * It checks each of those and exits 0 when all of them happened.
 * Expected: ~0.2 s.
 */
#include <cio.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static double perf_counter(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------- the log */

static int nslow, nerrors, nunretrieved; /* what the log said, for the checks */

/* logging.basicConfig(): every library message as a line on stdout. */
static void print_log(int level, const char *message, void *ud)
{
    const char *name = level >= CIO_LOG_ERROR ? "ERROR" : level >= CIO_LOG_WARNING ? "WARNING" : "INFO";
    printf("[cio %s] %s\n", name, message);
    if (strstr(message, "Executing Task 'blocker'")) nslow++;
    if (level >= CIO_LOG_ERROR && strstr(message, "non-thread-safe")) nerrors++;
    if (strstr(message, "never retrieved")) nunretrieved++;
}

/* --------------------------------------------------------------- tasks */

static int blocker(void *arg, void **result)
{
    struct timespec t = {0, 200 * 1000 * 1000};
    nanosleep(&t, NULL); /* time.sleep(0.2): the whole loop stands still */
    return 0;
}

static int sleeper(void *arg, void **result)
{
    return cio_sleep(10); /* -ECANCELED when main cancels it */
}

static int deep(void *arg, void **result)
{
    volatile char buf[24 * 1024]; /* 24 KiB of the task's 64 KiB stack */
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (char)i; /* volatile: really written */
    return cio_event_wait(arg);
}

static int failing(void *arg, void **result)
{
    return cio_fail(-EIO, "disk on fire"); /* raise OSError("disk on fire") */
}

/* ------------------------------------------------ the thread's attempt */

struct from_thread {
    cio_loop_t *loop;
    cio_event_t *done;
    int call_soon_rc; /* what cio_call_soon said from the wrong thread */
    int threadsafe_rc;
};

static int set_event(void *arg)
{
    return cio_event_set(arg);
}

static void *thread_main(void *arg)
{
    struct from_thread *ft = arg;
    ft->call_soon_rc = cio_call_soon(ft->loop, set_event, ft->done, NULL); /* wrong: not thread-safe */
    ft->threadsafe_rc = cio_call_soon_threadsafe(ft->loop, set_event, ft->done);
    return NULL;
}

/* ---------------------------------------------------------------- main */

static int amain(void *arg, void **result)
{
    cio_loop_t *loop;
    int rc = cio_get_running_loop(&loop);
    if (rc < 0) return rc;
    printf("debug mode: %d\n", cio_loop_get_debug(loop));
    cio_loop_set_slow_callback_duration(loop, 0.05); /* default 0.1 s */

    /* 1. a slow step */
    puts("-- 1. a task that blocks the loop");
    cio_task_t *t = cio_create_task_named(blocker, NULL, "blocker");
    if (!t) return -ENOMEM;
    rc = cio_await(t, NULL);
    cio_unref(t);
    if (rc < 0) return rc;

    /* 2. the task dump */
    puts("-- 2. the tasks that are not done");
    static cio_event_t done = CIO_EVENT_INIT;
    cio_task_t *s = cio_create_task_named(sleeper, NULL, "sleeper");
    cio_task_t *d = cio_create_task_named(deep, &done, "deep");
    if (!s || !d) rc = -ENOMEM;
    if (rc == 0) rc = cio_yield(); /* let them start and suspend */
    if (rc == 0) {
        fflush(stdout);
        int n = cio_loop_print_tasks(loop, stdout);
        printf("%d tasks not done\n", n);
    }

    /* 3. how much stack the deep task used (still running: measured now) */
    puts("-- 3. stack high-water mark");
    size_t size = 0;
    ssize_t used = d ? cio_task_stack_high_water(d, &size) : -ENOMEM;
    if (used >= 0) printf("task 'deep' used %zd of its %zu bytes of stack\n", used, size);
    else if (rc == 0) rc = (int)used;

    /* 4. a call from another thread */
    puts("-- 4. cio_call_soon from another thread");
    struct from_thread ft = {loop, &done, 0, 0};
    pthread_t th;
    int err = rc == 0 ? pthread_create(&th, NULL, thread_main, &ft) : 0;
    if (err) rc = -err;
    if (rc == 0) {
        rc = cio_event_wait(&done); /* set by the thread-safe call */
        pthread_join(th, NULL);
        printf("from the thread: cio_call_soon -> %s, cio_call_soon_threadsafe -> %s\n",
               cio_err_name(ft.call_soon_rc), cio_err_name(ft.threadsafe_rc));
    }
    if (rc == 0) rc = cio_await(d, NULL); /* deep ends once the event is set */

    /* cancel the sleeper and collect it */
    if (s) {
        cio_task_cancel(s, NULL);
        int src = cio_await(s, NULL);
        printf("sleeper: %s\n", cio_err_name(src));
        if (src != -ECANCELED && rc == 0) rc = src < 0 ? src : -EPROTO;
    }
    cio_unref(s);
    cio_unref(d);
    if (rc < 0) return rc;

    /* 5. an error nobody looked at */
    puts("-- 5. a task's error never retrieved");
    cio_task_t *f = cio_create_task_named(failing, NULL, "failing");
    if (!f) return -ENOMEM;
    rc = cio_sleep(0.01); /* it runs and fails meanwhile */
    cio_unref(f);         /* the last reference: the report comes now */
    if (rc < 0) return rc;

    int ok = nslow == 1 && ft.call_soon_rc == CIO_EWRONGTHREAD && nerrors == 1 && ft.threadsafe_rc == 0 &&
             nunretrieved == 1;
    printf("slow-step reports %d, wrong-thread errors %d, unretrieved errors %d: %s\n", nslow, nerrors, nunretrieved,
           ok ? "as expected" : "UNEXPECTED");
    return ok ? 0 : -EPROTO;
}

int main(void)
{
    cio_set_log_handler(print_log, NULL);
    cio_runner_opts_t opts = {.debug = 1}; /* asyncio.run(main(), debug=True) */
    cio_runner_t *runner;
    double start = perf_counter();
    int rc = cio_runner_new(&opts, &runner);
    if (rc == 0) {
        rc = cio_runner_run(runner, amain, NULL, NULL);
        int frc = cio_runner_free(runner);
        if (rc == 0) rc = frc;
    }
    if (rc < 0) {
        fprintf(stderr, "debug_mode: %s\n", cio_strerror(rc));
        return 1;
    }
    printf("elapsed: %.2f s\n", perf_counter() - start);
    return 0;
}
