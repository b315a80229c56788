/* cio: Python's asyncio, as a C11 library.
 *
 * One event loop per thread, stackful coroutines, futures, tasks, timers,
 * cancellation, a thread pool and cross-thread scheduling.  Conventions:
 *   - A function that can fail returns int: >= 0 on success, a negative code
 *     on failure (-errno or a CIO_E* code); cio_strerror() names it.
 *   - Futures, tasks and handles are reference-counted: a function that hands
 *     one out gives the caller a reference, released with cio_unref().
 *   - Nothing here is thread-safe unless its comment says so.
 */
#ifndef CIO_H
#define CIO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(CIO_BUILDING) && defined(__GNUC__)
#define CIO_EXTERN __attribute__((visibility("default")))
#else
#define CIO_EXTERN
#endif

#define CIO_VERSION_MAJOR 0
#define CIO_VERSION_MINOR 1
#define CIO_VERSION_PATCH 0
#define CIO_VERSION_HEX ((CIO_VERSION_MAJOR << 16) | (CIO_VERSION_MINOR << 8) | CIO_VERSION_PATCH)

/* The library's version as "MAJOR.MINOR.PATCH". */
CIO_EXTERN const char *cio_version(void);

/* ------------------------------------------------------------------ errors */

/* The library's own error codes (asyncio's exceptions and RuntimeErrors),
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
    X(TASKGROUP, 4017, "one or more tasks of the group failed (see cio_taskgroup_error)")

enum {
#define CIO__ERR_ENUM(name, num, text) CIO_E##name = -(num),
    CIO_ERRNO_MAP(CIO__ERR_ENUM)
#undef CIO__ERR_ENUM
};

/* A readable message for any code this library returns (errno or CIO_E*). */
CIO_EXTERN const char *cio_strerror(int err);
/* The code's symbolic name ("ECANCELED", "CIO_EINVALSTATE", "0" for 0). */
CIO_EXTERN const char *cio_err_name(int err);

/* ------------------------------------------------------------- allocation */

/* Every allocation of the library goes through these three functions.  They
 * must be thread-safe (the thread pool and cross-thread calls allocate).  Set
 * before the first loop is created; NULL restores malloc/realloc/free. */
typedef struct cio_allocator_s {
    void *(*malloc)(void *ud, size_t size);
    void *(*realloc)(void *ud, void *ptr, size_t size);
    void (*free)(void *ud, void *ptr);
    void *ud;
} cio_allocator_t;

/* Returns 0, or -EINVAL if some but not all functions are given. */
CIO_EXTERN int cio_set_allocator(const cio_allocator_t *a);

/* --------------------------------------------------------- objects, types */

typedef struct cio_loop_s cio_loop_t;
/* A future: pending, then done with a result, an error or cancelled. */
typedef struct cio_future_s cio_future_t;
/* A task is a future that runs a coroutine: every cio_future_* call accepts a
 * task, exactly as asyncio's Task is a Future. */
typedef struct cio_future_s cio_task_t;
/* A scheduled callback (call_soon, call_later, call_at). */
typedef struct cio_handle_s cio_handle_t;

/* A coroutine: an ordinary function that runs on its task's own stack.  The
 * return value is the outcome (0 or a negative code; -ECANCELED ends the task
 * cancelled), *result its value (NULL by default).  The same signature is used
 * for blocking functions run in the thread pool. */
typedef int cio_coro_fn(void *arg, void **result);

/* A callback run by the loop.  A negative return goes to the loop's exception
 * handler, and the loop goes on. */
typedef int cio_callback_fn(void *arg);

/* Take one more reference on a future, task or handle; returns obj. */
CIO_EXTERN void *cio_ref(void *obj);
/* Drop one reference; the last one frees the object.  NULL is ignored.
 * Returns 0, or -EINVAL for a pointer that is not a live cio object (checked
 * by magic number; more unrefs than refs are caught this way until the
 * memory is reused). */
CIO_EXTERN int cio_unref(void *obj);

/* ----------------------------------------------------------------- the loop */

