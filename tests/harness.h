/* A small test harness: typed checks that print both values and error names,
 * a counting allocator that finds leaks after every case, and a case table
 * whose first command-line argument filters cases by name.
 *
 *   static void t_something(void) { ... CHECK_RC(rc, 0); ... }
 *   static const struct test_case cases[] = { TEST(t_something), ... };
 *   int main(int argc, char **argv) { return run_tests(argc, argv, cases, NCASES(cases)); }
 */
#ifndef CIO_TEST_HARNESS_H
#define CIO_TEST_HARNESS_H

#include <cio.h>

#include <errno.h>
#include <execinfo.h>
#include <stdarg.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Under ThreadSanitizer every live task is a fiber, and TSan allows about
 * 8000 of those at once: suites scale their crowds down to this. */
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CIO_TEST_TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define CIO_TEST_TSAN 1
#endif
/* Sanitized builds, whether through -DCIO_SANITIZE (which defines
 * CIO_TEST_SANITIZED) or the usual CFLAGS=-fsanitize=...: the library notices
 * them itself, and so do the tests. */
#ifndef CIO_TEST_SANITIZED
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define CIO_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define CIO_TEST_SANITIZED 1
#endif
#endif
#endif
#ifdef CIO_TEST_TSAN
#define TEST_CROWD(n) ((n) > 1000 ? 1000 : (n)) /* a live TSan fiber costs ~10 ms to make */
/* A case whose order is decided by sleeps a few milliseconds apart: TSan's
 * slowdown (a fiber per task) blurs those, so it runs in the other builds. */
#define SKIP_TIMING_UNDER_TSAN()                                            \
    do {                                                                    \
        fprintf(stderr, "skip %s: millisecond timing under TSan\n", __func__); \
        return;                                                             \
    } while (0)
#else
#define TEST_CROWD(n) (n)
#define SKIP_TIMING_UNDER_TSAN() ((void)0)
#endif

struct test_case {
    const char *name;
    void (*fn)(void);
};
#define TEST(f) {#f, f}
#define NCASES(a) (sizeof(a) / sizeof((a)[0]))

static int test_failed;
static const char *test_current;

/* The allocation-failure sweep (CIO_FAULT_SWEEP=1, see run_tests): while an
 * allocation has been failed on purpose, a failed check is the expected
 * consequence and is counted, not printed; whether the case saw -ENOMEM
 * anywhere is noted. */
