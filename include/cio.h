/** cio: Python's asyncio, as a C11 library.
 *
 * One event loop per thread, stackful coroutines, futures, tasks, timers,
 * cancellation, a thread pool and cross-thread scheduling.  Conventions:
 *   - A function that can fail returns int: >= 0 on success, a negative code
 *     on failure: -errno, or a CIO_E* constant (negative already: compare
 *     with rc == CIO_EQUEUEFULL); cio_strerror() names it.
 *   - Futures, tasks and handles are reference-counted: a function that hands
 *     one out gives the caller a reference, released with cio_unref().
 *   - Nothing here is thread-safe unless its comment says so.
 *
 * @file
 */
#ifndef CIO_H
#define CIO_H

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(CIO_BUILDING) && defined(__GNUC__)
#define CIO_EXTERN __attribute__((visibility("default")))
#else
#define CIO_EXTERN
#endif

/* ----------------------------------------------------------------- version */
/** @defgroup version Version
 * @{ */

/** @name Version of this header
 * @{ */
/** The version of this header (semantic versioning); cio_version() gives the
 * library's as a string. */
#define CIO_VERSION_MAJOR 0
#define CIO_VERSION_MINOR 1
#define CIO_VERSION_PATCH 0
#define CIO_VERSION_HEX ((CIO_VERSION_MAJOR << 16) | (CIO_VERSION_MINOR << 8) | CIO_VERSION_PATCH)
/** @} */

/** The library's version as "MAJOR.MINOR.PATCH". */
CIO_EXTERN const char *cio_version(void);
/** @} */

/* ------------------------------------------------------------------ errors */
/** @defgroup errors Errors
 * @{ */

/** The library's own error codes (asyncio's exceptions and RuntimeErrors),
 * negative and far from any errno value.  asyncio's CancelledError is
 * -ECANCELED and TimeoutError is -ETIMEDOUT. */
#define CIO_ERRNO_MAP(X)                                                                \
    X(INVALSTATE, 4001, "invalid state for this operation (asyncio InvalidStateError)") \
    X(NOLOOP, 4002, "no running event loop")                                           \
    X(LOOPRUNNING, 4003, "an event loop is already running in this thread")            \
    X(LOOPCLOSED, 4004, "event loop is closed")                                        \
    X(NOTASK, 4005, "not called from inside a task")                                   \
    X(WRONGLOOP, 4006, "object belongs to another event loop")                         \
    X(STOPPED, 4007, "event loop stopped before the future completed")                 \
    X(RUNNERCLOSED, 4008, "runner is closed")                                          \
    X(QUEUEEMPTY, 4009, "queue is empty")                                              \
    X(QUEUEFULL, 4010, "queue is full")                                                \
    X(QUEUESHUTDOWN, 4011, "queue is shut down")                                       \
    X(INCOMPLETE, 4012, "incomplete read")                                             \
    X(LIMITOVERRUN, 4013, "separator not found within the limit")                      \
    X(BROKENBARRIER, 4014, "barrier is broken")                                        \
    X(INTERRUPTED, 4015, "interrupted (KeyboardInterrupt)")                            \
    X(SELFAWAIT, 4016, "a task cannot await itself")                                  \
    X(TASKGROUP, 4017, "one or more tasks of the group failed (see cio_taskgroup_error)") \
    X(STOPITERATION, 4018, "generator is exhausted (StopAsyncIteration)")              \
    X(GENEXIT, 4019, "generator is being closed (GeneratorExit)")                     \
    X(CLOSED, 4020, "stream, transport or server is closed")                          \
    X(NONAME, 4021, "host or service not known (getaddrinfo)")                         \
    X(DNSAGAIN, 4022, "temporary failure in name resolution")                          \
    X(DNSFAIL, 4023, "non-recoverable failure in name resolution")                     \
    X(TLS, 4024, "TLS failure (handshake or protocol; see cio_tls_last_error)")        \
    X(TLSVERIFY, 4025, "TLS peer certificate verification failed")                    \
    X(WRONGTHREAD, 4026, "non-thread-safe call from a thread that does not run the loop") \
    X(CHANCLOSED, 4040, "channel is closed")                                            \
    X(BODYSIZE, 4101, "HTTP body larger than the allowed maximum")                    \
    X(REDIRECTS, 4102, "too many HTTP redirects")                                       \
    X(HTTP, 4103, "HTTP transfer failed (see the task's error message)")

/** The library's own error codes, `CIO_E<NAME> = -<num>`, from the table above. */
enum {
#define CIO__ERR_ENUM(name, num, text) CIO_E##name = -(num),
    CIO_ERRNO_MAP(CIO__ERR_ENUM)
#undef CIO__ERR_ENUM
};

/** A readable message for any code this library returns (errno or CIO_E*). */
CIO_EXTERN const char *cio_strerror(int err);
/** The code's symbolic name ("ECANCELED", "CIO_EINVALSTATE", "0" for 0). */
CIO_EXTERN const char *cio_err_name(int err);
/** @} */

/* ------------------------------------------------------------- allocation */
/** @defgroup allocation Allocation
 * @{ */

/** Every allocation of the library goes through these three functions.  They
 * must be thread-safe (the thread pool and cross-thread calls allocate).  Set
 * before the first loop is created; NULL restores malloc/realloc/free. */
typedef struct cio_allocator_s {
    void *(*malloc)(void *ud, size_t size);             /**< as malloc(3), size > 0 */
    void *(*realloc)(void *ud, void *ptr, size_t size); /**< as realloc(3) */
    void (*free)(void *ud, void *ptr);                  /**< as free(3) */
    void *ud;                                           /**< passed to each of them */
} cio_allocator_t;

/** Returns 0, or -EINVAL if some but not all functions are given. */
CIO_EXTERN int cio_set_allocator(const cio_allocator_t *a);
/** @} */

/* --------------------------------------------------------- objects, types */
/** @defgroup objects Objects and types
 * @{ */

/** An event loop: one per thread, single-threaded (DESIGN.md point 3). */
typedef struct cio_loop_s cio_loop_t;
/** A future: pending, then done with a result, an error or cancelled. */
typedef struct cio_future_s cio_future_t;
/** A task is a future that runs a coroutine: every cio_future_* call accepts a
 * task, exactly as asyncio's Task is a Future. */
typedef struct cio_future_s cio_task_t;
/** A scheduled callback (call_soon, call_later, call_at). */
typedef struct cio_handle_s cio_handle_t;

/** A coroutine: an ordinary function that runs on its task's own stack.  The
 * return value is the outcome (0 or a negative code; -ECANCELED ends the task
 * cancelled), *result its value (NULL by default).  The same signature is used
 * for blocking functions run in the thread pool. */
typedef int cio_coro_fn(void *arg, void **result);

/** A callback run by the loop.  A negative return goes to the loop's exception
 * handler, and the loop goes on. */
typedef int cio_callback_fn(void *arg);

/** Take one more reference on a future, task or handle; returns obj. */
CIO_EXTERN void *cio_ref(void *obj);
/** Drop one reference; the last one frees the object.  NULL is ignored.
 * Returns 0, or -EINVAL for a pointer that is not a live cio object (checked
 * by magic number; more unrefs than refs are caught this way until the
 * memory is reused). */
CIO_EXTERN int cio_unref(void *obj);
/** @} */

/* ----------------------------------------------------------------- the loop */
/** @defgroup loop The event loop
 * @{ */

/** Create a loop.  *out gets it; -ENOMEM, or -errno from epoll/eventfd. */
CIO_EXTERN int cio_loop_new(cio_loop_t **out);
/** Close the loop: drop pending callbacks and timers, shut the thread pool
 * down (waiting for running jobs), release stacks and fds.  Idempotent.
 * CIO_ELOOPRUNNING while it runs; -EBUSY while a task is still pending or a
 * future, task or handle of the loop is still referenced by the user. */
CIO_EXTERN int cio_loop_close(cio_loop_t *loop);
/** Close (if needed) and free the loop.  Same errors as cio_loop_close; on
 * error nothing is freed. */
CIO_EXTERN int cio_loop_free(cio_loop_t *loop);

/** Run until cio_loop_stop().  A stop requested before the call gives exactly
 * one iteration.  CIO_ELOOPRUNNING if this or another loop runs in this
 * thread, CIO_ELOOPCLOSED if closed. */
CIO_EXTERN int cio_loop_run_forever(cio_loop_t *loop);
/** Run until fut is done; returns its outcome and *result its value.  Also
 * CIO_ESTOPPED when the loop was stopped first. */
CIO_EXTERN int cio_loop_run_until_complete(cio_loop_t *loop, cio_future_t *fut, void **result);
/** Ask the loop to return after the current batch of callbacks. */
CIO_EXTERN int cio_loop_stop(cio_loop_t *loop);
/** asyncio's SystemExit / KeyboardInterrupt raised by a callback: end the
 * running loop with an error.  Called from a callback (or a task) of loop,
 * in its thread: once the caller returns (or suspends) nothing more of the
 * current batch runs, and cio_loop_run_forever returns err (so do
 * cio_loop_run_until_complete, cio_runner_run and cio_run, which then shut
 * down as usual).  The exception handler is not called.  The loop stays
 * usable: the rest of the batch (due timers included) runs first in the next
 * run.  0; -EINVAL (bad loop, err >= 0); CIO_EINVALSTATE if loop is not
 * running in this thread.  A second call before the loop returns keeps the
 * first err. */
CIO_EXTERN int cio_loop_stop_with_error(cio_loop_t *loop, int err);
/** @{ */
/** 1 or 0 (negative for a bad argument). */
CIO_EXTERN int cio_loop_is_running(cio_loop_t *loop);
CIO_EXTERN int cio_loop_is_closed(cio_loop_t *loop);
/** @} */
/** The loop's monotonic clock in seconds (CLOCK_MONOTONIC). */
CIO_EXTERN double cio_loop_time(cio_loop_t *loop);

/** Schedule fn(arg) for the next iteration, FIFO.  If handle is not NULL the
 * caller gets a reference to the handle (cio_unref() it).  -EINVAL, -ENOMEM,
 * CIO_ELOOPCLOSED.  On failure fn never runs. */
CIO_EXTERN int cio_call_soon(cio_loop_t *loop, cio_callback_fn *fn, void *arg, cio_handle_t **handle);
/** Schedule fn(arg) at cio_loop_time() + delay, as asyncio's call_later.  A
 * delay <= 0 is due at once, still after what is already ready, and ordered
 * among the due timers by its (past) deadline: call_later(-5) runs before an
 * earlier call_later(0).  NaN or infinite delay: -EINVAL. */
CIO_EXTERN int cio_call_later(cio_loop_t *loop, double delay, cio_callback_fn *fn, void *arg, cio_handle_t **handle);
/** Schedule fn(arg) at an absolute cio_loop_time().  Equal deadlines run in
 * the order they were scheduled; it never runs before cio_loop_time() >= when
 * (cio_handle_when returns when exactly). */
CIO_EXTERN int cio_call_at(cio_loop_t *loop, double when, cio_callback_fn *fn, void *arg, cio_handle_t **handle);
/** Thread-safe: schedule fn(arg) from any thread, waking the loop if it sleeps.
 * One FIFO with cio_call_soon, as asyncio's: a post runs before whatever the
 * loop's thread schedules with cio_call_soon after the post returned (and a
 * post from the loop's own running thread is a call_soon); task steps and
 * done callbacks the loop schedules itself meanwhile may run first.  No handle is
 * returned (cio_call_soon_threadsafe_handle returns one).  -EINVAL, -ENOMEM,
 * CIO_ELOOPCLOSED on a closed loop.
 *
 * @code{.c}
 * #define _POSIX_C_SOURCE 200809L
 * #include <cio.h>
 * #include <errno.h>
 * #include <pthread.h>
 * #include <stdio.h>
 *
 * static cio_event_t done = CIO_EVENT_INIT;
 *
 * static int on_loop(void *arg)            // runs in the loop's thread
 * {
 *     printf("from the worker: %s\n", (const char *)arg);
 *     return cio_event_set(&done);
 * }
 *
 * static void *worker(void *loop)          // another thread: no other cio call
 * {
 *     cio_call_soon_threadsafe(loop, on_loop, "hello");
 *     return NULL;
 * }
 *
 * static int amain(void *arg, void **result)
 * {
 *     cio_loop_t *loop;
 *     pthread_t th;
 *     cio_get_running_loop(&loop);
 *     if (pthread_create(&th, NULL, worker, loop) != 0)
 *         return -EAGAIN;
 *     int rc = cio_event_wait(&done);      // the loop goes on while we wait
 *     pthread_join(th, NULL);              // returns at once: the worker is done
 *     return rc;
 * }
 *
 * int main(void) { return cio_run(amain, NULL, NULL) < 0; }
 * @endcode */
CIO_EXTERN int cio_call_soon_threadsafe(cio_loop_t *loop, cio_callback_fn *fn, void *arg);
/** cio_call_soon_threadsafe, and *handle gets a reference to its handle, as
 * asyncio's call_soon_threadsafe returns one: the posting thread may
 * cio_handle_cancel it (fn then never runs if it has not started),
 * cio_handle_cancelled it and must cio_unref it; no other call on it from a
 * thread that does not run the loop.  The handle may outlive the loop.  On
 * failure *handle is NULL and fn never runs. */
CIO_EXTERN int cio_call_soon_threadsafe_handle(cio_loop_t *loop, cio_callback_fn *fn, void *arg,
                                               cio_handle_t **handle);

/** Cancel a handle that has not run: it will not run.  0, -EINVAL. */
CIO_EXTERN int cio_handle_cancel(cio_handle_t *h);
/** 1 once cio_handle_cancel was called (even after it ran, as asyncio), else 0. */
CIO_EXTERN int cio_handle_cancelled(cio_handle_t *h);
/** A timer handle's deadline on cio_loop_time()'s clock, exactly the when
 * given to cio_call_at (cio_call_later: cio_loop_time() + delay); -1 for a
 * call_soon handle or a bad argument. */
CIO_EXTERN double cio_handle_when(cio_handle_t *h);

/** The error-handling context, as asyncio's call_exception_handler dict. */
typedef struct cio_exc_context_s {
    const char *message;       /**< what happened */
    int error;                 /**< the error code, 0 if none */
    const char *error_message; /**< the error's own message, or NULL */
    cio_future_t *future;      /**< the future or task concerned, or NULL */
    cio_handle_t *handle;      /**< the callback's handle, or NULL */
} cio_exc_context_t;

/** An exception handler: called with the loop, the context of the error and
 * the ud given when it was set. */
typedef void cio_exception_handler_fn(cio_loop_t *loop, const cio_exc_context_t *ctx, void *ud);
/** Set the loop's handler; NULL restores the default (a line on stderr). */
CIO_EXTERN int cio_loop_set_exception_handler(cio_loop_t *loop, cio_exception_handler_fn *fn, void *ud);
/** The current handler (NULL for the default); *ud gets its data if ud. */
CIO_EXTERN cio_exception_handler_fn *cio_loop_get_exception_handler(cio_loop_t *loop, void **ud);
/** The default handler: writes the context to stderr. */
CIO_EXTERN void cio_loop_default_exception_handler(cio_loop_t *loop, const cio_exc_context_t *ctx);
/** Call the loop's handler (or the default) with ctx. */
CIO_EXTERN int cio_loop_call_exception_handler(cio_loop_t *loop, const cio_exc_context_t *ctx);

/** @{ */
/** Debug mode (asyncio's): set by this call, by the Runner's debug option, or
 * for new loops by CIO_DEBUG=1 in the environment.  It turns on:
 *   - slow callbacks: a callback or task step that holds the loop longer than
 *     the slow-callback duration (default 0.1 s) is logged (WARNING) with the
 *     task's name and creation site;
 *   - creation sites: each task remembers file:line (through the macros
 *     below) and, where glibc's backtrace() is available, its creator's
 *     stack, shown in the reports and by cio_loop_print_tasks;
 *   - thread checks: cio_call_soon/later/at, task creation, future
 *     completion and task cancel called from a thread that is not running
 *     the loop return CIO_EWRONGTHREAD and log an ERROR;
 *   - a task's step is timed on its own (no direct hand-over between tasks).
 * Independent of debug mode, an error never retrieved from a future or task
 * is reported to the exception handler when it is freed.
 *
 * @code{.c}
 * static int amain(void *arg, void **result)
 * {
 *     cio_loop_t *loop;
 *     int rc = cio_get_running_loop(&loop);
 *     if (rc == 0)
 *         rc = cio_loop_set_debug(loop, 1);                      // or CIO_DEBUG=1
 *     if (rc == 0)
 *         rc = cio_loop_set_slow_callback_duration(loop, 0.05);  // 50 ms is slow
 *     if (rc == 0)
 *         cio_loop_print_tasks(loop, stderr);                    // with creation sites
 *     return rc;
 * }
 * @endcode */
CIO_EXTERN int cio_loop_set_debug(cio_loop_t *loop, int enabled);
CIO_EXTERN int cio_loop_get_debug(cio_loop_t *loop);
/** @} */
/** @{ */
/** Seconds (> 0) after which debug mode logs a callback as slow. */
CIO_EXTERN int cio_loop_set_slow_callback_duration(cio_loop_t *loop, double seconds);
CIO_EXTERN double cio_loop_get_slow_callback_duration(cio_loop_t *loop);
/** @} */

/** @{ */
/** Logging: the library's messages (debug-mode reports and the default
 * exception handler) go to one process-wide handler, by default a line on
 * stderr for WARNING and above. */
enum { CIO_LOG_DEBUG = 10, CIO_LOG_INFO = 20, CIO_LOG_WARNING = 30, CIO_LOG_ERROR = 40 };
typedef void cio_log_fn(int level, const char *message, void *ud);
/** @} */
/** NULL restores the default.  Thread-safe. */
CIO_EXTERN void cio_set_log_handler(cio_log_fn *fn, void *ud);
/** Messages below this level are dropped (default CIO_LOG_WARNING). */
CIO_EXTERN void cio_set_log_level(int level);
/** Format a message (printf) and hand it to the handler, unless level is
 * below the one set by cio_set_log_level.  Thread-safe. */