/* Create a loop.  *out gets it; -ENOMEM, or -errno from epoll/eventfd. */
CIO_EXTERN int cio_loop_new(cio_loop_t **out);
/* Close the loop: drop pending callbacks and timers, shut the thread pool
 * down (waiting for running jobs), release stacks and fds.  Idempotent.
 * -CIO_ELOOPRUNNING while it runs; -EBUSY while a task is still pending or a
 * future, task or handle of the loop is still referenced by the user. */
CIO_EXTERN int cio_loop_close(cio_loop_t *loop);
/* Close (if needed) and free the loop.  Same errors as cio_loop_close; on
 * error nothing is freed. */
CIO_EXTERN int cio_loop_free(cio_loop_t *loop);

/* Run until cio_loop_stop().  A stop requested before the call gives exactly
 * one iteration.  -CIO_ELOOPRUNNING if this or another loop runs in this
 * thread, -CIO_ELOOPCLOSED if closed. */
CIO_EXTERN int cio_loop_run_forever(cio_loop_t *loop);
/* Run until fut is done; returns its outcome and *result its value.  Also
 * -CIO_ESTOPPED when the loop was stopped first. */
CIO_EXTERN int cio_loop_run_until_complete(cio_loop_t *loop, cio_future_t *fut, void **result);
/* Ask the loop to return after the current batch of callbacks. */
CIO_EXTERN int cio_loop_stop(cio_loop_t *loop);
/* 1 or 0 (negative for a bad argument). */
CIO_EXTERN int cio_loop_is_running(cio_loop_t *loop);
CIO_EXTERN int cio_loop_is_closed(cio_loop_t *loop);
/* The loop's monotonic clock in seconds (CLOCK_MONOTONIC). */
CIO_EXTERN double cio_loop_time(cio_loop_t *loop);

/* Schedule fn(arg) for the next iteration, FIFO.  If handle is not NULL the
 * caller gets a reference to the handle (cio_unref() it).  -EINVAL, -ENOMEM,
 * -CIO_ELOOPCLOSED.  On failure fn never runs. */
CIO_EXTERN int cio_call_soon(cio_loop_t *loop, cio_callback_fn *fn, void *arg, cio_handle_t **handle);
/* Schedule fn(arg) delay seconds from now (<= 0: due at once, still after
 * what is already ready).  NaN or infinite delay: -EINVAL. */
CIO_EXTERN int cio_call_later(cio_loop_t *loop, double delay, cio_callback_fn *fn, void *arg, cio_handle_t **handle);
/* Schedule fn(arg) at an absolute cio_loop_time().  Equal deadlines run in
 * the order they were scheduled. */
CIO_EXTERN int cio_call_at(cio_loop_t *loop, double when, cio_callback_fn *fn, void *arg, cio_handle_t **handle);
/* Thread-safe: schedule fn(arg) from any thread, waking the loop if it sleeps.
 * No handle is returned.  -CIO_ELOOPCLOSED on a closed loop. */
CIO_EXTERN int cio_call_soon_threadsafe(cio_loop_t *loop, cio_callback_fn *fn, void *arg);

/* Cancel a handle that has not run: it will not run.  0, -EINVAL. */
CIO_EXTERN int cio_handle_cancel(cio_handle_t *h);
/* 1 once cio_handle_cancel was called (even after it ran, as asyncio), else 0. */
CIO_EXTERN int cio_handle_cancelled(cio_handle_t *h);
/* A timer handle's deadline on cio_loop_time()'s clock; -1 for a call_soon
 * handle or a bad argument. */
CIO_EXTERN double cio_handle_when(cio_handle_t *h);

/* The error-handling context, as asyncio's call_exception_handler dict. */
typedef struct cio_exc_context_s {
    const char *message;       /* what happened */
    int error;                 /* the error code, 0 if none */
    const char *error_message; /* the error's own message, or NULL */
    cio_future_t *future;      /* the future or task concerned, or NULL */
    cio_handle_t *handle;      /* the callback's handle, or NULL */
} cio_exc_context_t;