static int test_sweeping;
static int test_saw_enomem;
#ifdef TEST_SWEEP_STRICT
enum { test_sweep_strict = 1 };
#else
enum { test_sweep_strict = 0 };
#endif
static void test_sweep_child_done(void);
static void test_failf(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define FAILF(...) test_failf(__FILE__, __LINE__, __VA_ARGS__)

#define CHECK(c)                                  \
    do {                                          \
        if (!(c))                                 \
            FAILF("check failed: %s", #c);        \
    } while (0)

#define CHECK_INT(a, b)                                                                  \
    do {                                                                                 \
        long long a_ = (long long)(a), b_ = (long long)(b);                              \
        if (a_ != b_)                                                                    \
            FAILF("%s == %lld, expected %s == %lld", #a, a_, #b, b_);                   \
    } while (0)

#define CHECK_RC(a, b)                                                                   \
    do {                                                                                 \
        int a_ = (int)(a), b_ = (int)(b);                                                \
        if (a_ != b_)                                                                    \
            FAILF("%s == %d (%s), expected %d (%s)", #a, a_, cio_err_name(a_), b_,       \
                  cio_err_name(b_));                                                     \
    } while (0)

#define CHECK_STR(a, b)                                                                  \
    do {                                                                                 \
        const char *a_ = (a), *b_ = (b);                                                 \
        if (!a_ || !b_ || strcmp(a_, b_) != 0)                                           \
            FAILF("%s == \"%s\", expected \"%s\"", #a, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
    } while (0)

/* Fails and returns from the current function: for checks that later lines
 * depend on. */
#define REQUIRE(c)                                \
    do {                                          \
        if (!(c)) {                               \
            FAILF("requirement failed: %s", #c);  \
            return;                               \
        }                                         \
    } while (0)

/* In a coroutine with an `out:` label: fail the case and jump to its cleanup. */
#define REQ(c)                                   \
    do {                                         \
        if (!(c)) {                              \
            FAILF("requirement failed: %s", #c); \
            goto out;                            \
        }                                        \
    } while (0)

/* The same for a setup call that returns 0 (or more) or an error: the error
 * is printed by name (so the allocation sweep sees -ENOMEM). */
#define REQ_RC(call)                                                          \
    do {                                                                      \
        int r_ = (int)(call);                                                 \
        if (r_ < 0) {                                                         \
            FAILF("%s == %d (%s), required to succeed", #call, r_, cio_err_name(r_)); \
            goto out;                                                         \
        }                                                                     \
    } while (0)

/* The same for a call that must return exactly 0. */
#define REQ_OK(call)                                                                        \
    do {                                                                                    \
        int r_ = (int)(call);                                                               \
        if (r_ != 0) {                                                                      \
            FAILF("%s == %d (%s), required to be 0", #call, r_, cio_err_name(r_));          \
            goto out;                                                                       \
        }                                                                                   \
    } while (0)

/* A case's cleanup after a failed setup: cancel each task of ts that was
 * created (NULL entries are skipped, a task listed twice is reaped once),
 * wait until it is done, mark its outcome seen and release it, so that no
 * child outlives the frame that holds its arguments; the entries are set to
 * NULL.  A child that swallows a cancel, or a wait refused for want of
 * memory, gets another try.  From a task, waiting with cio_await; with
 * loop non-NULL, from outside that loop (not running), by running it. */
static inline void reap_tasks_via(cio_loop_t *loop, cio_task_t **ts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!ts[i])
            continue;
        for (size_t j = i + 1; j < n; j++)
            if (ts[j] == ts[i])
                ts[j] = NULL;
        for (int k = 0; k < 100 && cio_future_done(ts[i]) == 0; k++) {
            cio_task_cancel(ts[i], NULL);
            if (loop)
                cio_loop_run_until_complete(loop, ts[i], NULL);
            else
                cio_await(ts[i], NULL);
        }
        if (cio_future_done(ts[i]) != 1)
            FAILF("a child task would not end");
        cio_future_exception(ts[i]); /* seen: the case has failed already if it matters */
        cio_unref(ts[i]);
        ts[i] = NULL;
    }
}

static inline void reap_tasks(cio_task_t **ts, size_t n)
{
    reap_tasks_via(NULL, ts, n);
}

static inline void reap_tasks_on_loop(cio_loop_t *loop, cio_task_t **ts, size_t n)
{
    reap_tasks_via(loop, ts, n);
}

/* One task of loop, from outside it (NULL is skipped). */
static inline void loop_reap_task(cio_loop_t *loop, cio_task_t *t)
{
    reap_tasks_via(loop, &t, 1);
}

/* n bytes at buf equal the string literal lit (n may be a negative code). */
#define CHECK_BYTES(buf, n, lit)                                                                   \
    do {                                                                                           \
        ssize_t n_ = (ssize_t)(n);                                                                 \
        const char *b_ = (const char *)(buf);                                                      \
        size_t l_ = sizeof(lit) - 1;                                                               \
        if (n_ < 0)                                                                                \
            FAILF("%s == %zd (%s), expected \"%s\"", #n, n_, cio_err_name((int)n_), lit);          \
        else if ((size_t)n_ != l_ || memcmp(b_, lit, l_) != 0)                                     \
            FAILF("%s: got %zd bytes \"%.*s\", expected %zu \"%s\"", #n, n_, (int)(n_ > 300 ? 300 : n_), \
                  b_, l_, lit);                                                                    \
    } while (0)

/* CHECK_BYTES, and the case goes no further on a failed read: after one,
 * the stream's data is lost and a next read would wait for good. */
#define REQ_BYTES(buf, n, lit)    \
    do {                          \
        CHECK_BYTES(buf, n, lit); \
        REQ((n) >= 0);            \
    } while (0)

/* From a task: sleep in 2 ms steps until cond holds or secs have passed. */
#define WAIT_FOR(cond, secs)                                          \
    do {                                                              \
        double t0_ = now_s();                                         \
        while (!(cond) && now_s() - t0_ < (secs))                     \
            if (cio_sleep(0.002) < 0)                                 \
                break;                                                \
    } while (0)

/* --------------------------------------------------- counting allocator */
static atomic_long test_live_allocs;
static atomic_long test_alloc_count;
static atomic_long test_fail_at = -1; /* fail the Nth allocation (0-based) */
static atomic_int test_fault_hit;     /* the failure at test_fail_at happened */
static int test_fault_backtrace;      /* CIO_FAULT_BACKTRACE=1: print where */

static void test_fault_now(void)
{
    atomic_store(&test_fault_hit, 1);
    if (test_fault_backtrace) {
        void *frames[12];
        int n = backtrace(frames, 12);
        fprintf(stderr, "allocation failed on purpose at:\n");
        backtrace_symbols_fd(frames, n, 2);
    }
}

static void test_failf(const char *file, int line, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    test_failed = 1;
    if (test_sweeping && atomic_load(&test_fault_hit)) {
        if (strstr(msg, "ENOMEM"))
            test_saw_enomem = 1;
        if (!test_sweep_strict)
            return; /* the expected consequence: counted, not printed */
    }
    fprintf(stderr, "%s:%d: %s: %s\n", file, line, test_current, msg);
}

struct test_hdr {
    size_t size;
    size_t pad;
};

static void *test_malloc(void *ud, size_t n)
{
    (void)ud;
    long k = atomic_fetch_add(&test_alloc_count, 1);
    if (k == atomic_load(&test_fail_at)) {
        test_fault_now();
        return NULL;
    }
    struct test_hdr *h = malloc(sizeof *h + n);
    if (!h)
        return NULL;
    h->size = n;
    atomic_fetch_add(&test_live_allocs, 1);
    return h + 1;
}

static void test_free(void *ud, void *p)
{
    (void)ud;
    if (!p)
        return;
    atomic_fetch_sub(&test_live_allocs, 1);
    free((struct test_hdr *)p - 1);
}

static void *test_realloc(void *ud, void *p, size_t n)
{
    if (!p)
        return test_malloc(ud, n);
    long k = atomic_fetch_add(&test_alloc_count, 1);
    if (k == atomic_load(&test_fail_at)) {
        test_fault_now();
        return NULL;
    }
    struct test_hdr *h = realloc((struct test_hdr *)p - 1, sizeof *h + n);
    if (!h)
        return NULL;
    h->size = n;
    return h + 1;
}

/* ---------------------------------------------------------- helpers */
static inline double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline cio_loop_t *new_loop(void)
{
    cio_loop_t *loop = NULL;
    int rc = cio_loop_new(&loop);
    if (rc < 0) {
        FAILF("cio_loop_new: %s", cio_err_name(rc));
        if (test_sweeping)
            test_sweep_child_done(); /* this run is over: report and exit */
        exit(1);
    }
    return loop;
}

static inline void free_loop(cio_loop_t *loop)
{
    int rc = cio_loop_free(loop);
    if (rc < 0)
        FAILF("cio_loop_free: %s (something is still alive)", cio_err_name(rc));
}

/* An ordered log of events, for exact-order checks. */
struct order_log {
    char buf[1024];
    size_t len;
};
static struct order_log order;
static inline void log_event(const char *s)
{
    size_t n = strlen(s);
    if (order.len + n + 2 < sizeof order.buf) {
        if (order.len)
            order.buf[order.len++] = ' ';
        memcpy(order.buf + order.len, s, n);
        order.len += n;
        order.buf[order.len] = 0;
    }
}
static inline void log_reset(void)
{
    order.len = 0;
    order.buf[0] = 0;
}
#define CHECK_ORDER(expected) CHECK_STR(order.buf, expected)



/* ------------------------------------------------------ run with a limit */
/* Run fn as cio_run's main task under a watchdog: past a generous deadline
 * (15 s; 4 s in the allocation sweep) it fails the case and cancels the main task, again and again, so a
 * waiter that is never woken fails the case instead of hanging the binary. */
struct test_watchdog {
    cio_loop_t *loop;
    cio_task_t *main;
    cio_handle_t *h;
    int fired;
};

static int test_watchdog_cb(void *arg)
{
    struct test_watchdog *w = arg;
    if (!w->fired)
        FAILF("timed out: the main task never finished (a waiter never woken?)");
    w->fired = 1;
    cio_task_cancel(w->main, "watchdog");
    cio_unref(w->h);
    w->h = NULL;
    cio_call_later(w->loop, 0.05, test_watchdog_cb, w, &w->h);
    return 0;
}

struct test_limited {
    cio_coro_fn *fn;
    void *arg;
};

static int test_limited_main(void *arg, void **result)
{
    struct test_limited *l = arg;
    struct test_watchdog w = {.main = cio_current_task()};
    CHECK_RC(cio_get_running_loop(&w.loop), 0);
    int rc = cio_call_later(w.loop, test_sweeping ? 4.0 : 15.0, test_watchdog_cb, &w, &w.h);
    if (rc < 0 && !test_sweeping) /* in the sweep the parent's time limit stands in */
        FAILF("the watchdog: %s", cio_err_name(rc));
    rc = l->fn(l->arg, result);
    cio_handle_cancel(w.h);
    cio_unref(w.h);
    return rc;
}

static __attribute__((unused)) int run_limited(cio_coro_fn *fn, void *arg, void **result)
{
    struct test_limited l = {.fn = fn, .arg = arg};
    return cio_run(test_limited_main, &l, result);
}
/* ------------------------------------------------- allocation sweep */
/* CIO_FAULT_SWEEP=1: each case runs once as usual (it must pass), then once
 * more for each allocation it made, with exactly that allocation failing.
 * Every run is a child process of a parent that runs no case itself (so no
 * thread is lost across fork), which isolates crashes and hangs.
 * CIO_FAULT_MAX caps the runs per case (default 300; a slow case gets about
 * CIO_FAULT_CASE_SECS = 20 s worth, at least CIO_FAULT_MIN = 16): the first
 * half of the budget fails the first allocations one by one, the rest is
 * spread evenly over the others.
 *
 * A failed check is the expected result of a failed allocation.  What fails
 * the sweep is what a user could not handle: a leak (the case's allocations
 * not all freed once it returns), a crash or a sanitizer report (the child
 * dies or exits non-zero).  A run that outlives its time limit (6 s, or four
 * times the case's own time) is listed as a hang: a test that goes on after
 * its setup failed (a loop run until a stop that could not be scheduled), or
 * a lost wake-up in the library.  Hangs fail the sweep with
 * CIO_FAULT_HANG_FAILS=1, which scripts/alloc-sweep.sh sets: every suite
 * ends cleanly after any failed allocation.  A suite that defines
 * TEST_SWEEP_STRICT also fails on an outcome other than success or -ENOMEM.
 * Per case the sweep prints how the failures came out: absorbed (the case
 * passed anyway), reported (a check saw -ENOMEM), other (a check failed on
 * something else, the test's own follow-on of the failure). */
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

struct test_sweep_result {
    long total;  /* allocations the run made */
    long leaked; /* live allocations after the case returned */
    int done;    /* the child reached the end of the case (or of its setup) */
    int failed, saw_enomem, fault_hit;
};
static struct test_sweep_result *test_sweep_res;
static long test_sweep_a0, test_sweep_live0;

static long test_env_long(const char *name, long dflt)
{
    const char *v = getenv(name);
    return v && *v ? strtol(v, NULL, 10) : dflt;
}

static void test_sweep_child_done(void)
{
    struct test_sweep_result *r = test_sweep_res;
    r->total = atomic_load(&test_alloc_count) - test_sweep_a0;
    r->leaked = atomic_load(&test_live_allocs) - test_sweep_live0;
    r->failed = test_failed;
    r->saw_enomem = test_saw_enomem;
    r->fault_hit = atomic_load(&test_fault_hit);
    r->done = 1;
    fflush(stdout);
    fflush(stderr);
    exit(0);
}

enum { SWEEP_OK, SWEEP_CRASH, SWEEP_HANG };

/* Run case c in a child, failing its k-th allocation (k < 0: none). */
static int test_sweep_run(const struct test_case *c, long k, double limit, struct test_sweep_result *out,
                          int *status)
{
    memset(test_sweep_res, 0, sizeof *test_sweep_res);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        exit(2);
    }
    if (pid == 0) {
        test_sweeping = k >= 0;
        test_fault_backtrace = (int)test_env_long("CIO_FAULT_BACKTRACE", 0);
        test_sweep_a0 = atomic_load(&test_alloc_count);
        test_sweep_live0 = atomic_load(&test_live_allocs);
        if (k >= 0)
            atomic_store(&test_fail_at, test_sweep_a0 + k);
        c->fn();
        test_sweep_child_done();
    }
    double t0 = now_s();
    int st = 0;
    for (;;) {
        pid_t w = waitpid(pid, &st, WNOHANG);
        if (w == pid)
            break;
        if (now_s() - t0 > limit) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            *out = *test_sweep_res;
            *status = st;
            return SWEEP_HANG;
        }
        usleep(w == 0 ? 2000 : 0);
    }
    *out = *test_sweep_res;
    *status = st;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 && out->done ? SWEEP_OK : SWEEP_CRASH;
}

static int test_sweep_case(const struct test_case *c)
{
    struct test_sweep_result r;
    int st;
    double t0 = now_s();
    if (test_sweep_run(c, -1, 60.0, &r, &st) != SWEEP_OK || r.failed || r.leaked) {
        printf("sweep %s: the case fails without faults, not swept\n", c->name);
        return 1;
    }
    double base = now_s() - t0;
    double limit = 4 * base; /* generous: a loaded machine must not make hangs */
    if (limit < 6.0)
        limit = 6.0;
    long total = r.total, cap = test_env_long("CIO_FAULT_MAX", 300);
    /* A slow case gets fewer runs: about CIO_FAULT_CASE_SECS (default 20)
     * of them, never fewer than CIO_FAULT_MIN (default 16). */
    double case_secs = (double)test_env_long("CIO_FAULT_CASE_SECS", 20);
    long floor_runs = test_env_long("CIO_FAULT_MIN", 16);
    if (base > 0 && cap > floor_runs && cap * base > case_secs)
        cap = case_secs / base > floor_runs ? (long)(case_secs / base) : floor_runs;
    /* A suite written for the sweep (every call checked, every child
     * awaited) also fails on a hang or an outcome other than success or
     * -ENOMEM. */
    int hang_fails = test_sweep_strict || test_env_long("CIO_FAULT_HANG_FAILS", 0);
    long only = test_env_long("CIO_FAULT_AT", -1);
    long runs = 0, absorbed = 0, reported = 0, other = 0, missed = 0, leaks = 0, crashes = 0, hangs = 0;
    t0 = now_s();
    for (long i = 0; i < total && i < cap; i++) {
        long k = i;
        if (total > cap && i >= cap / 2)
            k = cap / 2 + (i - cap / 2) * (total - cap / 2) / (cap - cap / 2);
        if (only >= 0 && k != only)
            continue; /* CIO_FAULT_AT=k: only that one */
        int how = test_sweep_run(c, k, limit, &r, &st);
        runs++;
        if (how == SWEEP_HANG) {
            fprintf(stderr, "sweep %s: failing allocation %ld of %ld: hang (killed after %.0f s)\n", c->name, k,
                    total, limit);
            hangs++;
            continue;
        }
        if (how == SWEEP_CRASH) {
            if (WIFSIGNALED(st))
                fprintf(stderr, "sweep %s: failing allocation %ld of %ld: killed by signal %d\n", c->name, k,
                        total, WTERMSIG(st));
            else
                fprintf(stderr, "sweep %s: failing allocation %ld of %ld: exit status %d%s\n", c->name, k, total,
                        WEXITSTATUS(st), r.done ? " after the case returned (a sanitizer report?)" : "");
            crashes++;
            continue;
        }
        if (r.leaked) {
            fprintf(stderr, "sweep %s: failing allocation %ld of %ld leaked %ld allocation(s)\n", c->name, k,
                    total, r.leaked);
            leaks++;
        }
        if (!r.fault_hit)
            missed++;
        else if (r.saw_enomem)
            reported++;
        else if (r.failed)
            other++;
        else {
            if (test_env_long("CIO_FAULT_VERBOSE", 0))
                fprintf(stderr, "sweep %s: failing allocation %ld of %ld: absorbed\n", c->name, k, total);
            absorbed++;
        }
    }
    printf("sweep %s: %ld allocations, %ld runs (%.1f s): %ld absorbed, %ld reported -ENOMEM, %ld other, "
           "%ld not reached, %ld hung, %ld crashed, %ld leaked\n",
           c->name, total, runs, now_s() - t0, absorbed, reported, other, missed, hangs, crashes, leaks);
    fflush(stdout);
    if (test_sweep_strict && other)
        fprintf(stderr, "sweep %s: %ld run(s) ended in something other than success or -ENOMEM\n", c->name,
                other);
    return crashes || leaks || (hang_fails && hangs) || (test_sweep_strict && other) ? 1 : 0;
}

static int run_tests(int argc, char **argv, const struct test_case *cases, size_t n)
{
    static const cio_allocator_t a = {test_malloc, test_realloc, test_free, NULL};
    cio_set_allocator(&a);
    const char *filter = argc > 1 ? argv[1] : NULL;
    if (test_env_long("CIO_FAULT_SWEEP", 0)) {
        test_sweep_res = mmap(NULL, sizeof *test_sweep_res, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (test_sweep_res == MAP_FAILED) {
            perror("mmap");
            return 2;
        }
        int bad = 0, swept = 0;
        for (size_t i = 0; i < n; i++) {
            if (filter && !strstr(cases[i].name, filter))
                continue;
            test_current = cases[i].name;
            bad += test_sweep_case(&cases[i]);
            swept++;
        }
        printf("%d passed, %d failed\n", swept - bad, bad);
        return bad ? 1 : 0;
    }
    int passed = 0, failed = 0;
    for (size_t i = 0; i < n; i++) {
        if (filter && !strstr(cases[i].name, filter))
            continue;
        test_current = cases[i].name;
        test_failed = 0;
        log_reset();
        long before = atomic_load(&test_live_allocs);
        double t0 = now_s();
        cases[i].fn();
        long leaked = atomic_load(&test_live_allocs) - before;
        if (leaked != 0)
            FAILF("%ld allocation(s) leaked", leaked);
        printf("%s %s (%.3f s)\n", test_failed ? "FAIL" : "ok  ", cases[i].name, now_s() - t0);
        fflush(stdout);
        if (test_failed)
            failed++;
        else
            passed++;
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

#endif