CIO_EXTERN void cio_log(int level, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/** Write every not-done task of loop to f (NULL: the log at INFO): name, state
 * (created, running, suspended and on what), and in debug mode its creation
 * site.  Returns how many tasks there are.  asyncio's Task.print_stack,
 * for all tasks at once. */
CIO_EXTERN int cio_loop_print_tasks(cio_loop_t *loop, FILE *f);
/** Task.get_stack(), beyond asyncio: the task's real C stack, innermost
 * first, as return addresses into frames (up to cap): for a suspended task
 * read from the context saved on its stack (the call that suspended it,
 * then the frame-pointer chain: code built without frame pointers ends the
 * walk early), for the calling task its live stack.  Symbolize them with
 * backtrace_symbols or addr2line, or print them with cio_task_print_stack;
 * cio_loop_print_tasks shows them for every suspended task.  Returns the
 * count: 0 for a task done or not started; -EINVAL; -ENOTSUP without the
 * assembly context switch (x86-64, AArch64). */
CIO_EXTERN int cio_task_get_stack(cio_task_t *t, void **frames, size_t cap);
/** Task.print_stack(): "Stack for task 'name' (innermost first):" and one
 * symbolized frame a line (up to 64) to out.  The count, or
 * cio_task_get_stack's error; -EINVAL for a NULL out. */
CIO_EXTERN int cio_task_print_stack(cio_task_t *t, FILE *out);
/** Debug mode: the most stack the task has used so far (its stack is filled
 * with a pattern when it starts; measured now for a live task, at its end
 * for a finished one), for sizing stacks; *size (may be NULL) gets the
 * stack's size.  0 before its first step; -ENOTSUP for a task created
 * outside debug mode; -EINVAL. */
CIO_EXTERN ssize_t cio_task_stack_high_water(cio_task_t *t, size_t *size);
/** Default stack size of the loop's tasks, rounded up to pages; at least
 * 16 KiB.  Default 64 KiB. */
CIO_EXTERN int cio_loop_set_stack_size(cio_loop_t *loop, size_t size);

/** The loop running in this thread: 0 and *loop, or CIO_ENOLOOP. */
CIO_EXTERN int cio_get_running_loop(cio_loop_t **loop);
/** The running loop, else the loop set for this thread, else CIO_ENOLOOP. */
CIO_EXTERN int cio_get_event_loop(cio_loop_t **loop);
/** Set this thread's loop (NULL unsets); the caller keeps ownership. */
CIO_EXTERN int cio_set_event_loop(cio_loop_t *loop);
/** @} */

/* --------------------------------------------------------------- futures */
/** @defgroup futures Futures
 * @{ */

/** A new pending future on loop (cio_create_future: the running loop). */
CIO_EXTERN int cio_loop_create_future(cio_loop_t *loop, cio_future_t **out);
/** NULL when there is no running loop or no memory.
 *
 * A future completed by a callback, awaited by a task:
 * @code{.c}
 * #include <cio.h>
 * #include <errno.h>
 * #include <stdio.h>
 *
 * static int complete(void *f)             // a timer callback, on the loop
 * {
 *     return cio_future_set_result(f, "ready");
 * }
 *
 * static int amain(void *arg, void **result)
 * {
 *     cio_loop_t *loop;
 *     cio_get_running_loop(&loop);
 *     cio_future_t *f = cio_create_future();
 *     if (!f)
 *         return -ENOMEM;
 *     void *value = NULL;
 *     int rc = cio_call_later(loop, 0.01, complete, f, NULL);
 *     if (rc == 0)
 *         rc = cio_await(f, &value);       // suspends until the callback ran
 *     cio_unref(f);
 *     if (rc == 0)
 *         puts(value);
 *     return rc;
 * }
 *
 * int main(void) { return cio_run(amain, NULL, NULL) < 0; }
 * @endcode */
CIO_EXTERN cio_future_t *cio_create_future(void);

/** Mark done with a value.  CIO_EINVALSTATE if already done; -EINVAL on a
 * task (a task's outcome is its function's return). */
CIO_EXTERN int cio_future_set_result(cio_future_t *f, void *value);
/** Mark done with an error (err < 0, not -ECANCELED: use cancel) and an
 * optional message, copied.  CIO_EINVALSTATE if already done. */
CIO_EXTERN int cio_future_set_exception(cio_future_t *f, int err, const char *msg);
/** Cancel a pending future (or request a task's cancellation, see
 * cio_task_cancel).  1 if it was pending, else 0.  msg is copied. */
CIO_EXTERN int cio_future_cancel(cio_future_t *f, const char *msg);
/** @{ */
/** 1/0: done (result, error or cancelled); cancelled. */
CIO_EXTERN int cio_future_done(cio_future_t *f);
CIO_EXTERN int cio_future_cancelled(cio_future_t *f);
/** @} */
/** The outcome: 0 and *value, the error code, -ECANCELED if cancelled, or
 * CIO_EINVALSTATE while pending.  Marks an error as retrieved. */
CIO_EXTERN int cio_future_result(cio_future_t *f, void **value);
/** The error code (0 if it has a result); -ECANCELED if cancelled;
 * CIO_EINVALSTATE while pending. */
CIO_EXTERN int cio_future_exception(cio_future_t *f);
/** The message given with the error or the cancel (NULL if none).  Valid
 * while the caller holds a reference. */
CIO_EXTERN const char *cio_future_message(cio_future_t *f);
/** The loop the future or task belongs to (NULL for a bad argument). */
CIO_EXTERN cio_loop_t *cio_future_get_loop(cio_future_t *f);

/** A done callback: the future and the arg given; a negative return goes to
 * the exception handler. */
typedef int cio_done_fn(cio_future_t *f, void *arg);
/** fn(f, arg) is scheduled with call_soon when f is done, in registration
 * order (at once through call_soon if f is already done).  -ENOMEM. */
CIO_EXTERN int cio_future_add_done_callback(cio_future_t *f, cio_done_fn *fn, void *arg);
/** Remove every registration of (fn, arg) not yet scheduled; returns how many. */
CIO_EXTERN int cio_future_remove_done_callback(cio_future_t *f, cio_done_fn *fn, void *arg);

/** Await a future or task from inside a task: suspends until it is done,
 * returns its outcome and *result its value.  Awaiting a done future returns
 * at once.  Cancelling the awaiting task cancels the awaited future.
 * CIO_ENOTASK outside a task, CIO_EWRONGLOOP for another loop's future,
 * CIO_ESELFAWAIT for the task itself.
 *
 * @code{.c}
 * int fetch(void *arg, void **result);     // a coroutine of yours
 *
 * static int caller(void *arg, void **result)
 * {
 *     cio_task_t *t = cio_create_task(fetch, arg);
 *     if (!t)
 *         return -ENOMEM;
 *     int rc = cio_await(t, result);       // t's outcome; *result gets its value
 *     cio_unref(t);                        // the caller's reference
 *     return rc;                           // -ECANCELED if this task was cancelled
 * }
 * @endcode */
CIO_EXTERN int cio_await(cio_future_t *aw, void **result);
/** @} */

/* ------------------------------------------------------------------ tasks */
/** @defgroup tasks Tasks
 * @{ */

/** Options of cio_loop_create_task and cio_taskgroup_create_task_ex; zero
 * means default. */
typedef struct cio_task_opts_s {
    const char *name;  /**< copied; NULL gives "Task-N" */
    size_t stack_size; /**< 0: the loop's default */
    int eager;         /**< run the first step now, inside the create call
                          (asyncio's eager_task_factory); only inside the
                          running loop (a task or a callback) */
} cio_task_opts_t;

/** Create a task running fn(arg) on loop; its first step runs on a later
 * iteration.  The loop keeps the task alive until it is done; *out gets the
 * caller's reference.  -EINVAL, -ENOMEM, CIO_ELOOPCLOSED. */
CIO_EXTERN int cio_loop_create_task(cio_loop_t *loop, cio_coro_fn *fn, void *arg, const cio_task_opts_t *opts,
                                    cio_task_t **out);
/** A task factory (loop.set_task_factory): makes the task for every
 * cio_loop_create_task / cio_create_task / task group child / main task of
 * a runner of loop, with cio_task_new (typically after changing the
 * options), and gives the caller's reference in *out.  0 or a negative code,
 * which the create call returns. */
typedef int cio_task_factory_fn(cio_loop_t *loop, cio_coro_fn *fn, void *arg, const cio_task_opts_t *opts,
                                cio_task_t **out, void *ud);
/** Set the loop's task factory (NULL: none, the default), with ud passed
 * to it.  0, -EINVAL. */
CIO_EXTERN int cio_loop_set_task_factory(cio_loop_t *loop, cio_task_factory_fn *factory, void *ud);
/** The loop's task factory (NULL if none) and, if ud is not NULL, its ud. */
CIO_EXTERN cio_task_factory_fn *cio_loop_get_task_factory(cio_loop_t *loop, void **ud);
/** asyncio's Task(...) constructor, for a task factory: make the task as
 * cio_loop_create_task does, never through the factory.  The creation site
 * is the create call's.  *out (required) gets the reference.  -EINVAL,
 * -ENOMEM, CIO_ELOOPCLOSED, CIO_ENOLOOP (eager outside the running loop). */
CIO_EXTERN int cio_task_new(cio_loop_t *loop, cio_coro_fn *fn, void *arg, const cio_task_opts_t *opts,
                            cio_task_t **out);
/** asyncio.eager_task_factory, loop-wide:
 * `cio_loop_set_task_factory(loop, cio_eager_task_factory, NULL)` makes
 * every task of loop created inside the running loop eager (its first step
 * runs inside the create call); one created from outside starts as usual. */
CIO_EXTERN int cio_eager_task_factory(cio_loop_t *loop, cio_coro_fn *fn, void *arg, const cio_task_opts_t *opts,
                                      cio_task_t **out, void *ud);

/** @{ */
/** The same on the running loop; NULL on failure (no loop, no memory).
 *
 * @code{.c}
 * #include <cio.h>
 * #include <errno.h>
 * #include <stdio.h>
 *
 * struct say { double delay; const char *what; };
 *
 * static int say_after(void *arg, void **result)
 * {
 *     struct say *s = arg;
 *     int rc = cio_sleep(s->delay);        // other tasks run meanwhile
 *     if (rc < 0)
 *         return rc;                       // -ECANCELED: unwind
 *     puts(s->what);
 *     return 0;
 * }
 *
 * static int amain(void *arg, void **result)
 * {
 *     struct say a = {0.02, "hello"}, b = {0.01, "world"};
 *     cio_task_t *t1 = cio_create_task_named(say_after, &a, "hello");
 *     cio_task_t *t2 = cio_create_task(say_after, &b);   // both start next iteration
 *     int rc = t1 && t2 ? 0 : -ENOMEM;
 *     if (rc == 0)
 *         rc = cio_await(t1, NULL);        // "world" is printed first
 *     if (rc == 0)
 *         rc = cio_await(t2, NULL);
 *     cio_unref(t1);                       // NULL is ignored
 *     cio_unref(t2);
 *     return rc;
 * }
 *
 * int main(void) { return cio_run(amain, NULL, NULL) < 0; }
 * @endcode */
CIO_EXTERN cio_task_t *cio_create_task(cio_coro_fn *fn, void *arg);
CIO_EXTERN cio_task_t *cio_create_task_named(cio_coro_fn *fn, void *arg, const char *name);
/** @} */
/** @{ */
/** The same with the creation site, which debug mode records; the macros
 * below pass `__FILE__` and `__LINE__` (define CIO_NO_SITE_MACROS to call the
 * plain functions). */
CIO_EXTERN int cio_loop_create_task_at(cio_loop_t *loop, cio_coro_fn *fn, void *arg, const cio_task_opts_t *opts,
                                       cio_task_t **out, const char *file, int line);
CIO_EXTERN cio_task_t *cio_create_task_named_at(cio_coro_fn *fn, void *arg, const char *name, const char *file,
                                               int line);
#ifndef CIO_NO_SITE_MACROS
#define cio_loop_create_task(loop, fn, arg, opts, out) \
    cio_loop_create_task_at((loop), (fn), (arg), (opts), (out), __FILE__, __LINE__)
#define cio_create_task(fn, arg) cio_create_task_named_at((fn), (arg), NULL, __FILE__, __LINE__)
#define cio_create_task_named(fn, arg, name) cio_create_task_named_at((fn), (arg), (name), __FILE__, __LINE__)
#endif
/** @} */

/** Request cancellation (asyncio Task.cancel): 0 if the task is done, else 1,
 * on every call, counting one more cancel request.  The awaited future is
 * cancelled at once; otherwise -ECANCELED is delivered at the task's next
 * suspension point (or instead of its first step). */
CIO_EXTERN int cio_task_cancel(cio_task_t *t, const char *msg);
/** Outstanding cancel requests (cancel calls minus uncancel calls). */
CIO_EXTERN int cio_task_cancelling(cio_task_t *t);
/** Decrement the count and return it; at 0 a not yet delivered cancel is
 * dropped (3.13). */
CIO_EXTERN int cio_task_uncancel(cio_task_t *t);
/** The name, valid until it is changed or the task freed. */
CIO_EXTERN const char *cio_task_get_name(cio_task_t *t);
/** Task.get_coro(): the function and argument the task was created with,
 * into *fn and *arg (arg may be NULL), before, during and after its run.
 * 0; -EINVAL for a NULL fn or anything but a task. */
CIO_EXTERN int cio_task_get_coro(cio_task_t *t, cio_coro_fn **fn, void **arg);
/** Whether f is a task (asyncio's isinstance(f, Task)): a task and a future
 * share one type.  1 for a task, 0 for a plain future (or a gather's or a
 * shield's future); -EINVAL for NULL or anything that is neither. */
CIO_EXTERN int cio_is_task(cio_future_t *f);
/** Rename the task (name is copied).  0, -EINVAL, -ENOMEM. */
CIO_EXTERN int cio_task_set_name(cio_task_t *t, const char *name);

/** The task running now, or NULL (a borrowed pointer). */
CIO_EXTERN cio_task_t *cio_current_task(void);
/** Up to cap not-done tasks of loop into out (borrowed, valid until the
 * caller next suspends); returns how many there are in all. */
CIO_EXTERN int cio_all_tasks(cio_loop_t *loop, cio_task_t **out, size_t cap);

/** Suspend the current task for at least delay seconds; delay <= 0 yields
 * exactly one iteration.  0, -ECANCELED, -EINVAL (NaN), CIO_ENOTASK.
 *
 * @code{.c}
 * static int ticker(void *arg, void **result)
 * {
 *     for (int i = 0; i < 3; i++) {
 *         int rc = cio_sleep(0.5);         // the loop runs other tasks meanwhile
 *         if (rc < 0)
 *             return rc;                   // -ECANCELED: clean up, then return it
 *         printf("tick %d\n", i);
 *     }
 *     return 0;
 * }
 * @endcode */
CIO_EXTERN int cio_sleep(double delay);
/** cio_sleep(0). */
CIO_EXTERN int cio_yield(void);

/** Record a message for the error the current task (or pool job, see
 * cio_loop_run_in_executor) is about to return:
 * `return cio_fail(-EIO, "reading %s", path);` returns err.  Elsewhere it
 * only returns err. */
CIO_EXTERN int cio_fail(int err, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/** @} */

/* ------------------------------------------------------------ composition */
/** @defgroup composition Composition: gather, wait, timeouts, TaskGroup
 * @{ */

/** @name gather
 * @{ */
/** gather: await every future or task in aws[0..n) from inside a task.
 * results[i] (if results) gets the i-th value, rcs[i] (if rcs) the i-th
 * outcome.  Without CIO_RETURN_EXCEPTIONS the first failure (a child's error,
 * or -ECANCELED for a child cancelled on its own) is returned at once and
 * the other children are not cancelled; with it, every outcome is stored and
 * 0 is returned.  Cancelling the awaiting task cancels every unfinished child
 * and returns -ECANCELED.  n == 0 returns 0 at once; the same task given
 * twice is awaited once.  -EINVAL (NULL array, NULL entry), CIO_EWRONGLOOP,
 * CIO_ENOTASK, -ENOMEM.
 *
 * @code{.c}
 * #include <cio.h>
 * #include <errno.h>
 * #include <stdint.h>
 * #include <stdio.h>
 *
 * static int square(void *arg, void **result)
 * {
 *     intptr_t n = (intptr_t)arg;
 *     int rc = cio_sleep(0.01 * (double)(4 - n));   // the last one ends first
 *     *result = (void *)(n * n);
 *     return rc;
 * }
 *
 * static int amain(void *arg, void **result)
 * {
 *     cio_future_t *tasks[3];
 *     void *values[3];
 *     size_t n = 0;
 *     for (intptr_t i = 1; i <= 3; i++) {
 *         cio_task_t *t = cio_create_task(square, (void *)i);
 *         if (t)
 *             tasks[n++] = t;
 *     }
 *     int rc = n == 3 ? cio_gather(tasks, n, values, NULL, 0) : -ENOMEM;
 *     for (size_t i = 0; i < n; i++)
 *         cio_unref(tasks[i]);
 *     if (rc == 0)                         // values in the order of tasks: 1 4 9
 *         printf("%d %d %d\n", (int)(intptr_t)values[0], (int)(intptr_t)values[1], (int)(intptr_t)values[2]);
 *     return rc;
 * }
 *
 * int main(void) { return cio_run(amain, NULL, NULL) < 0; }
 * @endcode */
#define CIO_RETURN_EXCEPTIONS 1
CIO_EXTERN int cio_gather(cio_future_t *const *aws, size_t n, void **results, int *rcs, int flags);
/** @} */

/** A coroutine call for the convenience forms. */
typedef struct cio_call_s {
    cio_coro_fn *fn; /**< the coroutine */
    void *arg;       /**< its argument */
} cio_call_t;
/** gather over calls: one task per call, created in order, then as
 * cio_gather.  The tasks are released before returning.
 *
 * @code{.c}
 * int fetch(void *url, void **body);       // a coroutine of yours
 *
 * static int fetch_both(void *arg, void **result)
 * {
 *     cio_call_t calls[] = {{fetch, "https://a.example/"}, {fetch, "https://b.example/"}};
 *     void *bodies[2];
 *     int rcs[2];
 *     int rc = cio_gather_calls(calls, 2, bodies, rcs, CIO_RETURN_EXCEPTIONS);
 *     for (int i = 0; rc == 0 && i < 2; i++)   // every outcome is in rcs
 *         printf("%s: %s\n", (const char *)calls[i].arg, rcs[i] == 0 ? "ok" : cio_strerror(rcs[i]));
 *     return rc;
 * }
 * @endcode */
CIO_EXTERN int cio_gather_calls(const cio_call_t *calls, size_t n, void **results, int *rcs, int flags);

/** @{ */
/** The gather as a future (asyncio's _GatheringFuture): *out completes when
 * the gather does; cancelling it cancels the unfinished children.  Its
 * outcome is cio_gather's; cio_gather_results copies the per-child values
 * and outcomes (n entries each) once it is done. */
CIO_EXTERN int cio_gather_start(cio_future_t *const *aws, size_t n, int flags, cio_future_t **out);
CIO_EXTERN int cio_gather_results(cio_future_t *gather, void **results, int *rcs);
/** @} */

/** @{ */
/** wait: from a task, wait until return_when holds or timeout seconds pass
 * (INFINITY: no limit, asyncio's None; <= 0: already expired, so only what
 * is done by the time the task resumes counts).  done and pending (capacity n each,
 * either may be NULL) receive the futures of each kind, in input order, and
 * *ndone / *npending their counts.  Never returns the children's errors and
 * never cancels anything.  0, -ECANCELED (the waiting task was cancelled),
 * -EINVAL (n == 0, NULL array, bad return_when, NaN timeout). */
enum { CIO_FIRST_COMPLETED = 1, CIO_FIRST_EXCEPTION = 2, CIO_ALL_COMPLETED = 3 };
CIO_EXTERN int cio_wait(cio_future_t *const *fs, size_t n, double timeout, int return_when, cio_future_t **done,
                        size_t *ndone, cio_future_t **pending, size_t *npending);
/** @} */

/** wait_for: await f for at most timeout seconds (INFINITY: no limit).  On
 * timeout f is cancelled and waited for until it really ends, then
 * -ETIMEDOUT is returned, unless f swallowed the cancel and produced a value,
 * which is returned.  Cancelling the caller cancels f.
 *
 * @code{.c}
 * #include <cio.h>
 * #include <errno.h>
 * #include <stdio.h>
 *
 * static int slow(void *arg, void **result)
 * {
 *     return cio_sleep(10);
 * }
 *
 * static int amain(void *arg, void **result)
 * {
 *     cio_task_t *t = cio_create_task(slow, NULL);
 *     if (!t)
 *         return -ENOMEM;
 *     int rc = cio_wait_for(t, 0.05, NULL);        // t is cancelled after 50 ms
 *     printf("%s, cancelled: %d\n", cio_err_name(rc), cio_future_cancelled(t));
 *     cio_unref(t);
 *     return rc == -ETIMEDOUT ? 0 : rc;            // prints "ETIMEDOUT, cancelled: 1"
 * }
 *
 * int main(void) { return cio_run(amain, NULL, NULL) < 0; }
 * @endcode */
CIO_EXTERN int cio_wait_for(cio_future_t *f, double timeout, void **result);
/** wait_for over a call, run inline in the caller's task under a timeout
 * scope (asyncio 3.12); timeout <= 0 never calls fn and returns -ETIMEDOUT. */
CIO_EXTERN int cio_wait_for_call(cio_coro_fn *fn, void *arg, double timeout, void **result);

/** shield: await f, but a cancel of the awaiting task does not reach f: the
 * caller gets -ECANCELED while f goes on.  If f itself is cancelled the
 * outcome is -ECANCELED; a done f returns its outcome at once. */
CIO_EXTERN int cio_shield(cio_future_t *f, void **result);
/** shield as asyncio's, an object: *out gets a new outer future that ends as
 * f does (result, error with its message, cancelled), unless it is cancelled
 * first, which leaves f running.  It can be held, awaited, given to
 * gather/wait/as_completed, cancelled and inspected like any future; the
 * caller owns the reference (cio_unref).  An f already done is given back
 * itself (a new reference), as asyncio's.  -EINVAL, -ENOMEM,
 * CIO_ELOOPCLOSED. */
CIO_EXTERN int cio_shield_future(cio_future_t *f, cio_future_t **out);

/** @{ */
/** as_completed: an iterator handing back the futures of fs in completion
 * order, each distinct future once (as asyncio takes their set).  Each
 * cio_as_completed_next returns 1 and *f (borrowed: the caller owns fs), 0
 * once every future was handed back, -ETIMEDOUT for each remaining one after
 * timeout seconds (INFINITY: none; <= 0: already expired; one that ends after the timeout is
 * not handed back) — nothing is cancelled — or -ECANCELED if the waiting
 * task is cancelled. */
typedef struct cio_as_completed_s cio_as_completed_t;
CIO_EXTERN int cio_as_completed_new(cio_future_t *const *fs, size_t n, double timeout, cio_as_completed_t **out);
CIO_EXTERN int cio_as_completed_next(cio_as_completed_t *it, cio_future_t **f);
CIO_EXTERN int cio_as_completed_free(cio_as_completed_t *it);
/** @} */

/** timeout scopes (asyncio.timeout / timeout_at), in the caller's storage:
 *
 * @code{.c}
 * int long_running(void *arg, void **result);  // a coroutine of yours
 *
 * static int bounded(void *arg, void **result)
 * {
 *     cio_timeout_t to;                        // async with asyncio.timeout(10):
 *     int rc = cio_timeout_enter(&to, 10.0);
 *     if (rc == 0) rc = cio_timeout_exit(&to, long_running(arg, NULL));
 *     return rc;                               // -ETIMEDOUT after 10 s
 * }
 * @endcode
 *
 * At the deadline the current task is cancelled; exit turns the -ECANCELED
 * of *this* expiry into -ETIMEDOUT, only when the task's cancel count is back
 * at its value on entry; anything else passes through.  A deadline already
 * past fires at the next suspension; a block that never suspends is never
 * interrupted.  Every enter must be matched by an exit in the same task,
 * innermost first (the task keeps the list of its entered scopes). */
typedef struct cio_timeout_s {
    uint64_t opaque[10]; /**< private */
} cio_timeout_t;
/** delay seconds from now; INFINITY: no deadline.  CIO_ENOTASK,
 * CIO_EINVALSTATE if this scope is already entered, -EINVAL (NaN). */
CIO_EXTERN int cio_timeout_enter(cio_timeout_t *to, double delay);
/** An absolute deadline on cio_loop_time()'s clock. */
CIO_EXTERN int cio_timeout_enter_at(cio_timeout_t *to, double when);
/** Leave the scope; returns rc, or -ETIMEDOUT as described above.
 * CIO_EINVALSTATE if not entered, or from another task. */
CIO_EXTERN int cio_timeout_exit(cio_timeout_t *to, int rc);
/** Move the deadline (INFINITY disables it), from any code on the loop's
 * thread (the task in the scope, another task, a callback), as asyncio's.
 * CIO_EINVALSTATE unless entered and not yet expired. */
CIO_EXTERN int cio_timeout_reschedule(cio_timeout_t *to, double when);
/** The deadline exactly as given to enter_at or reschedule (enter(delay):
 * cio_loop_time() + delay), INFINITY if none; NAN for a zeroed scope never
 * entered (only meaningful once entered). */
CIO_EXTERN double cio_timeout_when(cio_timeout_t *to);
/** 1 once the deadline fired, else 0. */
CIO_EXTERN int cio_timeout_expired(cio_timeout_t *to);

/** TaskGroup.  Made inside a task, which becomes its owner (the body).
 *
 * @code{.c}
 * #include <cio.h>
 * #include <errno.h>
 * #include <stdio.h>
 *
 * static int fetch(void *arg, void **result)
 * {
 *     const char *what = arg;
 *     int rc = cio_sleep(0.01);
 *     if (rc == 0 && what[0] == 'b')
 *         rc = cio_fail(-EIO, "fetching %s", what);
 *     return rc;
 * }
 *
 * static int amain(void *arg, void **result)
 * {
 *     cio_taskgroup_t *tg = cio_taskgroup_new();
 *     if (!tg)
 *         return -ENOMEM;
 *     cio_taskgroup_create_task(tg, fetch, "a");
 *     cio_taskgroup_create_task(tg, fetch, "b");
 *     int rc = cio_taskgroup_wait(tg);     // leaving `async with`
 *     for (int i = 0; i < cio_taskgroup_error_count(tg); i++) {   // inspect errors
 *         int code = 0;
 *         const char *msg = NULL;
 *         cio_taskgroup_error(tg, i, &code, NULL, &msg);
 *         printf("%s: %s\n", cio_err_name(code), msg ? msg : "");  // "EIO: fetching b"
 *     }
 *     cio_taskgroup_free(tg);
 *     return rc == CIO_ETASKGROUP ? 0 : rc;
 * }
 *
 * int main(void) { return cio_run(amain, NULL, NULL) < 0; }
 * @endcode
 *
 * The first child that fails with an error other than -ECANCELED cancels the
 * other children and the owner.  wait returns 0, -ECANCELED (a cancel from
 * outside and no child error), or CIO_ETASKGROUP with every error listed
 * (never a cancellation).  The group restores the owner's cancel count. */
typedef struct cio_taskgroup_s cio_taskgroup_t;
/** NULL outside a task or without memory. */
CIO_EXTERN cio_taskgroup_t *cio_taskgroup_new(void);
/** The new task (borrowed: the group holds it until freed) or NULL; refused
 * once the group is finished or shutting down after a failure. */
CIO_EXTERN cio_task_t *cio_taskgroup_create_task(cio_taskgroup_t *tg, cio_coro_fn *fn, void *arg);
/** The same with options and an error code: CIO_EINVALSTATE when refused. */
CIO_EXTERN int cio_taskgroup_create_task_ex(cio_taskgroup_t *tg, cio_coro_fn *fn, void *arg,
                                            const cio_task_opts_t *opts, cio_task_t **out);
/** Leave the group with the body's own outcome body_rc (an error of the body
 * is listed with the children's, and cancels them). */
CIO_EXTERN int cio_taskgroup_exit(cio_taskgroup_t *tg, int body_rc);
/** cio_taskgroup_exit(tg, 0). */
CIO_EXTERN int cio_taskgroup_wait(cio_taskgroup_t *tg);
/** @{ */
/** The errors after exit: their count, and the i-th (code, the task that
 * failed — the owner for the body's error — and its message or NULL). */
CIO_EXTERN int cio_taskgroup_error_count(cio_taskgroup_t *tg);
CIO_EXTERN int cio_taskgroup_error(cio_taskgroup_t *tg, int i, int *code, cio_task_t **task, const char **message);
/** @} */
/** Free a group that was exited (or never had a task).  -EBUSY otherwise. */
CIO_EXTERN int cio_taskgroup_free(cio_taskgroup_t *tg);
/** @} */

/* -------------------------------------------------------- synchronization */
/** @defgroup sync Synchronization
 *
 * asyncio's Lock, Event, Condition, Semaphore, BoundedSemaphore and Barrier.
 * None is thread-safe: use one from the tasks and callbacks of one loop at a
 * time.  They live in the caller's storage (a global, a struct member, a
 * task's stack) and allocate nothing: a waiting task's record lives on its
 * own stack.  Initialize with the *_INIT macro or the *_init function; no
 * destroy is needed, but an object must outlive its waiters.
 *
 * Common codes: -EINVAL for NULL or an object never initialized (checked by
 * a magic number), CIO_ENOTASK for a wait outside a task, -ECANCELED when
 * the waiting task is cancelled, CIO_EWRONGLOOP when the object has waiters
 * of another loop.  Waiters are served first come, first served, and a
 * newcomer never barges ahead of queued waiters.
 *
 * `async with lock:` becomes
 *
 * @code{.c}
 * static cio_lock_t lock = CIO_LOCK_INIT;
 * static int balance;
 *
 * static int deposit(void *arg, void **result)
 * {
 *     int rc;
 *     if ((rc = cio_lock_acquire(&lock)) < 0) return rc;
 *     int b = balance;
 *     rc = cio_sleep(0.01);                // other tasks run, but not this block
 *     balance = b + *(int *)arg;
 *     cio_lock_release(&lock);
 *     return rc;
 * }
 * @endcode
 * @{ */

/* Internal: the magic numbers that the *_INIT initializers store. */
#define CIO__MAGIC_LOCK_ 0x63696f4c6f636b31ULL    /* "cioLock1" */
#define CIO__MAGIC_EVENT_ 0x63696f4576656e74ULL   /* "cioEvent" */
#define CIO__MAGIC_COND_ 0x63696f436f6e6431ULL    /* "cioCond1" */
#define CIO__MAGIC_SEM_ 0x63696f53656d6131ULL     /* "cioSema1" */
#define CIO__MAGIC_BARRIER_ 0x63696f4261727231ULL /* "cioBarr1" */
#define CIO__MAGIC_QUEUE_ 0x63696f5175657565ULL   /* "cioQueue" */

/** asyncio.Lock. */
typedef struct cio_lock_s {
    uint64_t opaque[6]; /**< private */
} cio_lock_t;
/** A static initializer, the same as cio_lock_init. */
#define CIO_LOCK_INIT {{CIO__MAGIC_LOCK_}}
/** 0, -EINVAL. */
CIO_EXTERN int cio_lock_init(cio_lock_t *l);
/** Take the lock, waiting in FIFO order while it is held or others wait.
 * 0; -ECANCELED leaves the lock untaken (a cancelled waiter that release()
 * had already chosen passes the lock on). */
CIO_EXTERN int cio_lock_acquire(cio_lock_t *l);
/** Take the lock only if acquire would not wait: 0, or -EAGAIN. */
CIO_EXTERN int cio_lock_try_acquire(cio_lock_t *l);
/** Free the lock and wake the first waiter.  CIO_EINVALSTATE if it is not
 * held (asyncio's RuntimeError).  Any task or callback may release. */
CIO_EXTERN int cio_lock_release(cio_lock_t *l);
/** 1 if held, 0 if free, -EINVAL. */
CIO_EXTERN int cio_lock_locked(const cio_lock_t *l);

/** asyncio.Event. */
typedef struct cio_event_s {
    uint64_t opaque[6]; /**< private */
} cio_event_t;
/** @{ */
/** A static initializer, the same as cio_event_init (clear).  0, -EINVAL. */
#define CIO_EVENT_INIT {{CIO__MAGIC_EVENT_}}
CIO_EXTERN int cio_event_init(cio_event_t *e);
/** @} */
/** Return at once if set, else wait for cio_event_set.  0, -ECANCELED. */
CIO_EXTERN int cio_event_wait(cio_event_t *e);
/** Set it and wake every waiter; they resume in a later iteration, in the
 * order they started waiting. */
CIO_EXTERN int cio_event_set(cio_event_t *e);
/** Unset it (waiters already woken still resume). */
CIO_EXTERN int cio_event_clear(cio_event_t *e);
/** 1/0, -EINVAL. */
CIO_EXTERN int cio_event_is_set(const cio_event_t *e);

/** @{ */
/** A condition variable over its own lock (lock == NULL, or CIO_COND_INIT)
 * or a cio_lock_t shared with others, which must outlive it. */
typedef struct cio_cond_s {
    uint64_t opaque[14]; /**< private */
} cio_cond_t;
#define CIO_COND_INIT {{CIO__MAGIC_COND_, 0, 0, 0, 0, 0, CIO__MAGIC_LOCK_}}
CIO_EXTERN int cio_cond_init(cio_cond_t *c, cio_lock_t *lock);
/** @} */
/** @{ */
/** The lock operations, on the condition's lock. */
CIO_EXTERN int cio_cond_acquire(cio_cond_t *c);
CIO_EXTERN int cio_cond_release(cio_cond_t *c);
CIO_EXTERN int cio_cond_locked(const cio_cond_t *c);
/** @} */
/** With the lock held: release it, wait for a notify, then take the lock
 * again before returning, even when cancelled (then -ECANCELED, with the
 * lock held).  A waiter cancelled after it was notified passes the
 * notification on (3.13), so wake-ups may be spurious: re-check the state,
 * or use cio_cond_wait_for.  CIO_EINVALSTATE if the lock is not held. */
CIO_EXTERN int cio_cond_wait(cio_cond_t *c);
/** @{ */
/** Wait until pred(arg) returns non-zero, checking it first and after every
 * wake-up, with the lock held.  Returns pred's positive value, or a
 * negative one (pred's error) as is, or cio_cond_wait's error. */
typedef int cio_pred_fn(void *arg);
CIO_EXTERN int cio_cond_wait_for(cio_cond_t *c, cio_pred_fn *pred, void *arg);
/** @} */
/** @{ */
/** With the lock held: wake up to n waiters (FIFO); they run once the lock
 * is free again.  Returns how many were woken.  CIO_EINVALSTATE if the
 * lock is not held, -EINVAL for n < 0. */
CIO_EXTERN int cio_cond_notify(cio_cond_t *c, int n);
CIO_EXTERN int cio_cond_notify_all(cio_cond_t *c);
/** @} */

/** @{ */
/** Semaphore(value) and BoundedSemaphore(value). */
typedef struct cio_sem_s {
    uint64_t opaque[7]; /**< private */
} cio_sem_t;
#define CIO_SEM_INIT(value) {{CIO__MAGIC_SEM_, 0, 0, 0, 0, (uint64_t)(value), (uint64_t)-1}}
#define CIO_BOUNDED_SEM_INIT(value) {{CIO__MAGIC_SEM_, 0, 0, 0, 0, (uint64_t)(value), (uint64_t)(value)}}
/** @} */
/** @{ */
/** value < 0: -EINVAL. */
CIO_EXTERN int cio_sem_init(cio_sem_t *s, int value);
CIO_EXTERN int cio_bounded_sem_init(cio_sem_t *s, int value);
/** @} */
/** Decrement, waiting (FIFO) while the value is 0 or others wait: a task
 * that releases and re-acquires queues behind the waiters.  0, -ECANCELED
 * (the unit it may have been handed goes to the next waiter). */
CIO_EXTERN int cio_sem_acquire(cio_sem_t *s);
/** Decrement only if acquire would not wait: 0 or -EAGAIN. */
CIO_EXTERN int cio_sem_try_acquire(cio_sem_t *s);
/** Increment and wake the first waiter.  A bounded semaphore released above
 * its initial value: -EOVERFLOW, nothing changed. */
CIO_EXTERN int cio_sem_release(cio_sem_t *s);
/** 1 when acquire would wait, else 0. */
CIO_EXTERN int cio_sem_locked(const cio_sem_t *s);
/** The current value (>= 0). */
CIO_EXTERN int cio_sem_value(const cio_sem_t *s);

/** Barrier(parties). */
typedef struct cio_barrier_s {
    uint64_t opaque[18]; /**< private */
} cio_barrier_t;
/** parties < 1: -EINVAL. */
CIO_EXTERN int cio_barrier_init(cio_barrier_t *b, int parties);
/** Wait until `parties` tasks are waiting; returns this task's arrival index
 * (0 .. parties-1), and the barrier starts its next cycle.  A cancelled
 * waiter leaves (-ECANCELED) without breaking it.  CIO_EBROKENBARRIER when
 * reset or aborted. */
CIO_EXTERN int cio_barrier_wait(cio_barrier_t *b);
/** From a task: back to the empty state; tasks waiting now get
 * CIO_EBROKENBARRIER. */
CIO_EXTERN int cio_barrier_reset(cio_barrier_t *b);
/** From a task: break it; current and future waits get CIO_EBROKENBARRIER
 * until cio_barrier_reset. */
CIO_EXTERN int cio_barrier_abort(cio_barrier_t *b);
/** The number of parties given at init; -EINVAL. */
CIO_EXTERN int cio_barrier_parties(const cio_barrier_t *b);
/** Tasks waiting in the filling barrier. */
CIO_EXTERN int cio_barrier_n_waiting(const cio_barrier_t *b);
/** 1 if broken (aborted), else 0. */
CIO_EXTERN int cio_barrier_broken(const cio_barrier_t *b);
/** @} */

/* ------------------------------------------------------------------ queues */
/** @defgroup queues Queues
 * @{ */

/** asyncio's Queue, LifoQueue and PriorityQueue, in the caller's storage.
 * Items are void pointers (NULL is an item like any other); the queue never
 * frees them.  maxsize <= 0 means
 * unbounded.  Getters and putters wait in FIFO order; a cancelled put
 * inserts nothing and a cancelled get takes nothing (an item it was woken
 * for goes to the next getter).  Waiting functions need a task.
 *
 * The storage must be released with cio_queue_destroy (it holds a buffer).
 *
 * @code{.c}
 * #include <cio.h>
 * #include <errno.h>
 * #include <stdint.h>
 * #include <stdio.h>
 *
 * static cio_queue_t q = CIO_QUEUE_INIT(2);   // at most 2 items wait
 *
 * static int consumer(void *arg, void **result)
 * {
 *     void *item;
 *     int rc;
 *     while ((rc = cio_queue_get(&q, &item)) == 0)     // waits while empty
 *         printf("got %d\n", (int)(intptr_t)item);
 *     return rc == CIO_EQUEUESHUTDOWN ? 0 : rc;        // shut down and drained
 * }
 *
 * static int amain(void *arg, void **result)
 * {
 *     cio_task_t *c = cio_create_task(consumer, NULL);
 *     if (!c)
 *         return -ENOMEM;
 *     int rc = 0;
 *     for (intptr_t i = 1; rc == 0 && i <= 5; i++)
 *         rc = cio_queue_put(&q, (void *)i);           // waits while full
 *     cio_queue_shutdown(&q, 0, NULL, NULL);           // the consumer ends
 *     int crc = cio_await(c, NULL);
 *     cio_unref(c);
 *     cio_queue_destroy(&q);
 *     return rc < 0 ? rc : crc;
 * }
 *
 * int main(void) { return cio_run(amain, NULL, NULL) < 0; }
 * @endcode */
typedef struct cio_queue_s {
    uint64_t opaque[22]; /**< private */
} cio_queue_t;
/** Order for a priority queue: < 0 when a comes out before b.  Equal items
 * come out in insertion order. */
typedef int cio_queue_cmp_fn(const void *a, const void *b);
/** @{ */
/** Static initializers: the same as cio_queue_init and cio_lifoqueue_init. */
#define CIO_QUEUE_INIT(maxsize) {{CIO__MAGIC_QUEUE_, (uint64_t)(int64_t)(maxsize), 0}}
#define CIO_LIFOQUEUE_INIT(maxsize) {{CIO__MAGIC_QUEUE_, (uint64_t)(int64_t)(maxsize), 1}}
/** @} */
/** @{ */
/** A FIFO queue (asyncio.Queue), a LIFO one (LifoQueue).  0, -EINVAL. */
CIO_EXTERN int cio_queue_init(cio_queue_t *q, long maxsize);
CIO_EXTERN int cio_lifoqueue_init(cio_queue_t *q, long maxsize);
/** @} */
/** A priority queue (PriorityQueue): the least item by cmp comes out first.
 * cmp NULL: -EINVAL. */
CIO_EXTERN int cio_priorityqueue_init(cio_queue_t *q, long maxsize, cio_queue_cmp_fn *cmp);
/** Free the buffer.  -EBUSY while tasks wait on it.  The items still queued
 * are the caller's. */
CIO_EXTERN int cio_queue_destroy(cio_queue_t *q);
/** Put, waiting while full.  0, -ECANCELED (nothing inserted),
 * CIO_EQUEUESHUTDOWN, -ENOMEM. */
CIO_EXTERN int cio_queue_put(cio_queue_t *q, void *item);
/** Take the next item into *item (NULL item: -EINVAL), waiting while
 * empty.  0, -ECANCELED (nothing taken), CIO_EQUEUESHUTDOWN once shut down
 * and empty. */
CIO_EXTERN int cio_queue_get(cio_queue_t *q, void **item);
/** @{ */
/** Without waiting: CIO_EQUEUEFULL / CIO_EQUEUEEMPTY, CIO_EQUEUESHUTDOWN. */
CIO_EXTERN int cio_queue_put_nowait(cio_queue_t *q, void *item);
CIO_EXTERN int cio_queue_get_nowait(cio_queue_t *q, void **item);
/** @} */
/** @{ */
/** Items queued; 1/0; the maxsize given at init. */
CIO_EXTERN long cio_queue_qsize(const cio_queue_t *q);
CIO_EXTERN int cio_queue_empty(const cio_queue_t *q);
CIO_EXTERN int cio_queue_full(const cio_queue_t *q);
CIO_EXTERN long cio_queue_maxsize(const cio_queue_t *q);
/** @} */
/** One put item is processed.  -EOVERFLOW when called more often than items
 * were put (asyncio's "task_done() called too many times"). */
CIO_EXTERN int cio_queue_task_done(cio_queue_t *q);
/** Wait until every item put was marked done (the count of task_done calls,
 * not the queue's emptiness).  0, -ECANCELED. */
CIO_EXTERN int cio_queue_join(cio_queue_t *q);
/** @{ */
/** Shut down (3.13): put fails with CIO_EQUEUESHUTDOWN, waiting putters
 * too; getters may take what is left, then get CIO_EQUEUESHUTDOWN.  With
 * immediate, the remaining items are removed at once, each handed to
 * drain(item, ud) if drain is given, and counted done for join(); waiting
 * getters get CIO_EQUEUESHUTDOWN.  Returns the number of items removed. */
typedef void cio_queue_drain_fn(void *item, void *ud);
CIO_EXTERN int cio_queue_shutdown(cio_queue_t *q, int immediate, cio_queue_drain_fn *drain, void *ud);
/** @} */
/** @} */

/* -------------------------------------------------------------- generators */
/** @defgroup generators Async generators
 * @{ */

/** Async generators: a coroutine on its own stack that hands values to its
 * consumer and may await in between.  Inside, the generator calls
 * cio_gen_yield; outside, the consumer calls cio_gen_next.  The generator
 * runs inside the consumer's task (a cancel of that task reaches the
 * generator's awaits), on its own stack.
 *
 * @code{.c}
 * #include <cio.h>
 * #include <stdint.h>
 * #include <stdio.h>
 *
 * static int count(void *arg, void **result)         // the generator
 * {
 *     for (intptr_t i = 0; i < 3; i++) {
 *         int rc = cio_sleep(0.01);
 *         if (rc == 0) rc = cio_gen_yield((void *)i, NULL);
 *         if (rc < 0) return rc;                     // closed, thrown, cancelled
 *     }
 *     return 0;                                      // StopAsyncIteration
 * }
 *
 * static int amain(void *arg, void **result)         // async for v in count(): ...
 * {
 *     cio_gen_t *g;
 *     void *v;
 *     int rc = cio_gen_new(count, NULL, &g);
 *     if (rc < 0)
 *         return rc;
 *     while ((rc = cio_gen_next(g, &v)) == 0)
 *         printf("%d\n", (int)(intptr_t)v);
 *     if (rc == CIO_ESTOPITERATION) rc = 0;          // the normal end
 *     cio_gen_free(g);
 *     return rc;
 * }
 *
 * int main(void) { return cio_run(amain, NULL, NULL) < 0; }
 * @endcode
 *
 * The generator's function returns 0 to end the iteration or a negative
 * code, which the consumer's call returns.  A finished generator answers
 * every later next with CIO_ESTOPITERATION. */
typedef struct cio_gen_s cio_gen_t;
/** A generator on the running loop; nothing runs until the first next.
 * CIO_ENOLOOP, -EINVAL, -ENOMEM. */
CIO_EXTERN int cio_gen_new(cio_coro_fn *fn, void *arg, cio_gen_t **out);
/** The same with a stack size (0: the loop's default). */
CIO_EXTERN int cio_gen_new_ex(cio_loop_t *loop, cio_coro_fn *fn, void *arg, size_t stack_size, cio_gen_t **out);
/** From a task: run the generator to its next yield (`__anext__`).  0 and
 * *value, CIO_ESTOPITERATION at the end, the generator's error, -EBUSY if
 * the generator is already running (in another task). */
CIO_EXTERN int cio_gen_next(cio_gen_t *g, void **value);
/** asend: as next, with `in` delivered as the pending yield's *sent.  A
 * non-NULL value to a generator not started yet: -EINVAL. */
CIO_EXTERN int cio_gen_send(cio_gen_t *g, void *in, void **value);
/** athrow: the pending yield returns err (< 0) inside the generator; a
 * generator not started yet ends at once with err.  Then as next. */
CIO_EXTERN int cio_gen_throw(cio_gen_t *g, int err, void **value);
/** aclose: the pending yield returns CIO_EGENEXIT; the generator must
 * return (0 or CIO_EGENEXIT: closed, 0 is returned; another error is
 * returned).  Yielding again is refused: the yield returns CIO_EGENEXIT
 * again and close returns CIO_EINVALSTATE (asyncio's "async generator
 * ignored GeneratorExit").  Not started or finished: 0 at once; running:
 * -EBUSY. */
CIO_EXTERN int cio_gen_close(cio_gen_t *g);
/** Inside a generator: hand value to the consumer and wait for the next
 * call.  0 (*sent, if given, gets the value of a send, else NULL), the
 * error of a throw, CIO_EGENEXIT on close, or CIO_EINVALSTATE outside a
 * generator. */
CIO_EXTERN int cio_gen_yield(void *value, void **sent);
/** Free the generator.  One suspended at a yield is closed first (its
 * cleanup runs): at once from a task of its loop; from a callback of its
 * loop by a task started at once (asyncio's finalizer hook; without memory
 * for that task its frames are discarded and -ENOMEM goes to the loop's
 * exception handler, as a failed close does).  Elsewhere
 * (its loop not running) its frames are discarded without running.  A
 * generator outlives its runner's shutdown, which closed it (then
 * next/close report it finished): free it then as well.  -EBUSY while it
 * runs. */
CIO_EXTERN int cio_gen_free(cio_gen_t *g);
/** From a task: close every live generator of the running loop that was
 * started and not finished (asyncio's shutdown_asyncgens); cio_run and the
 * runner call it at shutdown.  Errors go to the exception handler.  Returns
 * how many were closed. */
CIO_EXTERN int cio_loop_shutdown_asyncgens(void);
/** @} */

/* ---------------------------------------------------------------- runners */
/** @defgroup runners Runners
 * @{ */

/** A Runner (asyncio.Runner): one loop across several runs. */
typedef struct cio_runner_s cio_runner_t;
/** A Runner's options (cio_runner_new). */
typedef struct cio_runner_opts_s {
    int debug;         /**< 1 on, 0 off, -1 keep the default (CIO_DEBUG) */
    size_t stack_size; /**< 0: default */
} cio_runner_opts_t;

/** A runner owns one loop, created lazily, across several runs.  opts may be
 * NULL.  -ENOMEM.
 *
 * @code{.c}
 * #include <cio.h>
 *
 * static int step(void *arg, void **result)
 * {
 *     return cio_sleep(0.01);
 * }
 *
 * int main(void)
 * {
 *     cio_runner_opts_t opts = {.debug = 1};       // asyncio.Runner(debug=True)
 *     cio_runner_t *r;
 *     if (cio_runner_new(&opts, &r) < 0)
 *         return 1;
 *     int rc = 0;
 *     for (int i = 0; rc == 0 && i < 2; i++)       // two runs, one loop
 *         rc = cio_runner_run(r, step, NULL, NULL);
 *     cio_runner_free(r);                          // the shutdown, then free
 *     return rc < 0;
 * }
 * @endcode */
CIO_EXTERN int cio_runner_new(const cio_runner_opts_t *opts, cio_runner_t **out);
/** Run fn(arg) as the main task until done; returns its outcome, *result its
 * value.  CIO_ELOOPRUNNING inside a running loop, CIO_ERUNNERCLOSED. */
CIO_EXTERN int cio_runner_run(cio_runner_t *r, cio_coro_fn *fn, void *arg, void **result);
/** The message of the failure the last cio_runner_run returned (its main
 * task's, from cio_fail), as asyncio's run raises the task's exception with
 * its text; NULL if that run succeeded or the failure had none.  Owned by
 * the runner: valid until the next run or cio_runner_free. */
CIO_EXTERN const char *cio_runner_message(cio_runner_t *r);
/** The runner's loop, created if needed. */
CIO_EXTERN int cio_runner_get_loop(cio_runner_t *r, cio_loop_t **loop);
/** asyncio.run's shutdown: cancel the remaining tasks and wait for them,
 * close the live generators (the user's generators no longer hold the loop
 * afterwards), shut the thread pool down, close the loop.  Idempotent.
 * -EBUSY while the user still holds a future, task or handle of the loop
 * (call again once released). */
CIO_EXTERN int cio_runner_close(cio_runner_t *r);
/** Close and free. */
CIO_EXTERN int cio_runner_free(cio_runner_t *r);
/** asyncio.run: a fresh loop, fn(arg) as the main task, then the shutdown.
 *
 * Ctrl-C, as asyncio's Runner: in the main thread, when SIGINT has its
 * default disposition, the first SIGINT during cio_run/cio_runner_run
 * cancels the main task (which may clean up); if it then ends cancelled the
 * run returns CIO_EINTERRUPTED.  A second SIGINT terminates the process at
 * once (the default action, as an uncaught KeyboardInterrupt would).  A
 * SIGINT handler the program installed is left alone.
 *
 * @code{.c}
 * #include <cio.h>
 * #include <stdio.h>
 *
 * static int amain(void *arg, void **result)
 * {
 *     printf("hello, %s\n", (const char *)arg);
 *     int rc = cio_sleep(0.01);
 *     *result = "done";                    // the main task's value
 *     return rc;
 * }
 *
 * int main(void)
 * {
 *     void *value;
 *     int rc = cio_run(amain, "world", &value);
 *     if (rc < 0) {
 *         fprintf(stderr, "amain: %s\n", cio_strerror(rc));
 *         return 1;
 *     }
 *     puts(value);
 *     return 0;
 * }
 * @endcode */
CIO_EXTERN int cio_run(cio_coro_fn *fn, void *arg, void **result);
/** cio_run, and on failure the main task's message (cio_fail's text) copied
 * into msg (cap bytes, truncated, always terminated; "" if none).  msg may be
 * NULL with cap 0. */
CIO_EXTERN int cio_run_with_message(cio_coro_fn *fn, void *arg, void **result, char *msg, size_t cap);
/** @} */

/* ------------------------------------------------------- threads, executor */
/** @defgroup threads Threads and the executor
 * @{ */

/** Run the blocking fn(arg, &result) in the loop's thread pool; *out gets a
 * future for its outcome, with the message fn gave through cio_fail (which
 * works in pool threads).  Cancelling the future before a worker took the
 * job means fn never runs, as asyncio's; once it runs, the thread is not
 * stopped.  So fn must not be the one to release arg: the caller, who
 * cannot tell from a cancelled future whether fn still runs, waits for the
 * job to be over (cio_loop_shutdown_default_executor) or keeps arg alive.
 * -ENOMEM, CIO_ELOOPCLOSED. */
CIO_EXTERN int cio_loop_run_in_executor(cio_loop_t *loop, cio_coro_fn *fn, void *arg, cio_future_t **out);
/** From a task: run fn in the pool and await it (asyncio.to_thread).  A
 * failure's cio_fail message becomes the calling task's.
 *
 * @code{.c}
 * #include <cio.h>
 * #include <stdint.h>
 * #include <stdio.h>
 *
 * static int blocking_sum(void *arg, void **result)   // runs in a pool thread
 * {
 *     intptr_t n = (intptr_t)arg, sum = 0;
 *     for (intptr_t i = 1; i <= n; i++)
 *         sum += i;
 *     *result = (void *)sum;
 *     return 0;
 * }
 *
 * static int amain(void *arg, void **result)
 * {
 *     void *sum;
 *     int rc = cio_to_thread(blocking_sum, (void *)(intptr_t)1000, &sum);  // the loop goes on
 *     if (rc == 0)
 *         printf("sum: %d\n", (int)(intptr_t)sum);
 *     return rc;
 * }
 *
 * int main(void) { return cio_run(amain, NULL, NULL) < 0; }
 * @endcode */
CIO_EXTERN int cio_to_thread(cio_coro_fn *fn, void *arg, void **result);
/** Maximum worker threads of the loop's pool (default min(32, cpus + 4)). */
CIO_EXTERN int cio_loop_set_executor_size(cio_loop_t *loop, int max_workers);
/** Wait for the pool's jobs and join its threads, blocking the calling
 * thread; the next job starts a new pool.  With a user executor, its
 * shutdown hook is called. */
CIO_EXTERN int cio_loop_shutdown_default_executor(cio_loop_t *loop);
/** From a task: asyncio 3.12's `await loop.shutdown_default_executor(timeout)`.
 * The pool's jobs finish and its threads are joined while the loop goes on.
 * After timeout seconds (INFINITY: none) it gives up as asyncio does: a
 * warning is logged, the threads finish in the background (joined when the
 * loop closes) and -ETIMEDOUT is returned (asyncio only warns: a caller may
 * ignore it).  The next job starts a new pool.  With a user executor its
 * shutdown hook is called, without a timeout.  0, -ETIMEDOUT, -ECANCELED
 * (the pool then finishes in the background too), CIO_ENOTASK, -EINVAL
 * (NaN). */
CIO_EXTERN int cio_shutdown_default_executor(double timeout);

/** An executor of yours (asyncio's set_default_executor(executor)): the
 * loop hands it each job of cio_loop_run_in_executor / cio_to_thread. */
typedef struct cio_executor_s {
    /** Run run(job) once, in any thread but the loop's (the job posts its
     * completion to the loop itself); called on the loop's thread.  0, or a
     * negative code, which cio_loop_run_in_executor returns (run is then never
     * called). */
    int (*submit)(void *ud, void (*run)(void *job), void *job);
    /** Called by cio_loop_shutdown_default_executor and when the loop closes
     * (so possibly more than once); must return only once every job it took
     * has run.  Optional only if the caller otherwise makes sure of that
     * before the loop closes. */
    void (*shutdown)(void *ud);
    void *ud; /**< passed to both */
} cio_executor_t;
/** Make executor (copied) the loop's default executor; NULL goes back to the
 * built-in pool (whose threads stay until it is shut down).  A job the user
 * executor never runs never completes its future.  0, -EINVAL (no submit),
 * CIO_ELOOPCLOSED. */
CIO_EXTERN int cio_loop_set_default_executor(cio_loop_t *loop, const cio_executor_t *executor);

/** A thread-safe future, as concurrent.futures.Future. */
typedef struct cio_tsfuture_s cio_tsfuture_t;
/** Thread-safe: from any thread other than loop's, run fn(arg) as a task on
 * loop.  *out gets a thread-safe future (free it with cio_tsfuture_free).
 *
 * @code{.c}
 * int work(void *arg, void **result);          // a coroutine of yours
 *
 * static void *thread_main(void *loop)         // a thread that runs no loop
 * {
 *     cio_tsfuture_t *f;
 *     void *value = NULL;
 *     if (cio_run_coroutine_threadsafe(loop, work, NULL, &f) == 0) {
 *         int rc = cio_tsfuture_wait(f, 5.0, &value);  // blocks this thread only
 *         if (rc == -ETIMEDOUT)
 *             cio_tsfuture_cancel(f);
 *         cio_tsfuture_free(f);
 *     }
 *     return value;
 * }
 * @endcode */
CIO_EXTERN int cio_run_coroutine_threadsafe(cio_loop_t *loop, cio_coro_fn *fn, void *arg, cio_tsfuture_t **out);
/** Block the calling thread until done or timeout seconds (INFINITY: no
 * limit; <= 0: only looks, as concurrent.futures' result(timeout)).
 * Returns the task's outcome (*result its value) or -ETIMEDOUT. */
CIO_EXTERN int cio_tsfuture_wait(cio_tsfuture_t *f, double timeout, void **result);
/** Request the task's cancellation on its loop. 1 if not yet done, else 0. */
CIO_EXTERN int cio_tsfuture_cancel(cio_tsfuture_t *f);
/** 1/0. */
CIO_EXTERN int cio_tsfuture_done(cio_tsfuture_t *f);
/** Once done: the task's failure message (its cio_fail text), as the
 * concurrent future's exception carries it; NULL while pending, on success,
 * or if there was none.  Owned by f: valid until cio_tsfuture_free. */
CIO_EXTERN const char *cio_tsfuture_message(cio_tsfuture_t *f);
/** Release the caller's reference (the task itself goes on). */
CIO_EXTERN int cio_tsfuture_free(cio_tsfuture_t *f);
/** @} */

/* ============================================================ networking */
/** @defgroup networking Networking
 *
 * Three layers, as in asyncio:
 *   - fd readiness and socket coroutines on the caller's own non-blocking
 *     fds (add_reader, cio_wait_readable, cio_sock_*);
 *   - streams: a connected socket as one cio_stream_t that a task reads and
 *     writes (open_connection, start_server) -- the layer most programs use;
 *   - transports and protocols: callbacks, for libraries and for speed.
 * Addresses are given as (host, port) strings and numbers; a numeric host
 * skips DNS, any other is resolved in the thread pool.  Every call that
 * waits is a suspension point: cancellable, and bounded by cio_timeout_enter
 * or cio_wait_for_call.  A peer's reset or close is an error code
 * (-ECONNRESET, -EPIPE), never a signal: SIGPIPE is not raised by cio's
 * sends.  OpenSSL writes with write(2), so once a TLS connection starts,
 * SIGPIPE is ignored in the process unless the application has set its own
 * disposition (as CPython does at start-up). */

/* ------------------------------------------------------------ fd readiness */
/** @defgroup fd fd readiness
 * @ingroup networking
 * @{ */

/** Call fn(arg) from the loop while fd is readable (level-triggered, as
 * asyncio's add_reader).  Adding again replaces the callback.  -EBADF for a
 * closed fd, CIO_EINVALSTATE for an fd that a stream, transport or server of
 * this loop owns, -EPERM for a regular file (epoll cannot watch it). */
CIO_EXTERN int cio_loop_add_reader(cio_loop_t *loop, int fd, cio_callback_fn *fn, void *arg);
/** 1 if a reader was removed, 0 if there was none. */
CIO_EXTERN int cio_loop_remove_reader(cio_loop_t *loop, int fd);
/** The same for writability (asyncio's add_writer), with the same errors. */
CIO_EXTERN int cio_loop_add_writer(cio_loop_t *loop, int fd, cio_callback_fn *fn, void *arg);
/** 1 if a writer was removed, 0 if there was none. */
CIO_EXTERN int cio_loop_remove_writer(cio_loop_t *loop, int fd);
/** @{ */
/** From a task: wait until fd is readable (writable), at most timeout seconds
 * (< 0: no limit).  0, -ETIMEDOUT, -ECANCELED, -EBADF, CIO_EINVALSTATE when
 * another task already waits for the same fd and direction.  An error or
 * hang-up condition on the fd counts as ready. */
CIO_EXTERN int cio_wait_readable(int fd, double timeout);
CIO_EXTERN int cio_wait_writable(int fd, double timeout);
/** @} */
/** @} */

/* ------------------------------------------------------ socket coroutines */
/** @defgroup sockets Socket coroutines
 * @ingroup networking
 * @{ */

/** @name Receiving and sending
 * @{ */
/** From a task, on a non-blocking socket the caller owns.  Each returns -errno
 * from the system call, -ECANCELED when cancelled; a cancelled call has not
 * transferred anything (a cancelled sendall may have sent a prefix: *sent,
 * when given, tells how much).  sock_recv is also asyncio's sock_recv_into:
 * in C the buffer is always the caller's. */
CIO_EXTERN ssize_t cio_sock_recv(int fd, void *buf, size_t n);                 /**< 0 at EOF */
CIO_EXTERN ssize_t cio_sock_recvfrom(int fd, void *buf, size_t n, struct sockaddr *addr, socklen_t *addrlen);
CIO_EXTERN int cio_sock_sendall(int fd, const void *buf, size_t n, size_t *sent);
CIO_EXTERN ssize_t cio_sock_sendto(int fd, const void *buf, size_t n, const struct sockaddr *addr,
                                   socklen_t addrlen);
/** @} */
/** Connect; 0 or -ECONNREFUSED etc.  A cancelled connect leaves the socket
 * unconnected and unusable for another connect (as connect(2)): close it. */
CIO_EXTERN int cio_sock_connect(int fd, const struct sockaddr *addr, socklen_t addrlen);
/** Accept one connection: returns its fd (non-blocking, close-on-exec). */
CIO_EXTERN int cio_sock_accept(int fd, struct sockaddr *addr, socklen_t *addrlen);
/** Send count bytes of file from *offset (advanced by what was sent) with
 * sendfile(2), or read+send where sendfile cannot be used.  Returns the bytes
 * sent (less than count only at the file's end). */
CIO_EXTERN int64_t cio_sock_sendfile(int sock, int file, int64_t *offset, size_t count);
/** @} */

/* -------------------------------------------------------------------- DNS */
/** @defgroup dns DNS
 * @ingroup networking
 * @{ */

struct addrinfo; /* <netdb.h> defines it only with POSIX features on (not with a bare -std=c11) */

/** getaddrinfo(3) in the thread pool (a numeric host and port skip it); the
 * result is freed with freeaddrinfo(3).  host NULL: the wildcard or loopback
 * address, as getaddrinfo(3).  Errors: CIO_ENONAME (unknown host or service),
 * CIO_EDNSAGAIN (temporary failure), CIO_EDNSFAIL, -EINVAL (bad flags or
 * family), -ENOMEM, -ECANCELED (the lookup thread finishes on its own). */
CIO_EXTERN int cio_getaddrinfo(const char *host, const char *port, const struct addrinfo *hints,
                               struct addrinfo **res);
/** getnameinfo(3) in the thread pool (NI_NUMERICHOST|NI_NUMERICSERV skip it). */
CIO_EXTERN int cio_getnameinfo(const struct sockaddr *addr, socklen_t addrlen, char *host, size_t hostlen,
                               char *serv, size_t servlen, int flags);
/** @} */

/* -------------------------------------------------------------------- TLS */
/** @defgroup tls TLS
 * @ingroup networking
 * @{ */

/** @name The TLS context
 * @{ */
/** A TLS configuration (asyncio's SSLContext), reference-counted: cio_unref.
 * Available when cio is built with OpenSSL (CIO_WITH_TLS, on by default when
 * OpenSSL is found); otherwise every call returns -ENOTSUP.  cio_tls_available()
 * tells which. */
typedef struct cio_tls_s cio_tls_t;
CIO_EXTERN int cio_tls_available(void);
/** @} */
/** A client context: verifies the server's certificate against the system's
 * CA store and its host name against server_hostname (or the host
 * connected to).  -ENOMEM, CIO_ETLS. */
CIO_EXTERN int cio_tls_client_new(cio_tls_t **out);
/** A server context with the certificate chain and private key (PEM files).
 * CIO_ETLS with a message (cio_tls_last_error) for unreadable or mismatched
 * files. */
CIO_EXTERN int cio_tls_server_new(const char *cert_file, const char *key_file, cio_tls_t **out);
/** Trust these CAs (a PEM file and/or a directory) instead of the system's. */
CIO_EXTERN int cio_tls_load_verify_locations(cio_tls_t *tls, const char *cafile, const char *capath);
/** 0 turns verification of the peer (and of its host name) off: the explicit
 * opt-out (asyncio: check_hostname=False, verify_mode=CERT_NONE). */
CIO_EXTERN int cio_tls_set_verify(cio_tls_t *tls, int verify);
/** ALPN protocols offered (client) or accepted (server), most preferred first. */
CIO_EXTERN int cio_tls_set_alpn(cio_tls_t *tls, const char *const *protocols, size_t n);
/** The library's text for the last TLS failure of this thread ("" if none). */
CIO_EXTERN const char *cio_tls_last_error(void);

/** The cipher a TLS connection negotiated (asyncio's get_extra_info("cipher")
 * tuple), filled by cio_stream_tls_cipher and cio_transport_tls_cipher.  The
 * strings are OpenSSL's: valid while the stream or transport lives. */
typedef struct cio_tls_cipher_s {
    const char *name;    /**< the cipher suite, by OpenSSL's name ("TLS_AES_256_GCM_SHA384") */
    const char *version; /**< the protocol version negotiated ("TLSv1.3", "TLSv1.2") */
    int bits;            /**< the cipher's secret bits (256 for AES-256), > 0 */
} cio_tls_cipher_t;
/** @} */

/* ----------------------------------------------------------------- streams */
/** @defgroup streams Streams
 * @ingroup networking
 * @{ */

/** A connected socket as a reader and a writer in one object (asyncio's
 * StreamReader and StreamWriter pair).  Reference-counted: cio_unref frees it
 * (closing it first if needed; buffered output is still flushed).  Use from
 * tasks of the loop it was made on. */
typedef struct cio_stream_s cio_stream_t;

#define CIO_STREAM_LIMIT (64 * 1024) /**< default readline/readuntil limit */

/** Options for connections (streams and transports); zero means default. */
typedef struct cio_conn_opts_s {
    size_t limit;              /**< streams: readline/readuntil limit (64 KiB) */
    cio_tls_t *tls;            /**< TLS over the connection (NULL: plain) */
    const char *server_hostname; /**< TLS: name to verify and send as SNI (default: host) */
    double tls_handshake_timeout; /**< seconds, default 60 */
    int family;                /**< AF_INET, AF_INET6 or 0 for either */
    const char *local_host;    /**< bind before connecting */
    int local_port;            /**< the local port to bind (0: any) */
    /** TLS: how long a graceful close waits for the peer's close_notify after
     * sending its own, in seconds (default 30, asyncio's); past it the
     * connection fails with -ETIMEDOUT (connection_lost, wait_closed). */
    double tls_shutdown_timeout;
    /** With has_sock: use this connected stream socket instead of connecting
     * (asyncio's sock=); host NULL and port 0 (path NULL) then.  See
     * cio_open_connection_ex. */
    int sock;
    int has_sock; /**< nonzero: sock is given (fd 0 is a valid socket) */
    /** Happy Eyeballs (RFC 8305, asyncio's happy_eyeballs_delay): > 0
     * starts the next address this many seconds after the previous one
     * (or at once when it fails), the attempts running together; the first
     * connected wins, the others are cancelled (0: one after the other,
     * asyncio's None; asyncio suggests 0.25).  Negative, NaN or infinite:
     * -EINVAL. */
    double happy_eyeballs_delay;
    /** Reorder the addresses by family (asyncio's interleave): interleave - 1
     * of the first family, then one of each family in turn.  0: 1 with
     * happy_eyeballs_delay, else the resolver's order.  Negative: -EINVAL. */
    int interleave;
    /** asyncio's all_errors: when every address fails (the call then returns
     * the last attempt's error), each attempt's error in the order tried,
     * at most all_errors_cap of them, and their count in *all_errors_count
     * (0 on success; either pointer may be NULL). */
    int *all_errors;
    size_t all_errors_cap;      /**< capacity of all_errors */
    size_t *all_errors_count;   /**< out: the attempts that failed (may be NULL) */
} cio_conn_opts_t;

/** @name Connecting
 * @{ */
/** Connect to host:port (every resolved address in turn until one accepts)
 * and hand back a stream.  When every address fails: the error of the last
 * attempt, with all of them in the task's message (cio_fail).  opts may be
 * NULL.  A port outside 0..65535 or a NULL host: -EINVAL.  From a task.
 *
 * @code{.c}
 * static int http_head(void *arg, void **result)
 * {
 *     cio_stream_t *s;
 *     int rc = cio_open_connection("example.com", 80, &s);
 *     if (rc < 0)
 *         return rc;
 *     const char req[] = "HEAD / HTTP/1.0\r\nHost: example.com\r\n\r\n";
 *     rc = cio_stream_write(s, req, sizeof req - 1);
 *     if (rc == 0)
 *         rc = cio_stream_drain(s);
 *     char line[1024];
 *     ssize_t n = rc < 0 ? rc : cio_stream_readline(s, line, sizeof line);
 *     if (n > 0)
 *         printf("%.*s", (int)n, line);    // the status line
 *     cio_stream_close(s);
 *     cio_unref(s);
 *     return n < 0 ? (int)n : 0;
 * }
 * @endcode */
CIO_EXTERN int cio_open_connection(const char *host, int port, cio_stream_t **out);
/** As cio_open_connection, with options.  With opts->has_sock the stream is
 * made on the caller's connected socket opts->sock (asyncio's sock=): host
 * must be NULL and port 0, and local_host, local_port and family unset, else
 * -EINVAL; a socket that is not SOCK_STREAM: -EINVAL; a closed fd: -EBADF;
 * an fd that is not a socket: -ENOTSOCK; one a stream, transport or server
 * of the loop already has: CIO_EINVALSTATE.  A nonzero sock without
 * has_sock: -EINVAL.  With TLS, server_hostname is required (the name to
 * verify; "" verifies none), else -EINVAL.  The socket is made non-blocking
 * and close-on-exec, and on success it is the stream's (closed with it); on
 * failure it is still the caller's and open, a failed TLS handshake
 * included. */
CIO_EXTERN int cio_open_connection_ex(const char *host, int port, const cio_conn_opts_t *opts, cio_stream_t **out);
/** Connect to a Unix socket at path; with opts->has_sock, path NULL and a
 * connected AF_UNIX stream socket as in cio_open_connection_ex. */
CIO_EXTERN int cio_open_unix_connection(const char *path, const cio_conn_opts_t *opts, cio_stream_t **out);
/** @} */
/** Wrap a connected socket (it becomes the stream's; closed with it).  On
 * failure the fd stays the caller's, open (a failed TLS handshake
 * included).  opts->has_sock as well: -EINVAL. */
CIO_EXTERN int cio_stream_from_fd(int fd, const cio_conn_opts_t *opts, cio_stream_t **out);
/** @name Pipes
 * @{ */
/** cio_stream_from_read_pipe: the read end of a pipe as a stream, with the
 * readline/readuntil limit (0: CIO_STREAM_LIMIT); cio_stream_from_write_pipe:
 * the write end.  Both return 0, or an error below.
 *
 * A pipe end, FIFO, character device (a terminal) or socket as a stream of
 * one direction (asyncio: a StreamReader over connect_read_pipe, a
 * StreamWriter over connect_write_pipe), e.g. stdin and stdout.  The fd is
 * made non-blocking (shared with whoever else holds its open file: a
 * terminal, a parent shell), its close-on-exec flag left as it is (a child
 * may still inherit stdout), and becomes the stream's, closed with it; on
 * failure it stays the caller's, unchanged.  Anything else (a regular
 * file, a directory): -EINVAL; a negative or closed fd, or the wrong end
 * (a write-only fd to read from, a read-only one to write to): -EBADF;
 * a character device that epoll cannot watch (/dev/null): -EPERM.  No loop
 * running: CIO_ENOLOOP.
 *
 * A read pipe stream reads as any stream (read, readline, readexactly,
 * readuntil, read_all); EOF when every writer has closed.  Its writing
 * calls (write, writev, drain, write_eof, set_write_buffer_limits) return
 * -ENOTSUP and can_write_eof 0.  A write pipe stream writes, drains and
 * closes as any stream; write_eof closes it (a pipe's EOF is its close);
 * its reading calls return -ENOTSUP.  Once the reader is gone a write or
 * a drain returns -EPIPE (SIGPIPE is ignored, as for subprocess pipes, if
 * its disposition was the default).  cio_stream_start_tls: -ENOTSUP.
 *
 * @code{.c}
 * static int cat(void *arg, void **result)      // stdin to stdout
 * {
 *     cio_stream_t *in, *out;
 *     int rc = cio_stream_from_read_pipe(0, 0, &in);
 *     if (rc < 0)
 *         return rc;
 *     if ((rc = cio_stream_from_write_pipe(1, &out)) < 0) {
 *         cio_unref(in);
 *         return rc;
 *     }
 *     char buf[4096];
 *     ssize_t n;
 *     while ((n = cio_stream_read(in, buf, sizeof buf)) > 0)
 *         if ((rc = cio_stream_write(out, buf, (size_t)n)) < 0 || (rc = cio_stream_drain(out)) < 0)
 *             break;
 *     if (n < 0)
 *         rc = (int)n;
 *     cio_stream_close(out);
 *     int wc = cio_stream_wait_closed(out);   // the last bytes written out
 *     cio_unref(in);
 *     cio_unref(out);
 *     return rc < 0 ? rc : wc;
 * }
 * @endcode */
CIO_EXTERN int cio_stream_from_read_pipe(int fd, size_t limit, cio_stream_t **out);
CIO_EXTERN int cio_stream_from_write_pipe(int fd, cio_stream_t **out);
/** @} */
/** @name A stream fed by the caller
 * @{ */
/** cio_stream_new: a stream with no fd behind it, whose bytes the caller
 * supplies (asyncio's StreamReader() fed by hand, e.g. to parse a protocol
 * from any byte source with readline/readuntil/readexactly); limit as for a
 * pipe (0: CIO_STREAM_LIMIT).  Returns 0, -ENOMEM, -EINVAL (out NULL) or
 * CIO_ENOLOOP.  It belongs to the running loop; cio_unref frees it.  It
 * reads as any stream; its writing calls return -ENOTSUP (as a read pipe's),
 * cio_stream_fd -ENOTSUP.
 *
 * cio_stream_feed_data: append n bytes (copied) and wake the reader.
 * Needs no task (a protocol callback may feed it).  0 (n == 0: nothing);
 * after cio_stream_feed_eof CIO_EINVALSTATE (asyncio's assertion); -ENOMEM
 * with nothing fed.  It may move the buffered bytes: a pointer from
 * cio_stream_read_ref or cio_stream_readline_ref is valid only until then.
 *
 * cio_stream_feed_eof: no more data; reads return what is buffered, then EOF
 * (0, CIO_EINCOMPLETE ...).  Idempotent.
 *
 * cio_stream_set_exception: every read from now on, a blocked one included,
 * returns err (a negative code; else -EINVAL) and records message (copied,
 * may be NULL) as the reading task's message (cio_fail), data still
 * buffered or not, as asyncio's reader raises its exception.  A second call
 * replaces the first.  -ENOMEM: nothing changed.
 *
 * All three: -ENOTSUP on a stream with an fd (its socket or pipe feeds it),
 * CIO_ECLOSED after cio_stream_close or cio_stream_abort, -EINVAL for a bad
 * stream, CIO_EWRONGLOOP from another loop's thread.
 *
 * @code{.c}
 * static int parse(void *arg, void **result)    // "k: v\r\n" headers
 * {
 *     cio_stream_t *s;
 *     int rc = cio_stream_new(0, &s);
 *     if (rc < 0)
 *         return rc;
 *     static const char hdr[] = "a: 1\r\nb: 2\r\n\r\n";
 *     cio_stream_feed_data(s, hdr, sizeof hdr - 1);
 *     cio_stream_feed_eof(s);
 *     char line[128];
 *     ssize_t n;
 *     while ((n = cio_stream_readuntil(s, "\r\n", 2, line, sizeof line)) > 2)
 *         printf("header: %.*s\n", (int)n - 2, line);
 *     cio_unref(s);
 *     return n < 0 ? (int)n : 0;
 * }
 * @endcode */
CIO_EXTERN int cio_stream_new(size_t limit, cio_stream_t **out);
CIO_EXTERN int cio_stream_feed_data(cio_stream_t *s, const void *data, size_t n);
CIO_EXTERN int cio_stream_feed_eof(cio_stream_t *s);
CIO_EXTERN int cio_stream_set_exception(cio_stream_t *s, int err, const char *message);
/** The stream's exception (asyncio's StreamReader.exception()): 0 if none,
 * else the code every read returns (a fed stream's
 * cio_stream_set_exception, or a lost connection's error), with its message
 * in *message (NULL if none or not asked; valid while the stream lives and
 * the exception is not replaced).  -EINVAL for a bad stream. */
CIO_EXTERN int cio_stream_exception(cio_stream_t *s, const char **message);
/** @} */

/** @defgroup stream_reading Reading
 * @ingroup streams
 *
 * Reading (from a task of the stream's loop; one reader at a time, a second
 * concurrent one gets CIO_EINVALSTATE).  After the stream is closed on our
 * side (cio_stream_close, cio_stream_abort, a server's close_clients or
 * abort_clients) reads see the end, as asyncio's reader is fed EOF: what is
 * buffered, then 0 (readexactly: CIO_EINCOMPLETE), a read blocked at the
 * time included; after the connection is lost every read returns its error
 * (-ECONNRESET ...), data still buffered included, as asyncio's reader
 * raises its exception.  A size
 * above SSIZE_MAX: -EINVAL.
 *
 * Fairness, as asyncio's: a read satisfied from bytes already buffered
 * returns at once; the socket itself is read at most once per loop
 * iteration, at most 256 KiB, and a read that needs it again goes through
 * the loop first (timers, signals and the other connections run meanwhile).
 * A client that never stops sending cannot hold the loop.
 * @{ */

/** Read at most n bytes; returns as soon as any data is there: the count,
 * 0 at EOF (and for n == 0). */
CIO_EXTERN ssize_t cio_stream_read(cio_stream_t *s, void *buf, size_t n);
/** The same without a copy: *data points to at most max bytes in the
 * stream's buffer, valid until the next call on the stream.  A task that
 * waits here holds no buffer of its own (an idle connection costs no read
 * buffer at all). */
CIO_EXTERN ssize_t cio_stream_read_ref(cio_stream_t *s, size_t max, const void **data);
/** Read everything up to EOF (asyncio's read(-1)) into a new buffer that the
 * caller frees with cio_free; returns its length. */
CIO_EXTERN ssize_t cio_stream_read_all(cio_stream_t *s, char **data);
/** Exactly n bytes.  EOF first: CIO_EINCOMPLETE, the partial data in buf and
 * its length in cio_stream_partial(s). */
CIO_EXTERN ssize_t cio_stream_readexactly(cio_stream_t *s, void *buf, size_t n);
/** One line, `'\n'` included; at EOF the last partial line (0: nothing left).
 * A line longer than the limit: CIO_ELIMITOVERRUN, and that line (or the whole
 * buffer, if it holds no `'\n'`) is discarded, as asyncio's readline.  A line
 * within the limit but longer than cap: -ENOBUFS, nothing consumed.  buf is
 * NUL-terminated when the line leaves room (a line of exactly cap bytes is
 * not).
 *
 * @code{.c}
 * static int print_lines(cio_stream_t *s)
 * {
 *     char line[256];
 *     ssize_t n;
 *     while ((n = cio_stream_readline(s, line, sizeof line)) > 0)
 *         printf("line: %.*s", (int)n, line);      // '\n' included
 *     return (int)n;                               // 0 at EOF, else the error
 * }
 * @endcode */
CIO_EXTERN ssize_t cio_stream_readline(cio_stream_t *s, char *buf, size_t cap);
/** The same without a copy: *line points into the stream's buffer, valid
 * until the next call on the stream.  The line iterator (async for):
 * @code{.c}
 * void use(const char *line, size_t n);        // yours
 *
 * static int each_line(cio_stream_t *s)
 * {
 *     const char *line;
 *     ssize_t n;
 *     while ((n = cio_stream_readline_ref(s, &line)) > 0) use(line, n);
 *     return (int)n;                               // 0 at EOF, else the error
 * }
 * @endcode */
CIO_EXTERN ssize_t cio_stream_readline_ref(cio_stream_t *s, const char **line);
/** Up to and including the separator (seplen >= 1, else -EINVAL).  Not found
 * within the limit: CIO_ELIMITOVERRUN, the buffer kept and
 * cio_stream_partial(s) set to asyncio's `consumed`.  EOF first:
 * CIO_EINCOMPLETE, the buffer consumed into buf and its length in
 * cio_stream_partial(s).  A match (or, at EOF, a rest) longer than cap:
 * -ENOBUFS, nothing consumed. */
CIO_EXTERN ssize_t cio_stream_readuntil(cio_stream_t *s, const void *sep, size_t seplen, void *buf, size_t cap);
/** Several separators (asyncio 3.13's tuple): the earliest match wins. */
CIO_EXTERN ssize_t cio_stream_readuntil_any(cio_stream_t *s, const void *const *seps, const size_t *seplens,
                                            size_t nseps, void *buf, size_t cap);
/** The count that goes with the stream's last CIO_EINCOMPLETE or
 * CIO_ELIMITOVERRUN. */
CIO_EXTERN size_t cio_stream_partial(cio_stream_t *s);
/** Which LimitOverrunError the stream's last CIO_ELIMITOVERRUN was, as
 * asyncio tells them apart by message: 1 "Separator is found, but chunk is
 * longer than limit" (cio_stream_partial = where the separator starts), 0
 * "Separator is not found, and chunk exceed the limit" (cio_stream_partial =
 * how far the search went).  -EINVAL for anything but a stream. */
CIO_EXTERN int cio_stream_limit_found(cio_stream_t *s);
/** 1 when the buffer is empty and EOF was seen. */
CIO_EXTERN int cio_stream_at_eof(cio_stream_t *s);
/** The readline/readuntil limit; 0: the default (CIO_STREAM_LIMIT). */
CIO_EXTERN int cio_stream_set_limit(cio_stream_t *s, size_t limit);
/** @} */

/** Buffer data for sending; never waits.  Writes are gathered: what a
 * connection is asked to write during one loop iteration leaves in one
 * sendmsg/writev at the end of that iteration (so a handler that writes a
 * reply per request sends the replies of a pipelined batch together); a
 * write that makes 16 KiB or more pending is sent at once, with what is
 * pending, without copying the caller's bytes.  What the socket does not
 * take is kept and sent as it drains.  The data is copied or sent before
 * the call returns: buf may be reused at once.  CIO_ECLOSED after close or
 * write_eof; the connection's error once it is lost (a send that fails at
 * the end of the iteration is seen by the next write or drain, as asyncio's
 * StreamWriter reports it through drain). */
CIO_EXTERN int cio_stream_write(cio_stream_t *s, const void *buf, size_t n);
CIO_EXTERN int cio_stream_writev(cio_stream_t *s, const struct iovec *iov, int iovcnt); /**< writelines */
/** asyncio's loop.sendfile(transport, file, offset, count), from a task:
 * send count bytes of the file fd from offset (count 0: to the end of the
 * file, asyncio's None), after whatever is already buffered.  Returns the
 * bytes sent (fewer than count when the file ends first; 0 for an offset at
 * or past its end), or an error.  A plain socket uses sendfile(2) whenever
 * the write buffer is empty, waiting for the socket as needed; TLS, and a
 * file sendfile(2) refuses, go through the stream's own write path in
 * 64 KiB chunks with drain's flow control.  Either way the file's position
 * is left at offset + the bytes sent (error or cancel included), as
 * asyncio's.  While it runs, cio_stream_write/writev return CIO_EINVALSTATE
 * (asyncio: "sendfile is in progress"), and so does a second sendfile.
 * Negative offset or count: -EINVAL; a bad file fd: -EBADF; a pipe stream
 * or a fed one: -ENOTSUP; closed: CIO_ECLOSED, or the connection's error;
 * a file that cannot be read at an offset (a pipe): -ESPIPE. */
CIO_EXTERN int64_t cio_stream_sendfile(cio_stream_t *s, int file, int64_t offset, int64_t count);
/** Flow control, as asyncio's drain: returns at once unless the buffer went
 * above the high-water mark, and then waits until it is back at or below the
 * low one.  After the connection is lost: its error (-EPIPE, -ECONNRESET);
 * after cio_stream_close: CIO_ECLOSED. */
CIO_EXTERN int cio_stream_drain(cio_stream_t *s);
/** Water marks of the write buffer (asyncio: high 64 KiB, low high/4);
 * 0 for either means its default. */
CIO_EXTERN int cio_stream_set_write_buffer_limits(cio_stream_t *s, size_t high, size_t low);
/** The water marks in force into *high and *low (the transport's
 * get_write_buffer_limits).  0; -EINVAL (a NULL argument); -ENOTSUP on a
 * read pipe. */
CIO_EXTERN int cio_stream_get_write_buffer_limits(cio_stream_t *s, size_t *high, size_t *low);
/** The bytes buffered for sending (0 for a bad argument). */
CIO_EXTERN size_t cio_stream_write_buffer_size(cio_stream_t *s);
/** Half-close after the buffered data (shutdown(SHUT_WR)); -ENOTSUP on TLS. */
CIO_EXTERN int cio_stream_write_eof(cio_stream_t *s);
/** 1 if cio_stream_write_eof is supported (not on TLS), else 0. */
CIO_EXTERN int cio_stream_can_write_eof(cio_stream_t *s);
/** Close: the buffered data is still sent, then the socket is closed.  Not a
 * suspension point; cio_stream_wait_closed waits for the end. */
CIO_EXTERN int cio_stream_close(cio_stream_t *s);
/** Close at once, dropping buffered data. */
CIO_EXTERN int cio_stream_abort(cio_stream_t *s);
/** Wait until the socket is closed (the flush done): 0, or the connection's
 * error. */
CIO_EXTERN int cio_stream_wait_closed(cio_stream_t *s);
/** 1 once the stream is closing or closed (closed, aborted or lost), else 0. */
CIO_EXTERN int cio_stream_is_closing(cio_stream_t *s);
/** @{ */
/** get_extra_info: the socket, its peer and local addresses. */
CIO_EXTERN int cio_stream_fd(cio_stream_t *s);
CIO_EXTERN int cio_stream_peername(cio_stream_t *s, struct sockaddr_storage *addr, socklen_t *len);
CIO_EXTERN int cio_stream_sockname(cio_stream_t *s, struct sockaddr_storage *addr, socklen_t *len);
/** @} */
/** Upgrade to TLS (client side unless the context is a server's): the
 * handshake is done when it returns.  CIO_ETLS, CIO_ETLSVERIFY, -ETIMEDOUT
 * (handshake_timeout seconds, 0: 60).  CIO_EINVALSTATE while bytes are
 * buffered either way (drain first) or the stream is TLS already.  A TLS
 * stream's close (or last unref) sends close_notify once its buffer is out,
 * then keeps the socket open until the peer's close_notify, its EOF, or the
 * shutdown timeout (30 s; tls_shutdown_timeout of the connection's options):
 * cio_stream_wait_closed returns then, 0 or -ETIMEDOUT.  Abort sends
 * nothing. */
CIO_EXTERN int cio_stream_start_tls(cio_stream_t *s, cio_tls_t *tls, const char *server_hostname,
                                    double handshake_timeout);
/** The negotiated ALPN protocol, or NULL. */
CIO_EXTERN const char *cio_stream_tls_alpn(cio_stream_t *s);
/** get_extra_info("cipher"): the negotiated cipher into *out.  The TLS
 * information (this call and the three below) is there once the handshake
 * has completed and stays until the stream is freed (after close or abort
 * too, as asyncio's extra info).  0; -ENOTSUP for a plain stream (asyncio's
 * None; always, when cio is built without OpenSSL), *out zeroed; -EINVAL for
 * a bad stream or a NULL out. */
CIO_EXTERN int cio_stream_tls_cipher(cio_stream_t *s, cio_tls_cipher_t *out);
/** get_extra_info("peercert") in binary form: the peer's certificate in DER
 * (asyncio's getpeercert(binary_form=True)).  *len is the size of der on
 * entry, the certificate's length on return.  0: copied.  -ENOBUFS: it does
 * not fit, nothing is written and *len is the size needed (der may be NULL
 * when *len is 0, to ask for it).  -ENODATA: the peer sent no certificate
 * (a server that did not ask for one; asyncio's None), *len 0.  -ENOTSUP for
 * a plain stream, *len 0.  -EINVAL for a bad stream, a NULL len, or a NULL
 * der with *len > 0. */
CIO_EXTERN int cio_stream_tls_peercert(cio_stream_t *s, void *der, size_t *len);
/** The subject of the peer's certificate on one line, in RFC 2253's form
 * ("CN=localhost,O=Example", most specific first, UTF-8 kept), NUL-terminated.
 * *len is the size of buf on entry, the subject's length without the NUL on
 * return.  0: copied.  -ENOBUFS: buf cannot hold it and its NUL, nothing is
 * written and *len is the length (buf needs *len + 1; buf may be NULL when
 * *len is 0).  -ENODATA, -ENOTSUP and -EINVAL as cio_stream_tls_peercert. */
CIO_EXTERN int cio_stream_tls_peer_subject(cio_stream_t *s, char *buf, size_t *len);
/** get_extra_info("ssl_object"): OpenSSL's `SSL *` of the connection, for
 * what cio does not wrap (the compression, the session, the verified
 * chain ...).  NULL for a plain stream or a bad argument.  Borrowed: valid
 * while the stream lives (until its last cio_unref); cio reads and writes
 * through it, so only query it: no SSL_read, SSL_write, SSL_shutdown or
 * SSL_free. */
CIO_EXTERN void *cio_stream_tls_ssl_object(cio_stream_t *s);

/** Free memory the library handed to the caller (cio_stream_read_all). */
CIO_EXTERN void cio_free(void *p);
/** @} */

/* ----------------------------------------------------------------- servers */
/** @defgroup servers Servers
 * @ingroup networking
 * @{ */

/** @name Server and transport objects
 * @{ */
/** A listening server (asyncio.Server); a connection driven by a protocol
 * (asyncio's transport), also a datagram endpoint. */
typedef struct cio_server_s cio_server_t;
typedef struct cio_transport_s cio_transport_t;
/** @} */

/** Zero means default. */
typedef struct cio_server_opts_s {
    const char *const *hosts;  /**< NULL-terminated list; overrides host */
    int family;                /**< AF_INET, AF_INET6, 0 for both */
    int backlog;               /**< default 100 */
    int no_reuse_address;      /**< SO_REUSEADDR is on by default */
    int reuse_port;            /**< SO_REUSEPORT */
    int delay_start;           /**< don't accept until start_serving/serve_forever */
    int keep_alive;            /**< SO_KEEPALIVE on accepted sockets */
    int no_cleanup_socket;     /**< Unix: keep the socket file at close */
    size_t limit;              /**< streams: readline/readuntil limit */
    cio_tls_t *tls;            /**< a server context: TLS for every client */
    double tls_handshake_timeout; /**< seconds, default 60 */
    size_t stack_size;         /**< streams: each client's task stack (0: the loop's) */
    double tls_shutdown_timeout; /**< TLS: as in cio_conn_opts_t (default 30) */
    /** With has_sock: listen on this bound stream socket instead of making
     * one (asyncio's sock=; systemd socket activation, a parent's socket).
     * See cio_start_server. */
    int sock;
    int has_sock; /**< nonzero: sock is given (fd 0 is a valid socket) */
} cio_server_opts_t;

/** A client handler of start_server: runs as a task per connection.  When it
 * returns the stream is closed (buffered data still flushed) and released;
 * take a reference (cio_ref) to keep it beyond.  An error it returns (other
 * than -ECANCELED) goes to the loop's exception handler.  The server counts
 * the connection until the handler has returned and the flush is done.
 * The task's stack is the loop's default (64 KiB) unless stack_size says
 * otherwise: a 64 KiB buffer does not fit on it, allocate it. */
typedef int cio_client_fn(cio_stream_t *s, void *arg);

/** Listen on host:port (host NULL: every interface; port 0: a free port,
 * cio_server_port tells which) and run fn(stream, arg) for each connection.
 * From the loop's thread; *out gets the server (cio_unref after close).
 *
 * With opts->has_sock the server listens on the caller's socket opts->sock
 * (asyncio's sock=): a bound SOCK_STREAM socket (TCP or Unix), made
 * non-blocking and close-on-exec here, and listen() is called on it with
 * the backlog.  host must be NULL, port 0, and hosts, family, reuse_port and
 * no_reuse_address unset, else -EINVAL; another socket type: -EINVAL; a
 * closed fd: -EBADF; not a socket: -ENOTSOCK; an fd the loop already has in
 * a stream, transport or server: CIO_EINVALSTATE; listen()'s error.  A
 * nonzero sock without has_sock: -EINVAL.  On success the socket is the
 * server's (closed by cio_server_close); on failure it is still the
 * caller's and open.
 *
 * @code{.c}
 * #include <cio.h>
 * #include <stdio.h>
 *
 * static int echo(cio_stream_t *s, void *arg)     // a task per connection
 * {
 *     char line[256];
 *     ssize_t n;
 *     while ((n = cio_stream_readline(s, line, sizeof line)) > 0) {
 *         int rc = cio_stream_write(s, line, (size_t)n);
 *         if (rc == 0)
 *             rc = cio_stream_drain(s);
 *         if (rc < 0)
 *             return rc;
 *     }
 *     return (int)n;                     // 0 at EOF; the stream is closed for us
 * }
 *
 * static int amain(void *arg, void **result)
 * {
 *     cio_server_t *sv;
 *     int rc = cio_start_server(echo, NULL, "127.0.0.1", 0, NULL, &sv);  // a free port
 *     if (rc < 0)
 *         return rc;
 *     cio_stream_t *s;
 *     rc = cio_open_connection("127.0.0.1", cio_server_port(sv), &s);
 *     if (rc == 0) {
 *         char reply[256];
 *         ssize_t n = cio_stream_write(s, "hello\n", 6);
 *         if (n == 0)
 *             n = cio_stream_readline(s, reply, sizeof reply);
 *         if (n > 0)
 *             printf("echoed: %.*s", (int)n, reply);
 *         rc = n < 0 ? (int)n : 0;
 *         cio_stream_close(s);
 *         cio_unref(s);
 *     }
 *     cio_server_close(sv);
 *     int wrc = cio_server_wait_closed(sv);   // the connection is gone too
 *     cio_unref(sv);
 *     return rc < 0 ? rc : wrc;
 * }
 *
 * int main(void) { return cio_run(amain, NULL, NULL) < 0; }
 * @endcode */
CIO_EXTERN int cio_start_server(cio_client_fn *fn, void *arg, const char *host, int port,
                                const cio_server_opts_t *opts, cio_server_t **out);
/** Unix socket: a stale socket file at path is removed before bind, and the
 * file is removed at close (unless no_cleanup_socket).  With opts->has_sock,
 * path NULL and an AF_UNIX socket, else as cio_start_server; the file it is
 * bound to is removed at close too (unless no_cleanup_socket), as in
 * asyncio 3.13. */
CIO_EXTERN int cio_start_unix_server(cio_client_fn *fn, void *arg, const char *path, const cio_server_opts_t *opts,
                                     cio_server_t **out);
/** Start accepting connections (after delay_start); 0 if already serving,
 * CIO_ECLOSED once closed. */
CIO_EXTERN int cio_server_start_serving(cio_server_t *sv);
/** Serve until cancelled or closed, then close the server and wait for its
 * connections to end (asyncio 3.12.1+): returns -ECANCELED.  A second
 * serve_forever: CIO_EINVALSTATE; on a closed server: CIO_ECLOSED. */
CIO_EXTERN int cio_server_serve_forever(cio_server_t *sv);
/** 1 while the server accepts connections (started, not closed), else 0. */
CIO_EXTERN int cio_server_is_serving(cio_server_t *sv);
/** The listening fds (at most cap); returns how many there are (0 once
 * closed). */
CIO_EXTERN int cio_server_sockets(cio_server_t *sv, int *fds, int cap);
/** The port of the first listening socket (useful after port 0). */
CIO_EXTERN int cio_server_port(cio_server_t *sv);
/** Server.get_loop(): the loop the server belongs to, from any thread;
 * NULL for a bad argument. */
CIO_EXTERN cio_loop_t *cio_server_get_loop(cio_server_t *sv);
/** Stop listening (a Unix server's socket file is removed, unless
 * no_cleanup_socket); existing connections go on. */
CIO_EXTERN int cio_server_close(cio_server_t *sv);
/** @{ */
/** Close (flushing) or abort every connection of the server (asyncio 3.13);
 * a handler blocked reading sees the end of its stream (0). */
CIO_EXTERN int cio_server_close_clients(cio_server_t *sv);
CIO_EXTERN int cio_server_abort_clients(cio_server_t *sv);
/** @} */
/** From a task: wait until the server is closed and every connection is gone
 * (asyncio 3.12.1+). */
CIO_EXTERN int cio_server_wait_closed(cio_server_t *sv);
/** Graceful shutdown in one call, from a task: stop accepting (as
 * cio_server_close), give the connections up to @p timeout seconds to end on
 * their own (a streams handler returning, a protocol closing its transport),
 * then abort the connections still open (unsent data dropped, the peer
 * reset) and cancel their handler tasks, and wait until every connection is
 * gone.  A handler must therefore let cancellation end it, as asyncio's
 * handlers must.  This is the way out of the trap of
 * cio_server_wait_closed, which waits for connected clients without limit.
 *
 * @return the number of connections that were still open at the deadline
 * (0: every one ended by itself), -EINVAL for a negative or NaN timeout,
 * CIO_ENOTASK outside a task, -ECANCELED if the calling task is cancelled
 * (the connections left are aborted and their tasks cancelled at once, not
 * waited for). */
CIO_EXTERN int cio_server_shutdown(cio_server_t *sv, double timeout);
/** @} */

/* -------------------------------------------------- transports, protocols */
/** @defgroup transports Transports and protocols
 * @ingroup networking
 * @{ */

/** Protocol callbacks, run by the loop.  ud is the transport's user data
 * (cio_transport_set_ud; initially the ud given at creation).  Any may be
 * NULL.  connection_made and connection_lost are called exactly once each;
 * err is 0 for a clean close.  With get_buffer set (asyncio's
 * BufferedProtocol) data arrives in the protocol's buffer: get_buffer
 * returns a buffer and its size, buffer_updated says how much was filled. */
typedef struct cio_protocol_s {
    /** The connection is set up (once). */
    void (*connection_made)(cio_transport_t *t, void *ud);
    /** n bytes arrived (without get_buffer). */
    void (*data_received)(cio_transport_t *t, const void *data, size_t n, void *ud);
    /** Nonzero keeps the transport half-open (ignored with TLS); else it is closed. */
    int (*eof_received)(cio_transport_t *t, void *ud);
    /** The connection is gone (once); err is 0 for a clean close. */
    void (*connection_lost)(cio_transport_t *t, int err, void *ud);
    /** The write buffer went above the high-water mark. */
    void (*pause_writing)(cio_transport_t *t, void *ud);
    /** The write buffer is back at or below the low-water mark. */
    void (*resume_writing)(cio_transport_t *t, void *ud);
    /** BufferedProtocol: a buffer to read into (about sizehint bytes), its size in *size. */
    void *(*get_buffer)(cio_transport_t *t, size_t sizehint, size_t *size, void *ud);
    /** BufferedProtocol: n bytes were read into get_buffer's buffer. */
    void (*buffer_updated)(cio_transport_t *t, size_t n, void *ud);
    /** Datagram endpoints: a datagram of n bytes from addr. */
    void (*datagram_received)(cio_transport_t *t, const void *data, size_t n, const struct sockaddr *addr,
                              socklen_t addrlen, void *ud);
    /** Datagram endpoints: a send or receive error (err < 0, e.g. -ECONNREFUSED). */
    void (*error_received)(cio_transport_t *t, int err, void *ud);
} cio_protocol_t;

/** @name Connecting
 * @{ */
/** From a task: connect (as cio_open_connection_ex) and start the protocol;
 * connection_made has run when it returns; *out gets a reference to the
 * transport.  The loop keeps its own until connection_lost has run.
 * opts->has_sock adopts a connected socket with cio_open_connection_ex's
 * rules (host NULL, port 0; path NULL and AF_UNIX for the Unix call); the
 * transport then closes it. */
CIO_EXTERN int cio_create_connection(const cio_protocol_t *p, void *ud, const char *host, int port,
                                     const cio_conn_opts_t *opts, cio_transport_t **out);
CIO_EXTERN int cio_create_unix_connection(const cio_protocol_t *p, void *ud, const char *path,
                                          const cio_conn_opts_t *opts, cio_transport_t **out);
/** @} */
/** Wrap a connected socket; connection_made runs from the loop.  On failure
 * the fd stays the caller's, open (a failed TLS handshake included).
 * opts->has_sock as well: -EINVAL. */
CIO_EXTERN int cio_connect_accepted_socket(const cio_protocol_t *p, void *ud, int fd, const cio_conn_opts_t *opts,
                                           cio_transport_t **out);
/** @name Pipes
 * @{ */
/** asyncio's connect_read_pipe and connect_write_pipe: a pipe end, FIFO,
 * character device (a terminal) or socket as a transport of one direction.
 * connection_made has run when the call returns (from any code of the
 * loop's thread, a task not needed); *out gets a reference, and the loop
 * keeps its own until connection_lost has run.  The fd is made non-blocking
 * (shared with whoever else holds its open file), its close-on-exec flag
 * left as it is, and becomes the transport's, closed with it; on failure
 * it stays the caller's, unchanged.
 * A NULL p or out: -EINVAL.  Anything but a pipe, socket or character
 * device (a regular file, a directory): -EINVAL.  A negative or closed fd,
 * or the wrong end (write-only to read, read-only to write): -EBADF.  A
 * character device epoll cannot watch (/dev/null): -EPERM.  No loop
 * running: CIO_ENOLOOP.
 *
 * A read pipe transport delivers data_received (or get_buffer and
 * buffer_updated); when every writer has closed, eof_received and then
 * connection_lost(0) (the transport closes whatever eof_received returns,
 * as asyncio's).  pause_reading, resume_reading, is_reading, close, abort
 * work; write, writev, write_eof and set_write_buffer_limits return
 * -ENOTSUP, can_write_eof 0.
 *
 * A write pipe transport has write, writev, get_write_buffer_size,
 * set_write_buffer_limits (pause_writing and resume_writing at the water
 * marks), close (flush, then close), abort, and write_eof, which is its
 * close (can_write_eof 1).  When the reader goes away: connection_lost(0)
 * with nothing buffered, connection_lost(-EPIPE) with bytes buffered or for
 * a write that fails (which returns -EPIPE); SIGPIPE is ignored, as for
 * subprocess pipes, if its disposition was the default.  pause_reading and
 * resume_reading return -ENOTSUP, is_reading 0.  On either kind peername
 * and sockname fail unless the fd is a socket. */
CIO_EXTERN int cio_connect_read_pipe(const cio_protocol_t *p, void *ud, int fd, cio_transport_t **out);
CIO_EXTERN int cio_connect_write_pipe(const cio_protocol_t *p, void *ud, int fd, cio_transport_t **out);
/** @} */
/** @{ */
/** Serve the protocol: each connection gets a transport whose ud starts as ud.
 * A connection counts for wait_closed until its connection_lost.
 * opts->has_sock serves on the caller's socket, as cio_start_server. */
CIO_EXTERN int cio_create_server(const cio_protocol_t *p, void *ud, const char *host, int port,
                                 const cio_server_opts_t *opts, cio_server_t **out);
CIO_EXTERN int cio_create_unix_server(const cio_protocol_t *p, void *ud, const char *path,
                                      const cio_server_opts_t *opts, cio_server_t **out);
/** @} */

/** @{ */
/** Datagram endpoint options (UDP, or AF_UNIX datagrams with the paths: a
 * local_path or remote_path means AF_UNIX, and a stale socket file at
 * local_path is removed before bind).  connection_made has run when
 * cio_create_datagram_endpoint returns.
 *
 * With has_sock the endpoint is made on the caller's SOCK_DGRAM socket sock
 * (asyncio's sock=), bound or connected as the caller left it, made
 * non-blocking and close-on-exec.  Every other field must then be unset
 * (asyncio: no socket modifier with sock), else -EINVAL; another socket
 * type: -EINVAL; a closed fd: -EBADF; not a socket: -ENOTSOCK; an fd the
 * loop already has: CIO_EINVALSTATE.  A nonzero sock without has_sock:
 * -EINVAL.  On success the socket is the endpoint's (closed with it); on
 * failure it is still the caller's and open. */
typedef struct cio_dgram_opts_s {
    const char *local_host;  /**< bind: host */
    int local_port;          /**< bind: port */
    const char *remote_host; /**< connect (sendto needs no address): host */
    int remote_port;         /**< connect: port */
    const char *local_path;  /**< AF_UNIX: bind to this path */
    const char *remote_path; /**< AF_UNIX: connect to this path */
    int family;              /**< AF_INET, AF_INET6 or 0 for either */
    int reuse_port;          /**< SO_REUSEPORT */
    int allow_broadcast;     /**< SO_BROADCAST */
    int sock;                /**< with has_sock: the caller's datagram socket */
    int has_sock;            /**< nonzero: sock is given (fd 0 is a valid socket) */
} cio_dgram_opts_t;
CIO_EXTERN int cio_create_datagram_endpoint(const cio_protocol_t *p, void *ud, const cio_dgram_opts_t *opts,
                                            cio_transport_t **out);
/** @} */

/** @{ */
/** Buffer data; never waits.  Gathered as cio_stream_write gathers it: one
 * sendmsg per connection at the end of the iteration, at once from 16 KiB
 * pending.  CIO_ECLOSED after close, abort or write_eof,
 * the connection's error after it is lost.  Crossing the high-water mark
 * calls pause_writing inside this call; resume_writing follows from the
 * loop at the low one.  On a datagram endpoint write is sendto(NULL). */
CIO_EXTERN int cio_transport_write(cio_transport_t *t, const void *buf, size_t n);
CIO_EXTERN int cio_transport_writev(cio_transport_t *t, const struct iovec *iov, int iovcnt);
/** loop.sendfile on a transport: as cio_stream_sendfile, from a task;
 * while it runs the transport's write/writev return CIO_EINVALSTATE.  A
 * datagram endpoint or a pipe transport: -ENOTSUP (asyncio: "not
 * supported for transport"); TLS uses the fallback, as asyncio. */
CIO_EXTERN int64_t cio_transport_sendfile(cio_transport_t *t, int file, int64_t offset, int64_t count);
/** asyncio's loop.start_tls(transport, protocol, ssl): from a task, upgrade
 * an open plain transport to TLS in place (client side unless the context
 * is a server's; server_hostname as cio_conn_opts_t's).  Returns when the
 * handshake is done: 0, the transport now encrypts and its protocol (kept,
 * no second connection_made) receives plaintext.  While it runs the
 * protocol gets no data and cio_transport_write/writev return
 * CIO_EINVALSTATE.  A failed handshake (CIO_ETLS, CIO_ETLSVERIFY,
 * -ETIMEDOUT after handshake_timeout seconds, 0: 60; -ECANCELED) closes
 * the transport, as asyncio's: connection_lost gets that code.  Bytes
 * written before are sent first, in plain.  CIO_EINVALSTATE when it is TLS
 * already or a sendfile runs;
 * -ENOTSUP for pipes and datagram endpoints, or without OpenSSL;
 * CIO_ECLOSED once closing; -EINVAL for a NULL tls. */
CIO_EXTERN int cio_transport_start_tls(cio_transport_t *t, cio_tls_t *tls, const char *server_hostname,
                                       double handshake_timeout);
/** @} */
/** Datagrams: addr NULL for a connected endpoint (else -EDESTADDRREQ; the
 * endpoint stays open).  An empty datagram is sent.  A send error goes to
 * error_received (asyncio), not to the return value; a datagram the socket
 * cannot take now is queued. */
CIO_EXTERN int cio_transport_sendto(cio_transport_t *t, const void *buf, size_t n, const struct sockaddr *addr,
                                    socklen_t addrlen);
/** Half-close after the buffered data (shutdown(SHUT_WR)).  -ENOTSUP on TLS
 * and on a datagram endpoint, CIO_ECLOSED once closing. */
CIO_EXTERN int cio_transport_write_eof(cio_transport_t *t);
/** 1 if cio_transport_write_eof is supported (not TLS, not datagrams), else 0. */
CIO_EXTERN int cio_transport_can_write_eof(cio_transport_t *t);
/** Flush, then close; connection_lost(0) follows from the loop. */
CIO_EXTERN int cio_transport_close(cio_transport_t *t);
/** Close now, dropping the buffer; connection_lost(0) follows. */
CIO_EXTERN int cio_transport_abort(cio_transport_t *t);
/** 1 once the transport is closing or closed (closed, aborted or lost), else 0. */
CIO_EXTERN int cio_transport_is_closing(cio_transport_t *t);
/** Stop delivering received data until resume_reading (flow control of the
 * reading side).  0. */
CIO_EXTERN int cio_transport_pause_reading(cio_transport_t *t);
/** Deliver received data again.  0. */
CIO_EXTERN int cio_transport_resume_reading(cio_transport_t *t);
/** 1 while received data is delivered (open and not paused), else 0. */
CIO_EXTERN int cio_transport_is_reading(cio_transport_t *t);
/** Water marks of the write buffer for pause_writing and resume_writing
 * (high 64 KiB, low high/4 by default; 0 for either means its default).
 * -EINVAL if low > high. */
CIO_EXTERN int cio_transport_set_write_buffer_limits(cio_transport_t *t, size_t high, size_t low);
/** get_write_buffer_limits(): the water marks in force into *high and *low.
 * 0; -EINVAL (a NULL argument); -ENOTSUP on a read pipe. */
CIO_EXTERN int cio_transport_get_write_buffer_limits(cio_transport_t *t, size_t *high, size_t *low);
/** The bytes buffered for sending (0 for a bad argument). */
CIO_EXTERN size_t cio_transport_get_write_buffer_size(cio_transport_t *t);
/** @{ */
/** get_extra_info: the socket (CIO_ECLOSED once closed), its peer and local
 * addresses (*len, if given, gets the address's length). */
CIO_EXTERN int cio_transport_fd(cio_transport_t *t);
CIO_EXTERN int cio_transport_peername(cio_transport_t *t, struct sockaddr_storage *addr, socklen_t *len);
CIO_EXTERN int cio_transport_sockname(cio_transport_t *t, struct sockaddr_storage *addr, socklen_t *len);
/** @} */
/** get_extra_info("cipher") of a TLS transport (made with
 * cio_conn_opts_t.tls, or accepted by a TLS server), as
 * cio_stream_tls_cipher: 0; -ENOTSUP for a plain transport or a datagram
 * endpoint, *out zeroed; -EINVAL.  The TLS information stays until the
 * transport is freed (after connection_lost too). */
CIO_EXTERN int cio_transport_tls_cipher(cio_transport_t *t, cio_tls_cipher_t *out);
/** get_extra_info("peercert"), the DER form, as cio_stream_tls_peercert: 0,
 * -ENOBUFS (*len: the size needed), -ENODATA (no peer certificate),
 * -ENOTSUP, -EINVAL. */
CIO_EXTERN int cio_transport_tls_peercert(cio_transport_t *t, void *der, size_t *len);
/** The peer certificate's subject on one line, as
 * cio_stream_tls_peer_subject. */
CIO_EXTERN int cio_transport_tls_peer_subject(cio_transport_t *t, char *buf, size_t *len);
/** get_extra_info("ssl_object"): the transport's `SSL *`, borrowed (valid
 * while the transport lives; query it only), NULL if not TLS. */
CIO_EXTERN void *cio_transport_tls_ssl_object(cio_transport_t *t);
/** The ALPN protocol a TLS transport negotiated, or NULL (none, not TLS,
 * or a bad argument), as cio_stream_tls_alpn. */
CIO_EXTERN const char *cio_transport_tls_alpn(cio_transport_t *t);
/** The user data that the protocol's callbacks receive (NULL for a bad argument). */
CIO_EXTERN void *cio_transport_get_ud(cio_transport_t *t);
/** Replace the user data that the protocol's callbacks receive.  0, -EINVAL. */
CIO_EXTERN int cio_transport_set_ud(cio_transport_t *t, void *ud);
/** @} */

/* ================================================================ every core */
/* ---------------------------------------------------------------- channels */
/** @defgroup channels Channels
 * @{ */

/** A bounded multi-producer multi-consumer channel of fixed-size values
 * (Go's chan), shared between the loops and threads of a program.  send and
 * recv wait from a task of any loop without blocking that loop, and block
 * the calling thread when called from a thread that runs no loop (from a
 * loop's callback, outside a task, a wait is refused with CIO_ENOTASK).
 * try_send and try_recv never wait.  Values are copied in and out
 * (elem_size bytes; a pointer is a value of sizeof(void *)).  Senders and
 * receivers each wait in FIFO order, so one producer's values come out in
 * the order it sent them.
 *
 * Ownership: a channel is reference-counted and thread-safe; cio_chan_new
 * gives the caller one reference, cio_chan_ref takes another (one per
 * thread or task that keeps it), cio_chan_unref releases one and the last
 * frees it.  A waiting operation holds its own reference.  After the last
 * unref the pointer is dangling like any freed pointer (a stale call is
 * caught with -EINVAL only while the memory is not reused).  Close the
 * channel before dropping references when someone may still wait on it.
 *
 * Cancellation: cancelling a task waiting in send, recv or select either
 * takes its wait back before any value moved (the call returns -ECANCELED,
 * nothing sent or received), or, when a value already moved, the call
 * reports that success and the cancel is delivered at the task's next
 * suspension point.  No value is lost or duplicated.
 *
 * @code{.c}
 * #include <cio.h>
 * #include <stdio.h>
 *
 * static int producer(void *arg, void **result)
 * {
 *     cio_chan_t *ch = arg;
 *     int rc = 0;
 *     for (int i = 1; rc == 0 && i <= 5; i++)
 *         rc = cio_chan_send(ch, &i);              // waits while full
 *     cio_chan_close(ch);                          // the receiver ends
 *     return rc;
 * }
 *
 * static int amain(void *arg, void **result)
 * {
 *     cio_chan_t *ch;
 *     int rc = cio_chan_new(sizeof(int), 2, &ch);  // 2 values may wait
 *     if (rc < 0)
 *         return rc;
 *     cio_task_t *p = cio_create_task(producer, ch);
 *     int v;
 *     while ((rc = cio_chan_recv(ch, &v)) == 0)    // drains, then closed
 *         printf("got %d\n", v);
 *     if (p) {
 *         cio_await(p, NULL);
 *         cio_unref(p);
 *     }
 *     cio_chan_unref(ch);
 *     return rc == CIO_ECHANCLOSED ? 0 : rc;
 * }
 *
 * int main(void) { return cio_run(amain, NULL, NULL) < 0; }
 * @endcode */
typedef struct cio_chan_s cio_chan_t;
/** A channel of elem_size-byte values holding up to capacity of them;
 * capacity 0 is a rendezvous (a send completes when a receiver takes it,
 * as Go's unbuffered channel).  0, -EINVAL (out NULL, capacity < 0 or
 * more than 2^40 bytes of ring), -ENOMEM.  *out gets the caller's reference. */
CIO_EXTERN int cio_chan_new(size_t elem_size, long capacity, cio_chan_t **out);
/** Take a reference; returns ch (NULL for a bad channel). */
CIO_EXTERN cio_chan_t *cio_chan_ref(cio_chan_t *ch);
/** Release a reference: the references left (0: freed), -EINVAL. */
CIO_EXTERN int cio_chan_unref(cio_chan_t *ch);
/** Close: sends fail with CIO_ECHANCLOSED from now on (waiting senders too,
 * their values not taken); receivers take what is left, then get
 * CIO_ECHANCLOSED.  0, CIO_ECHANCLOSED if already closed, -EINVAL. */
CIO_EXTERN int cio_chan_close(cio_chan_t *ch);
/** Copy the value at item into the channel, waiting while it is full.  0,
 * CIO_ECHANCLOSED (not sent), -ECANCELED (not sent), CIO_ENOTASK (from a
 * loop's callback), -EINVAL (bad channel, item NULL with elem_size > 0). */
CIO_EXTERN int cio_chan_send(cio_chan_t *ch, const void *item);
/** Take the oldest value into out, waiting while the channel is empty.  0,
 * CIO_ECHANCLOSED (closed and drained), -ECANCELED (nothing taken),
 * CIO_ENOTASK, -EINVAL. */
CIO_EXTERN int cio_chan_recv(cio_chan_t *ch, void *out);
/** @{ */
/** Without waiting: as send/recv, or -EAGAIN when it would wait.  From any
 * thread, task or callback. */
CIO_EXTERN int cio_chan_try_send(cio_chan_t *ch, const void *item);
CIO_EXTERN int cio_chan_try_recv(cio_chan_t *ch, void *out);
/** @} */
/** @{ */
/** Values waiting in it; its capacity; 1 once closed, else 0.  -EINVAL. */
CIO_EXTERN long cio_chan_len(cio_chan_t *ch);
CIO_EXTERN long cio_chan_cap(cio_chan_t *ch);
CIO_EXTERN int cio_chan_closed(cio_chan_t *ch);
/** @} */

/** A case of cio_chan_select: op on chan (NULL: a case never ready, as a
 * nil channel in Go), with item the value to send or where to receive. */
typedef struct cio_chan_case_s {
    cio_chan_t *chan; /**< the channel, or NULL to disable the case */
    int op;           /**< CIO_CHAN_SEND or CIO_CHAN_RECV */
    void *item;       /**< send: the value; recv: where it goes */
    int rc;           /**< out: 0, or CIO_ECHANCLOSED for the chosen case */
} cio_chan_case_t;
/** The operations of a select case. */
enum { CIO_CHAN_RECV = 0, CIO_CHAN_SEND = 1 };
/** cio_chan_select's flag: do not wait (Go's `default:` clause). */
#define CIO_CHAN_NOWAIT 1
/** Go's select: wait until one of the n cases (at most 64) can complete,
 * complete that one only and return its index.  When several are ready the
 * first in array order wins.  A send on a closed channel and a receive on
 * a closed, drained one are ready and complete with rc CIO_ECHANCLOSED.
 * With CIO_CHAN_NOWAIT, -EAGAIN when none is ready.  Errors: -ECANCELED
 * (nothing moved), CIO_ENOTASK, -EINVAL (bad case, n 0 or > 64, every
 * channel NULL without NOWAIT), -ENOMEM (more than 4 cases need their wait
 * records allocated). */
CIO_EXTERN int cio_chan_select(cio_chan_case_t *cases, size_t n, int flags);
/** @} */

/* -------------------------------------------------------------- loop groups */
/** @defgroup loopgroups Loop groups
 * @{ */

/** A group of loops, one per thread, started and stopped together: the way
 * to use every core (cio_run's loop uses one).  Loop 0 runs on the thread
 * that calls cio_loop_group_run, the others on threads of their own.  Each
 * loop runs a main task; a loop whose main has ended keeps serving calls
 * from the others until every main has ended, then each loop is shut down
 * as cio_run shuts its loop down (remaining tasks cancelled and awaited,
 * generators closed, the thread pool shut down, the loop closed).  The
 * loops share nothing: what crosses between them goes through channels
 * (cio_chan_t), cio_loop_group_call and the thread-safe calls.
 *
 * The first main to fail (any outcome but 0, and -ECANCELED from the
 * group's own stop) stops the group: the other mains are cancelled, and
 * run returns that failure, with its message in
 * cio_loop_group_error_message.  cio_loop_group_stop (from any thread) and
 * Ctrl-C (SIGINT at its default disposition, when the group runs on the
 * main thread) cancel every main; run then returns 0, or CIO_EINTERRUPTED
 * after Ctrl-C.
 *
 * @code{.c}
 * #include <cio.h>
 * #include <stdio.h>
 *
 * static int loop_main(void *arg, void **result)
 * {
 *     printf("loop %d of %d\n", cio_loop_group_index(),
 *            cio_loop_group_size(cio_loop_group_current()));
 *     return 0;
 * }
 *
 * int main(void)
 * {
 *     cio_loop_group_t *g;
 *     cio_loop_group_opts_t opts = {.nloops = 0, .pin = 1};   // one per CPU, pinned
 *     if (cio_loop_group_new(&opts, &g) < 0)
 *         return 1;
 *     int rc = cio_loop_group_run(g, loop_main, NULL);
 *     cio_loop_group_free(g);
 *     return rc < 0;
 * }
 * @endcode */
typedef struct cio_loop_group_s cio_loop_group_t;
/** At most this many loops in a group. */
#define CIO_LOOP_GROUP_MAX 1024
/** Options of cio_loop_group_new (NULL: all defaults). */
typedef struct cio_loop_group_opts_s {
    int nloops;        /**< 0: one per online CPU */
    int pin;           /**< 1: loop i's thread runs on the i-th allowed CPU only */
    size_t stack_size; /**< the loops' task stack size; 0: default */
} cio_loop_group_opts_t;
/** Make a group (no thread starts yet).  0, -EINVAL (out NULL, nloops < 0
 * or > CIO_LOOP_GROUP_MAX), -ENOMEM.  Free it with cio_loop_group_free. */
CIO_EXTERN int cio_loop_group_new(const cio_loop_group_opts_t *opts, cio_loop_group_t **out);
/** Free a group that is not running.  0, -EBUSY (running), -EINVAL. */
CIO_EXTERN int cio_loop_group_free(cio_loop_group_t *g);
/** The number of loops, -EINVAL. */
CIO_EXTERN int cio_loop_group_size(cio_loop_group_t *g);
/** Run fn(arg) as the main task of every loop and block until all have
 * ended and every loop is shut down.  0, the first failure, CIO_EINTERRUPTED
 * (Ctrl-C), -EBUSY (already running), CIO_ELOOPRUNNING (called from a
 * loop's thread), -EINVAL, -ENOMEM.  A group may be run again. */
CIO_EXTERN int cio_loop_group_run(cio_loop_group_t *g, cio_coro_fn *fn, void *arg);
/** As cio_loop_group_run, loop i running fns[i](args[i]) (args may be NULL). */
CIO_EXTERN int cio_loop_group_run_each(cio_loop_group_t *g, cio_coro_fn *const *fns, void *const *args);
/** Thread-safe: cancel every main (the group then ends as described).  0,
 * -EINVAL. */
CIO_EXTERN int cio_loop_group_stop(cio_loop_group_t *g);
/** The message of the failure run returned (NULL if none or without one);
 * valid until the group runs again or is freed. */
CIO_EXTERN const char *cio_loop_group_error_message(cio_loop_group_t *g);
/** @{ */
/** On a group's loop's thread: the group, and the loop's index (else NULL
 * and CIO_ENOLOOP). */
CIO_EXTERN cio_loop_group_t *cio_loop_group_current(void);
CIO_EXTERN int cio_loop_group_index(void);
/** @} */
/** Loop index of a running group into *loop (for the thread-safe calls:
 * cio_call_soon_threadsafe, cio_run_coroutine_threadsafe).  The pointer is
 * valid until every main of the group has ended (then the loops shut down);
 * call from a main or its tasks.  0, CIO_ELOOPCLOSED (not running, or that
 * loop is shutting down), -EINVAL. */
CIO_EXTERN int cio_loop_group_get_loop(cio_loop_group_t *g, int index, cio_loop_t **loop);
/** From a task: run fn(arg) as a task on loop index of g (its own loop
 * too) and wait for its outcome without blocking either loop; returns it,
 * with *result its value and its failure message (cio_fail) carried to the
 * caller's.  Cancelling the caller cancels the remote task, and the call
 * returns the remote outcome (-ECANCELED, or the result of a remote task
 * that ignored the cancel, as asyncio's await of a task); a remote task
 * cancelled on its own loop shows as -ECANCELED.  CIO_ENOTASK outside a
 * task, CIO_ELOOPCLOSED when that loop is not running or is shutting down,
 * -EINVAL, -ENOMEM.
 *
 * @code{.c}
 * int lookup(void *key, void **value);   // a coroutine that must run on loop 0
 *
 * static int handler(void *key, void **result)
 * {
 *     void *value;
 *     int rc = cio_loop_group_call(cio_loop_group_current(), 0, lookup, key, &value);
 *     if (rc < 0)
 *         return rc;                      // -ECANCELED if either side was cancelled
 *     *result = value;
 *     return 0;
 * }
 * @endcode */
CIO_EXTERN int cio_loop_group_call(cio_loop_group_t *g, int index, cio_coro_fn *fn, void *arg, void **result);
/** @{ */
/** Servers over a group: one streams server per loop, all listening on the
 * same address with SO_REUSEPORT, so the kernel spreads the connections
 * over the loops (each connection is served by the loop that accepted it,
 * fn(stream, arg) running there).  From a task of one of the group's
 * loops: starts a cio_start_server on every loop in turn (opts as there,
 * reuse_port forced on; port 0 picks one port for all).  0, the first
 * failure (the servers already started are closed), CIO_ENOTASK, -EINVAL
 * (opts->has_sock too), -ENOMEM.  The operations below apply to every
 * loop's server in turn, from a task, and return the first failure; free
 * releases the servers and the handle. */
typedef struct cio_loop_group_server_s cio_loop_group_server_t;
CIO_EXTERN int cio_loop_group_start_server(cio_loop_group_t *g, cio_client_fn *fn, void *arg, const char *host,
                                           int port, const cio_server_opts_t *opts, cio_loop_group_server_t **out);
CIO_EXTERN int cio_loop_group_server_port(cio_loop_group_server_t *gs);
CIO_EXTERN int cio_loop_group_server_close(cio_loop_group_server_t *gs);
CIO_EXTERN int cio_loop_group_server_close_clients(cio_loop_group_server_t *gs);
CIO_EXTERN int cio_loop_group_server_abort_clients(cio_loop_group_server_t *gs);
CIO_EXTERN int cio_loop_group_server_wait_closed(cio_loop_group_server_t *gs);
CIO_EXTERN int cio_loop_group_server_free(cio_loop_group_server_t *gs);
/** @} */
/** @} */

/* ================================================================ signals */
/** @defgroup signals Signals
 *
 * Unix signals delivered to the loop (asyncio's add_signal_handler): the
 * C-level handler only writes the signal number to the loop's wake-up pipe;
 * fn(arg) then runs on the loop as an ordinary callback (an error it returns
 * goes to the exception handler).  One loop per process owns a signal.
 * @{ */

/** Install (or replace) the handler of sig.  -EINVAL for a signal out of range
 * or one that cannot be caught (SIGKILL, SIGSTOP); CIO_EINVALSTATE when
 * another loop owns sig; CIO_ELOOPCLOSED.  From the loop's thread. */
CIO_EXTERN int cio_loop_add_signal_handler(cio_loop_t *loop, int sig, cio_callback_fn *fn, void *arg);
/** 1 if a handler was removed (the signal's default disposition is restored,
 * SIGINT's being the Runner's when a run is in progress), 0 if there was
 * none, -EINVAL. */
CIO_EXTERN int cio_loop_remove_signal_handler(cio_loop_t *loop, int sig);
/** @} */

/* ============================================================ subprocesses */
/** @defgroup subprocesses Subprocesses
 *
 * asyncio's create_subprocess_exec/shell and Process.  The child is spawned
 * with posix_spawn (no allocation between fork and exec), every fd but its
 * three standard ones closed, the signal mask emptied and SIGPIPE at its
 * default.  Its exit is noticed through a pidfd on the loop (a waiting
 * thread per child on kernels without pidfd): other children's exits are
 * never reaped.  SIGPIPE is ignored in this process once a child has a
 * stdin pipe (a write to a dead child is then -EPIPE), unless the program
 * installed a handler of its own.
 * @{ */

/** A child process (asyncio.subprocess.Process), reference-counted. */
typedef struct cio_process_s cio_process_t;

/** What each standard stream of the child is (zero: inherit, as asyncio's None). */
enum {
    CIO_STDIO_INHERIT = 0, /**< the parent's (the default) */
    CIO_STDIO_PIPE,    /**< a cio_stream_t in the parent (cio_process_stdin/stdout/stderr) */
    CIO_STDIO_DEVNULL, /**< /dev/null */
    CIO_STDIO_STDOUT,  /**< stderr only: to wherever stdout goes */
    CIO_STDIO_FD,      /**< the fd in *_fd (the caller's; not closed) */
};

/** Options of cio_create_subprocess_exec and _shell; zero means default. */
typedef struct cio_process_opts_s {
    int stdin_mode;                           /**< CIO_STDIO_*: the child's stdin */
    int stdout_mode;                          /**< CIO_STDIO_*: its stdout */
    int stderr_mode;                          /**< CIO_STDIO_*: its stderr */
    int stdin_fd;                             /**< with CIO_STDIO_FD: stdin's fd */
    int stdout_fd;                            /**< with CIO_STDIO_FD: stdout's fd */
    int stderr_fd;                            /**< with CIO_STDIO_FD: stderr's fd */
    const char *cwd;                          /**< NULL: the parent's */
    char *const *env;                         /**< "K=V" strings, NULL-terminated; NULL: the parent's */
    size_t limit;                             /**< the pipes' stream limit (0: CIO_STREAM_LIMIT) */
    int start_new_session;                    /**< setsid() in the child */
    const int *pass_fds;                      /**< fds the child keeps, same numbers (the rest >= 3 closed) */
    size_t npass_fds;                         /**< how many in pass_fds */
    int set_process_group;                    /**< nonzero: setpgid(0, process_group) in the child */
    pid_t process_group;                      /**< with set_process_group: 0 makes the child a group leader */
    int set_user;                             /**< nonzero: setreuid(user, user) in the child */
    uid_t user;                               /**< with set_user */
    int set_group;                            /**< nonzero: setregid(group, group) in the child */
    gid_t group;                              /**< with set_group */
    int set_umask;                            /**< nonzero: umask(umask) in the child */
    mode_t umask;                             /**< with set_umask */
} cio_process_opts_t;

/** From the loop's thread.  argv[0] is the program, looked up in PATH when
 * it has no '/' (the PATH of env when env is given, as asyncio).  opts may
 * be NULL (everything inherited).  An exec failure is the call's error (-ENOENT, -EACCES,
 * -ENOEXEC), no child is left behind.  -EINVAL for an empty argv or a NULL
 * argv[0], -EBADF for a bad CIO_STDIO_FD, CIO_EINVALSTATE for
 * CIO_STDIO_STDOUT anywhere but stderr.  Popen's options: pass_fds (each
 * an open fd, else -EBADF; NULL with a count: -EINVAL), process_group
 * (negative: -EINVAL), user, group, umask (-EINVAL outside 0..0777),
 * cwd, env, start_new_session; a failure to apply one in the child is the
 * call's error too (-EPERM for a user or group not allowed, -ENOENT for a
 * cwd that does not exist).  user, group and umask make the child with
 * fork(2) rather than posix_spawn (only async-signal-safe calls between
 * the two).  *out gets the process (cio_unref;
 * a child still running when its last reference goes is killed and reaped
 * by the loop; cio_run's shutdown waits for that).
 *
 * @code{.c}
 * #include <cio.h>
 * #include <stdio.h>
 *
 * static int amain(void *arg, void **result)
 * {
 *     const char *const argv[] = {"echo", "hello from a child", NULL};
 *     cio_process_opts_t opts = {.stdout_mode = CIO_STDIO_PIPE};
 *     cio_process_t *p;
 *     int rc = cio_create_subprocess_exec(argv, &opts, &p);
 *     if (rc < 0)
 *         return rc;                       // -ENOENT: no such program
 *     char *out = NULL;
 *     int status = -1;
 *     rc = cio_process_communicate(p, NULL, 0, &out, NULL, NULL, NULL);  // to EOF, and the exit
 *     cio_process_returncode(p, &status);
 *     if (rc == 0)
 *         printf("exit status %d: %s", status, out);
 *     cio_free(out);
 *     cio_unref(p);
 *     return rc;
 * }
 *
 * int main(void) { return cio_run(amain, NULL, NULL) < 0; }
 * @endcode */
CIO_EXTERN int cio_create_subprocess_exec(const char *const argv[], const cio_process_opts_t *opts,
                                          cio_process_t **out);
/** /bin/sh -c cmd. */
CIO_EXTERN int cio_create_subprocess_shell(const char *cmd, const cio_process_opts_t *opts, cio_process_t **out);

/** The child's pid (valid while p lives, even after it exited). */
CIO_EXTERN int cio_process_pid(cio_process_t *p);
/** 1 and *returncode once the child has exited (its exit status, or -N when
 * signal N killed it), 0 while it runs. */
CIO_EXTERN int cio_process_returncode(cio_process_t *p, int *returncode);
/** @{ */
/** The pipes (borrowed: valid while p lives), NULL where no pipe was asked. */
CIO_EXTERN cio_stream_t *cio_process_stdin(cio_process_t *p);
CIO_EXTERN cio_stream_t *cio_process_stdout(cio_process_t *p);
CIO_EXTERN cio_stream_t *cio_process_stderr(cio_process_t *p);
/** @} */
/** From a task: wait for the child to exit; 0 and *returncode (may be NULL).
 * -ECANCELED leaves the child running and still waitable.  As asyncio warns,
 * a child writing to a pipe nobody reads may block forever: use
 * communicate. */
CIO_EXTERN int cio_process_wait(cio_process_t *p, int *returncode);
/** From a task: send input (may be NULL) to stdin and close it, read stdout
 * and stderr to EOF at the same time, wait for the exit.  *out / *err (each
 * may be NULL, as may the lengths; freed with cio_free, NUL-terminated) get
 * what was read from a pipe, or NULL when that stream is not a pipe.  A
 * child that does not read its input is not an error.  0 or an error; a cancel
 * stops the transfers and leaves the child running (kill and wait it, or
 * unref it). */
CIO_EXTERN int cio_process_communicate(cio_process_t *p, const void *input, size_t inlen, char **out,
                                       size_t *outlen, char **err, size_t *errlen);
/** kill(2) the child; -ESRCH once it has exited (asyncio's
 * ProcessLookupError), -EINVAL for a bad signal. */
CIO_EXTERN int cio_process_send_signal(cio_process_t *p, int sig);
CIO_EXTERN int cio_process_terminate(cio_process_t *p); /**< SIGTERM */
CIO_EXTERN int cio_process_kill(cio_process_t *p);      /**< SIGKILL */

/** @name The subprocess transport (loop.subprocess_exec / subprocess_shell)
 * @{ */
/** asyncio's SubprocessProtocol; ud is the one given to cio_subprocess_exec.
 * Any callback may be NULL.  fd is the child's side: 0 stdin, 1 stdout,
 * 2 stderr.  Order, as asyncio's: connection_made first (it has run when
 * cio_subprocess_exec returns); then pipe_data_received, each pipe's
 * pipe_connection_lost (once) and process_exited (once) as they happen;
 * connection_lost last (err 0), only after the child has exited and every
 * pipe is closed. */
typedef struct cio_subprocess_protocol_s {
    /** The child is running and its pipes are connected (once). */
    void (*connection_made)(cio_process_t *p, void *ud);
    /** n bytes from the child's stdout (fd 1) or stderr (fd 2). */
    void (*pipe_data_received)(cio_process_t *p, int fd, const void *data, size_t n, void *ud);
    /** Pipe fd is closed (EOF, or closed by us); err 0 or -EPIPE ... */
    void (*pipe_connection_lost)(cio_process_t *p, int fd, int err, void *ud);
    /** The child has exited: cio_process_returncode gives its status. */
    void (*process_exited)(cio_process_t *p, void *ud);
    /** The end (once): the child has exited and every pipe is closed. */
    void (*connection_lost)(cio_process_t *p, int err, void *ud);
    /** The stdin pipe's write buffer went above its high-water mark. */
    void (*pause_writing)(cio_process_t *p, void *ud);
    /** ... and is back at or below the low one. */
    void (*resume_writing)(cio_process_t *p, void *ud);
} cio_subprocess_protocol_t;

/** Spawn argv (as cio_create_subprocess_exec) with its pipes as pipe
 * transports (cio_connect_write_pipe for stdin, cio_connect_read_pipe for
 * stdout and stderr) driving proto; no task needed.  opts NULL: all three
 * are pipes (asyncio's defaults for subprocess_exec); with opts, each
 * CIO_STDIO_PIPE there is one.  *out gets the transport, a cio_process_t:
 * cio_process_pid, cio_process_returncode (asyncio's get_returncode),
 * cio_process_send_signal/terminate/kill, cio_process_wait (which, as
 * asyncio's transport, returns only after connection_lost), and the calls
 * below.  The loop keeps its own reference until connection_lost has run;
 * cio_unref drops the caller's (it does not kill the child: close does).
 * Errors as cio_create_subprocess_exec; a NULL proto or out: -EINVAL. */
CIO_EXTERN int cio_subprocess_exec(const cio_subprocess_protocol_t *proto, void *ud, const char *const argv[],
                                   const cio_process_opts_t *opts, cio_process_t **out);
/** /bin/sh -c cmd; a NULL cmd: -EINVAL. */
CIO_EXTERN int cio_subprocess_shell(const cio_subprocess_protocol_t *proto, void *ud, const char *cmd,
                                    const cio_process_opts_t *opts, cio_process_t **out);
/** get_pipe_transport: the transport of the child's fd (0, 1 or 2; write
 * to stdin with cio_transport_write, close it with cio_transport_close),
 * borrowed, valid while p lives; NULL when that fd is not a pipe or p is
 * not a subprocess transport.  Its ud belongs to cio: do not change it. */
CIO_EXTERN cio_transport_t *cio_process_pipe_transport(cio_process_t *p, int fd);
/** Close the transport: close every pipe (stdin after its buffered bytes)
 * and, if the child still runs, kill it (SIGKILL), as asyncio.  The events
 * that follow still arrive (pipe_connection_lost, process_exited,
 * connection_lost).  Idempotent: 0.  -ENOTSUP on a process made by
 * cio_create_subprocess_exec (close its streams instead), -EINVAL for a bad
 * p, CIO_EWRONGLOOP/CIO_ENOLOOP off its loop's thread. */
CIO_EXTERN int cio_process_close(cio_process_t *p);
/** 1 once cio_process_close was called, else 0; errors as cio_process_close. */
CIO_EXTERN int cio_process_is_closing(cio_process_t *p);
/** @} */
/** @} */

/* =================================================================== files */
/** @defgroup files Files
 *
 * Asynchronous files, as aiofiles and libuv's uv_fs_* give them: each call
 * is made from a task, which waits for the operation while the loop runs
 * the others.  Two backends, chosen per loop at its first file operation:
 * io_uring (built when liburing was found; one ring per loop, its
 * operations submitted together once per loop iteration) and the loop's
 * thread pool (cio_to_thread's, the fallback on a kernel or sandbox that
 * refuses io_uring).  The CIO_FILE_BACKEND environment variable forces one
 * (`threadpool` or `io_uring`; an io_uring that cannot be had still falls
 * back).  The results are the same on both.
 *
 * Common to every call: from a task of a running loop (else CIO_ENOTASK, or
 * CIO_ENOLOOP with no loop running); errors are -errno as the system call
 * gives them (-ENOENT, -EACCES, -EISDIR, -ENOSPC, -EBADF ...), -EINVAL for a
 * NULL argument, a negative offset or a size over SSIZE_MAX, CIO_ECLOSED for
 * a file already closed.  A read or write moves at most 0x7ffff000 bytes,
 * as Linux's read(2).
 *
 * Cancellation is asyncio's: the task gets -ECANCELED.  An operation not yet
 * started never runs; one already running (in a pool thread or in the
 * kernel, where cio asks io_uring to cancel it) is waited for, then the call
 * returns -ECANCELED, so that nothing ever writes into the caller's buffer
 * after the call returned.  Its effect may have happened (a write may have
 * written); a cancelled open that did open closes the new fd.
 *
 * @code{.c}
 * #include <cio.h>
 * #include <fcntl.h>
 * #include <stdio.h>
 *
 * static int amain(void *arg, void **result)
 * {
 *     int rc = cio_file_write_all("/tmp/cio-hello.txt", "one\ntwo\n", 8);
 *     cio_file_t *f;
 *     if (rc < 0 || (rc = cio_file_open("/tmp/cio-hello.txt", O_RDONLY, 0, &f)) < 0)
 *         return rc;
 *     char line[64];
 *     ssize_t n;
 *     while ((n = cio_file_readline(f, line, sizeof line)) > 0)   // "one\n", "two\n", 0
 *         printf("%.*s", (int)n, line);
 *     rc = cio_file_close(f);              // the fd's close error, if any
 *     cio_file_free(f);
 *     cio_file_unlink("/tmp/cio-hello.txt");
 *     return n < 0 ? (int)n : rc;
 * }
 *
 * int main(void) { return cio_run(amain, NULL, NULL) < 0; }
 * @endcode
 * @{ */

/** An open file (aiofiles' file object): an fd, and the read-ahead buffer of
 * readline/readuntil.  Not reference-counted: cio_file_free ends it. */
typedef struct cio_file_s cio_file_t;

/** The file backends (cio_file_backend). */
enum { CIO_FILE_THREADPOOL = 1, /**< blocking calls in the loop's thread pool */
       CIO_FILE_IO_URING = 2    /**< io_uring operations */ };

/** The backend loop's file operations use (deciding it now if no operation
 * has yet): CIO_FILE_IO_URING or CIO_FILE_THREADPOOL, and *name ("io_uring",
 * "threadpool"; name may be NULL).  -EINVAL, CIO_ELOOPCLOSED. */
CIO_EXTERN int cio_file_backend(cio_loop_t *loop, const char **name);

/** open(2) with O_CLOEXEC added: *out gets the file (cio_file_free it).
 * -ENOENT, -EACCES, -EISDIR (a directory opened for writing) ... */
CIO_EXTERN int cio_file_open(const char *path, int flags, mode_t mode, cio_file_t **out);
/** The fd as a file; it becomes the file's (closed by cio_file_close or
 * cio_file_free).  -EBADF for a negative or closed fd, -ENOMEM.  No task
 * needed. */
CIO_EXTERN int cio_file_from_fd(int fd, cio_file_t **out);
/** The file's fd (still the file's), CIO_ECLOSED, -EINVAL. */
CIO_EXTERN int cio_file_fd(cio_file_t *f);
/** Close the fd; f stays valid (every call but cio_file_free then returns
 * CIO_ECLOSED).  0 or close(2)'s error (the fd is closed all the same);
 * -EBUSY while another task has an operation on f in flight. */
CIO_EXTERN int cio_file_close(cio_file_t *f);
/** Free f, closing its fd at once (a blocking close(2)) if cio_file_close
 * has not.  NULL is ignored.  -EBUSY while an operation is in flight,
 * -EINVAL for a pointer that is not a file.  No task needed. */
CIO_EXTERN int cio_file_free(cio_file_t *f);

/** @name Reading and writing
 * read/write/readv/writev at the file position (moving it; readv and writev
 * take offset -1 for that), pread/pwrite/readv/writev at an offset (>= 0;
 * beyond 4 GiB included).  The count, which may be short (0: end of file
 * for reads); a read into a directory: -EISDIR; a full disk: -ENOSPC.
 * Bytes read ahead by readline are returned by cio_file_read first, and
 * given back (the position moved back) before a write at the position.
 * @{ */
CIO_EXTERN ssize_t cio_file_read(cio_file_t *f, void *buf, size_t n); /**< read(2) at the position */
CIO_EXTERN ssize_t cio_file_write(cio_file_t *f, const void *buf, size_t n); /**< write(2) at the position */
CIO_EXTERN ssize_t cio_file_pread(cio_file_t *f, void *buf, size_t n, int64_t offset); /**< pread(2) */
CIO_EXTERN ssize_t cio_file_pwrite(cio_file_t *f, const void *buf, size_t n, int64_t offset); /**< pwrite(2) */
CIO_EXTERN ssize_t cio_file_readv(cio_file_t *f, const struct iovec *iov, int iovcnt, int64_t offset); /**< preadv(2); -1: readv(2) */
CIO_EXTERN ssize_t cio_file_writev(cio_file_t *f, const struct iovec *iov, int iovcnt, int64_t offset); /**< pwritev(2); -1: writev(2) */
/** @} */
/** lseek(2) (no task needed: it does not block): the new position, or
 * -EINVAL (a bad whence, a negative result), -ESPIPE (a pipe);
 * CIO_EINVALSTATE while an operation of f is in flight.  Drops what
 * readline read ahead (SEEK_CUR counts from the caller's position). */
CIO_EXTERN int64_t cio_file_seek(cio_file_t *f, int64_t offset, int whence);
/** fsync(2) and fdatasync(2): 0 or the error (-EIO, -ENOSPC ...). */
CIO_EXTERN int cio_file_fsync(cio_file_t *f);
CIO_EXTERN int cio_file_fdatasync(cio_file_t *f); /**< fdatasync(2) */
/** fstat(2) into *st. */
CIO_EXTERN int cio_file_fstat(cio_file_t *f, struct stat *st);

/** @name By path
 * stat(2), unlink(2), rename(2), mkdir(2), rmdir(2): 0 or -errno.
 * @{ */
CIO_EXTERN int cio_file_stat(const char *path, struct stat *st); /**< stat(2) into *st */
CIO_EXTERN int cio_file_unlink(const char *path); /**< unlink(2) */
CIO_EXTERN int cio_file_rename(const char *oldpath, const char *newpath); /**< rename(2) */
CIO_EXTERN int cio_file_mkdir(const char *path, mode_t mode); /**< mkdir(2) */
CIO_EXTERN int cio_file_rmdir(const char *path); /**< rmdir(2) */
/** @} */
/** The whole file into a new buffer, NUL-terminated, that the caller frees
 * with cio_free; returns its length.  *data is NULL on failure. */
CIO_EXTERN ssize_t cio_file_read_all(const char *path, char **data);
/** Create or truncate path (mode 0666 before the umask) and write the n
 * bytes: 0 or the first error (-ENOSPC ...). */
CIO_EXTERN int cio_file_write_all(const char *path, const void *data, size_t n);

/** @name A file read as a stream
 * asyncio's StreamReader calls over a file, with the same contracts as
 * cio_stream_readline, cio_stream_readuntil and cio_stream_readexactly
 * (CIO_ELIMITOVERRUN, CIO_EINCOMPLETE with cio_file_partial, -ENOBUFS for
 * a cap too small, nothing consumed).  The file reads ahead into a buffer
 * of the limit's size (CIO_STREAM_LIMIT unless cio_file_set_limit), made
 * at the first call.  One buffered reader at a time: CIO_EINVALSTATE while
 * another read of f is in flight.  At end of file the next call reads
 * again (a file may grow).
 * @{ */
CIO_EXTERN ssize_t cio_file_readline(cio_file_t *f, char *buf, size_t cap); /**< cio_stream_readline over f */
CIO_EXTERN ssize_t cio_file_readuntil(cio_file_t *f, const void *sep, size_t seplen, void *buf, size_t cap); /**< cio_stream_readuntil over f */
CIO_EXTERN ssize_t cio_file_readexactly(cio_file_t *f, void *buf, size_t n); /**< cio_stream_readexactly over f */
/** The count that goes with f's last CIO_EINCOMPLETE or CIO_ELIMITOVERRUN. */
CIO_EXTERN size_t cio_file_partial(cio_file_t *f);
/** The readline/readuntil limit (0: CIO_STREAM_LIMIT); CIO_EINVALSTATE
 * while bytes are buffered. */
CIO_EXTERN int cio_file_set_limit(cio_file_t *f, size_t limit);
/** @} */
/** Write everything s delivers, up to its EOF, at f's position: the byte
 * count, or the first error of either side (what was written stays). */
CIO_EXTERN int64_t cio_file_write_stream(cio_file_t *f, cio_stream_t *s);
/** @} */

#ifdef __cplusplus
}
#endif
#endif /* CIO_H */