typedef void cio_exception_handler_fn(cio_loop_t *loop, const cio_exc_context_t *ctx, void *ud);
/* Set the loop's handler; NULL restores the default (a line on stderr). */
CIO_EXTERN int cio_loop_set_exception_handler(cio_loop_t *loop, cio_exception_handler_fn *fn, void *ud);
/* The current handler (NULL for the default); *ud gets its data if ud. */
CIO_EXTERN cio_exception_handler_fn *cio_loop_get_exception_handler(cio_loop_t *loop, void **ud);
/* The default handler: writes the context to stderr. */
CIO_EXTERN void cio_loop_default_exception_handler(cio_loop_t *loop, const cio_exc_context_t *ctx);
/* Call the loop's handler (or the default) with ctx. */
CIO_EXTERN int cio_loop_call_exception_handler(cio_loop_t *loop, const cio_exc_context_t *ctx);

/* Debug mode flag (the checks it enables grow over time). CIO_DEBUG=1 in the
 * environment sets it for new loops. */
CIO_EXTERN int cio_loop_set_debug(cio_loop_t *loop, int enabled);
CIO_EXTERN int cio_loop_get_debug(cio_loop_t *loop);
/* Default stack size of the loop's tasks, rounded up to pages; at least
 * 16 KiB.  Default 64 KiB. */
CIO_EXTERN int cio_loop_set_stack_size(cio_loop_t *loop, size_t size);

/* The loop running in this thread: 0 and *loop, or -CIO_ENOLOOP. */
CIO_EXTERN int cio_get_running_loop(cio_loop_t **loop);
/* The running loop, else the loop set for this thread, else -CIO_ENOLOOP. */
CIO_EXTERN int cio_get_event_loop(cio_loop_t **loop);
/* Set this thread's loop (NULL unsets); the caller keeps ownership. */
CIO_EXTERN int cio_set_event_loop(cio_loop_t *loop);

/* --------------------------------------------------------------- futures */

/* A new pending future on loop (cio_create_future: the running loop). */
CIO_EXTERN int cio_loop_create_future(cio_loop_t *loop, cio_future_t **out);
/* NULL when there is no running loop or no memory. */
CIO_EXTERN cio_future_t *cio_create_future(void);

/* Mark done with a value.  -CIO_EINVALSTATE if already done; -EINVAL on a
 * task (a task's outcome is its function's return). */
CIO_EXTERN int cio_future_set_result(cio_future_t *f, void *value);
/* Mark done with an error (err < 0, not -ECANCELED: use cancel) and an
 * optional message, copied.  -CIO_EINVALSTATE if already done. */
CIO_EXTERN int cio_future_set_exception(cio_future_t *f, int err, const char *msg);
/* Cancel a pending future (or request a task's cancellation, see
 * cio_task_cancel).  1 if it was pending, else 0.  msg is copied. */
CIO_EXTERN int cio_future_cancel(cio_future_t *f, const char *msg);
/* 1/0: done (result, error or cancelled); cancelled. */
CIO_EXTERN int cio_future_done(cio_future_t *f);
CIO_EXTERN int cio_future_cancelled(cio_future_t *f);
/* The outcome: 0 and *value, the error code, -ECANCELED if cancelled, or
 * -CIO_EINVALSTATE while pending.  Marks an error as retrieved. */
CIO_EXTERN int cio_future_result(cio_future_t *f, void **value);
/* The error code (0 if it has a result); -ECANCELED if cancelled;
 * -CIO_EINVALSTATE while pending. */
CIO_EXTERN int cio_future_exception(cio_future_t *f);
/* The message given with the error or the cancel (NULL if none).  Valid
 * while the caller holds a reference. */
CIO_EXTERN const char *cio_future_message(cio_future_t *f);
CIO_EXTERN cio_loop_t *cio_future_get_loop(cio_future_t *f);

typedef int cio_done_fn(cio_future_t *f, void *arg);
/* fn(f, arg) is scheduled with call_soon when f is done, in registration
 * order (at once through call_soon if f is already done).  -ENOMEM. */
CIO_EXTERN int cio_future_add_done_callback(cio_future_t *f, cio_done_fn *fn, void *arg);
/* Remove every registration of (fn, arg) not yet scheduled; returns how many. */
CIO_EXTERN int cio_future_remove_done_callback(cio_future_t *f, cio_done_fn *fn, void *arg);

/* Await a future or task from inside a task: suspends until it is done,
 * returns its outcome and *result its value.  Awaiting a done future returns
 * at once.  Cancelling the awaiting task cancels the awaited future.
 * -CIO_ENOTASK outside a task, -CIO_EWRONGLOOP for another loop's future,
 * -CIO_ESELFAWAIT for the task itself. */
CIO_EXTERN int cio_await(cio_future_t *aw, void **result);

/* ------------------------------------------------------------------ tasks */

typedef struct cio_task_opts_s {
    const char *name;  /* copied; NULL gives "Task-N" */
    size_t stack_size; /* 0: the loop's default */
    int eager;         /* run the first step now, inside the create call
                          (asyncio's eager_task_factory); from a task only */
} cio_task_opts_t;

/* Create a task running fn(arg) on loop; its first step runs on a later
 * iteration.  The loop keeps the task alive until it is done; *out gets the
 * caller's reference.  -EINVAL, -ENOMEM, -CIO_ELOOPCLOSED. */
CIO_EXTERN int cio_loop_create_task(cio_loop_t *loop, cio_coro_fn *fn, void *arg, const cio_task_opts_t *opts,
                                    cio_task_t **out);
/* The same on the running loop; NULL on failure (no loop, no memory). */
CIO_EXTERN cio_task_t *cio_create_task(cio_coro_fn *fn, void *arg);
CIO_EXTERN cio_task_t *cio_create_task_named(cio_coro_fn *fn, void *arg, const char *name);

/* Request cancellation (asyncio Task.cancel): 0 if the task is done, else 1,
 * on every call, counting one more cancel request.  The awaited future is
 * cancelled at once; otherwise -ECANCELED is delivered at the task's next
 * suspension point (or instead of its first step). */
CIO_EXTERN int cio_task_cancel(cio_task_t *t, const char *msg);
/* Outstanding cancel requests (cancel calls minus uncancel calls). */
CIO_EXTERN int cio_task_cancelling(cio_task_t *t);
/* Decrement the count and return it; at 0 a not yet delivered cancel is
 * dropped (3.13). */
CIO_EXTERN int cio_task_uncancel(cio_task_t *t);
/* The name, valid until it is changed or the task freed. */
CIO_EXTERN const char *cio_task_get_name(cio_task_t *t);
CIO_EXTERN int cio_task_set_name(cio_task_t *t, const char *name);

/* The task running now, or NULL (a borrowed pointer). */
CIO_EXTERN cio_task_t *cio_current_task(void);
/* Up to cap not-done tasks of loop into out (borrowed, valid until the
 * caller next suspends); returns how many there are in all. */
CIO_EXTERN int cio_all_tasks(cio_loop_t *loop, cio_task_t **out, size_t cap);

/* Suspend the current task for at least delay seconds; delay <= 0 yields
 * exactly one iteration.  0, -ECANCELED, -EINVAL (NaN), -CIO_ENOTASK. */
CIO_EXTERN int cio_sleep(double delay);
/* cio_sleep(0). */
CIO_EXTERN int cio_yield(void);

/* Record a message for the error the current task is about to return:
 * `return cio_fail(-EIO, "reading %s", path);` returns err. */
CIO_EXTERN int cio_fail(int err, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* ------------------------------------------------------------ composition */

/* gather: await every future or task in aws[0..n) from inside a task.
 * results[i] (if results) gets the i-th value, rcs[i] (if rcs) the i-th
 * outcome.  Without CIO_RETURN_EXCEPTIONS the first failure (a child's error,
 * or -ECANCELED for a child cancelled on its own) is returned at once and
 * the other children are not cancelled; with it, every outcome is stored and
 * 0 is returned.  Cancelling the awaiting task cancels every unfinished child
 * and returns -ECANCELED.  n == 0 returns 0 at once; the same task given
 * twice is awaited once.  -EINVAL (NULL array, NULL entry), -CIO_EWRONGLOOP,
 * -CIO_ENOTASK, -ENOMEM. */
#define CIO_RETURN_EXCEPTIONS 1
CIO_EXTERN int cio_gather(cio_future_t *const *aws, size_t n, void **results, int *rcs, int flags);

/* A coroutine call for the convenience forms. */
typedef struct cio_call_s {
    cio_coro_fn *fn;
    void *arg;
} cio_call_t;
/* gather over calls: one task per call, created in order, then as
 * cio_gather.  The tasks are released before returning. */
CIO_EXTERN int cio_gather_calls(const cio_call_t *calls, size_t n, void **results, int *rcs, int flags);

/* The gather as a future (asyncio's _GatheringFuture): *out completes when
 * the gather does; cancelling it cancels the unfinished children.  Its
 * outcome is cio_gather's; cio_gather_results copies the per-child values
 * and outcomes (n entries each) once it is done. */
CIO_EXTERN int cio_gather_start(cio_future_t *const *aws, size_t n, int flags, cio_future_t **out);
CIO_EXTERN int cio_gather_results(cio_future_t *gather, void **results, int *rcs);

/* wait: from a task, wait until return_when holds or timeout seconds pass
 * (timeout < 0 or INFINITY: no limit).  done and pending (capacity n each,
 * either may be NULL) receive the futures of each kind, in input order, and
 * *ndone / *npending their counts.  Never returns the children's errors and
 * never cancels anything.  0, -ECANCELED (the waiting task was cancelled),
 * -EINVAL (n == 0, NULL array, bad return_when, NaN timeout). */
enum { CIO_FIRST_COMPLETED = 1, CIO_FIRST_EXCEPTION = 2, CIO_ALL_COMPLETED = 3 };
CIO_EXTERN int cio_wait(cio_future_t *const *fs, size_t n, double timeout, int return_when, cio_future_t **done,
                        size_t *ndone, cio_future_t **pending, size_t *npending);

/* wait_for: await f for at most timeout seconds (INFINITY: no limit).  On
 * timeout f is cancelled and waited for until it really ends, then
 * -ETIMEDOUT is returned, unless f swallowed the cancel and produced a value,
 * which is returned.  Cancelling the caller cancels f. */
CIO_EXTERN int cio_wait_for(cio_future_t *f, double timeout, void **result);
/* wait_for over a call, run inline in the caller's task under a timeout
 * scope (asyncio 3.12); timeout <= 0 never calls fn and returns -ETIMEDOUT. */
CIO_EXTERN int cio_wait_for_call(cio_coro_fn *fn, void *arg, double timeout, void **result);

/* shield: await f, but a cancel of the awaiting task does not reach f: the
 * caller gets -ECANCELED while f goes on.  If f itself is cancelled the
 * outcome is -ECANCELED; a done f returns its outcome at once. */
CIO_EXTERN int cio_shield(cio_future_t *f, void **result);

/* as_completed: an iterator handing back the futures of fs in completion
 * order.  Each cio_as_completed_next returns 1 and *f (borrowed: the caller
 * owns fs), 0 once every future was handed back, -ETIMEDOUT for each
 * remaining one after timeout seconds (< 0 or INFINITY: none) — nothing is
 * cancelled — or -ECANCELED if the waiting task is cancelled. */
typedef struct cio_as_completed_s cio_as_completed_t;
CIO_EXTERN int cio_as_completed_new(cio_future_t *const *fs, size_t n, double timeout, cio_as_completed_t **out);
CIO_EXTERN int cio_as_completed_next(cio_as_completed_t *it, cio_future_t **f);
CIO_EXTERN int cio_as_completed_free(cio_as_completed_t *it);

/* timeout scopes (asyncio.timeout / timeout_at), in the caller's storage:
 *
 *     cio_timeout_t to;
 *     int rc = cio_timeout_enter(&to, 10.0);
 *     if (rc == 0) rc = cio_timeout_exit(&to, long_running(arg, NULL));
 *
 * At the deadline the current task is cancelled; exit turns the -ECANCELED
 * of *this* expiry into -ETIMEDOUT, only when the task's cancel count is back
 * at its value on entry; anything else passes through.  A deadline already
 * past fires at the next suspension; a block that never suspends is never
 * interrupted.  Every enter must be matched by an exit in the same task,
 * innermost first (the task keeps the list of its entered scopes). */
typedef struct cio_timeout_s {
    uint64_t opaque[10];
} cio_timeout_t;
/* delay seconds from now; INFINITY: no deadline.  -CIO_ENOTASK,
 * -CIO_EINVALSTATE if this scope is already entered, -EINVAL (NaN). */
CIO_EXTERN int cio_timeout_enter(cio_timeout_t *to, double delay);
/* An absolute deadline on cio_loop_time()'s clock. */
CIO_EXTERN int cio_timeout_enter_at(cio_timeout_t *to, double when);
/* Leave the scope; returns rc, or -ETIMEDOUT as described above.
 * -CIO_EINVALSTATE if not entered, or from another task. */
CIO_EXTERN int cio_timeout_exit(cio_timeout_t *to, int rc);
/* Move the deadline (INFINITY disables it).  -CIO_EINVALSTATE unless
 * entered and not yet expired. */
CIO_EXTERN int cio_timeout_reschedule(cio_timeout_t *to, double when);
/* The deadline (INFINITY if none); NAN for a zeroed scope never entered
 * (only meaningful once entered). */
CIO_EXTERN double cio_timeout_when(cio_timeout_t *to);
/* 1 once the deadline fired, else 0. */
CIO_EXTERN int cio_timeout_expired(cio_timeout_t *to);

/* TaskGroup.  Made inside a task, which becomes its owner (the body).
 *
 *     cio_taskgroup_t *tg = cio_taskgroup_new();
 *     cio_taskgroup_create_task(tg, fetch, &a);
 *     cio_taskgroup_create_task(tg, fetch, &b);
 *     rc = cio_taskgroup_wait(tg);      // leaving `async with`
 *     ...inspect errors...
 *     cio_taskgroup_free(tg);
 *
 * The first child that fails with an error other than -ECANCELED cancels the
 * other children and the owner.  wait returns 0, -ECANCELED (a cancel from
 * outside and no child error), or -CIO_ETASKGROUP with every error listed
 * (never a cancellation).  The group restores the owner's cancel count. */
typedef struct cio_taskgroup_s cio_taskgroup_t;
/* NULL outside a task or without memory. */
CIO_EXTERN cio_taskgroup_t *cio_taskgroup_new(void);
/* The new task (borrowed: the group holds it until freed) or NULL; refused
 * once the group is finished or shutting down after a failure. */
CIO_EXTERN cio_task_t *cio_taskgroup_create_task(cio_taskgroup_t *tg, cio_coro_fn *fn, void *arg);
/* The same with options and an error code: -CIO_EINVALSTATE when refused. */
CIO_EXTERN int cio_taskgroup_create_task_ex(cio_taskgroup_t *tg, cio_coro_fn *fn, void *arg,
                                            const cio_task_opts_t *opts, cio_task_t **out);
/* Leave the group with the body's own outcome body_rc (an error of the body
 * is listed with the children's, and cancels them). */
CIO_EXTERN int cio_taskgroup_exit(cio_taskgroup_t *tg, int body_rc);
/* cio_taskgroup_exit(tg, 0). */
CIO_EXTERN int cio_taskgroup_wait(cio_taskgroup_t *tg);
/* The errors after exit: their count, and the i-th (code, the task that
 * failed — the owner for the body's error — and its message or NULL). */
CIO_EXTERN int cio_taskgroup_error_count(cio_taskgroup_t *tg);
CIO_EXTERN int cio_taskgroup_error(cio_taskgroup_t *tg, int i, int *code, cio_task_t **task, const char **message);
/* Free a group that was exited (or never had a task).  -EBUSY otherwise. */
CIO_EXTERN int cio_taskgroup_free(cio_taskgroup_t *tg);

/* ---------------------------------------------------------------- runners */

typedef struct cio_runner_s cio_runner_t;
typedef struct cio_runner_opts_s {
    int debug;         /* 1 on, 0 off, -1 keep the default (CIO_DEBUG) */
    size_t stack_size; /* 0: default */
} cio_runner_opts_t;

/* A runner owns one loop, created lazily, across several runs.  opts may be
 * NULL.  -ENOMEM. */
CIO_EXTERN int cio_runner_new(const cio_runner_opts_t *opts, cio_runner_t **out);
/* Run fn(arg) as the main task until done; returns its outcome, *result its
 * value.  -CIO_ELOOPRUNNING inside a running loop, -CIO_ERUNNERCLOSED. */
CIO_EXTERN int cio_runner_run(cio_runner_t *r, cio_coro_fn *fn, void *arg, void **result);
/* The runner's loop, created if needed. */
CIO_EXTERN int cio_runner_get_loop(cio_runner_t *r, cio_loop_t **loop);
/* asyncio.run's shutdown: cancel the remaining tasks and wait for them, shut
 * the thread pool down, close the loop.  Idempotent. */
CIO_EXTERN int cio_runner_close(cio_runner_t *r);
/* Close and free. */
CIO_EXTERN int cio_runner_free(cio_runner_t *r);
/* asyncio.run: a fresh loop, fn(arg) as the main task, then the shutdown. */
CIO_EXTERN int cio_run(cio_coro_fn *fn, void *arg, void **result);

/* ------------------------------------------------------- threads, executor */

/* Run the blocking fn(arg, &result) in the loop's thread pool; *out gets a
 * future for its outcome.  Cancelling the future does not stop the thread.
 * -ENOMEM, -CIO_ELOOPCLOSED. */
CIO_EXTERN int cio_loop_run_in_executor(cio_loop_t *loop, cio_coro_fn *fn, void *arg, cio_future_t **out);
/* From a task: run fn in the pool and await it (asyncio.to_thread). */
CIO_EXTERN int cio_to_thread(cio_coro_fn *fn, void *arg, void **result);
/* Maximum worker threads of the loop's pool (default min(32, cpus + 4)). */
CIO_EXTERN int cio_loop_set_executor_size(cio_loop_t *loop, int max_workers);
/* Wait for the pool's jobs and join its threads; the next job starts a new pool. */
CIO_EXTERN int cio_loop_shutdown_default_executor(cio_loop_t *loop);

/* A thread-safe future, as concurrent.futures.Future. */
typedef struct cio_tsfuture_s cio_tsfuture_t;
/* Thread-safe: from any thread other than loop's, run fn(arg) as a task on
 * loop.  *out gets a thread-safe future (free it with cio_tsfuture_free). */
CIO_EXTERN int cio_run_coroutine_threadsafe(cio_loop_t *loop, cio_coro_fn *fn, void *arg, cio_tsfuture_t **out);
/* Block the calling thread until done or timeout seconds (< 0: no limit).
 * Returns the task's outcome (*result its value) or -ETIMEDOUT. */
CIO_EXTERN int cio_tsfuture_wait(cio_tsfuture_t *f, double timeout, void **result);
/* Request the task's cancellation on its loop. 1 if not yet done, else 0. */
CIO_EXTERN int cio_tsfuture_cancel(cio_tsfuture_t *f);
/* 1/0. */
CIO_EXTERN int cio_tsfuture_done(cio_tsfuture_t *f);
/* Release the caller's reference (the task itself goes on). */
CIO_EXTERN int cio_tsfuture_free(cio_tsfuture_t *f);

#ifdef __cplusplus
}
#endif
#endif /* CIO_H */
