/* Subprocesses: cio_create_subprocess_exec/shell and cio_process_t, checked
 * the way a user sees them: the bytes that come back, exit codes, signals,
 * error codes of the create calls, cancellation, and the resources left
 * behind (fds of this process, children nobody reaped).
 *
 * The expectations follow CPython 3.11's asyncio.subprocess, checked by
 * running the same programs there:
 *   - returncode is None (here: cio_process_returncode() == 0) while the
 *     child runs, its exit status once it exited, -N after signal N; it is
 *     set once the child's exit is noticed, without anyone awaiting wait();
 *   - a program that does not exist: FileNotFoundError (-ENOENT), a file
 *     without an x bit or a directory: PermissionError (-EACCES), a text
 *     file with an x bit and no "#!": OSError ENOEXEC; a cwd that does not
 *     exist: FileNotFoundError;
 *   - send_signal/terminate/kill after the exit: ProcessLookupError
 *     (-ESRCH);
 *   - communicate(input) to a child that never reads stdin and exits is no
 *     error (asyncio swallows BrokenPipeError/ConnectionResetError there);
 *   - a write to the stdin of a dead child: ConnectionResetError from
 *     drain() in asyncio; the header promises -EPIPE, so both are accepted;
 *   - a cancelled wait() leaves the child running and waitable;
 *   - a line over the limit on stdout: readline raises (ValueError, here
 *     CIO_ELIMITOVERRUN).
 * send_signal(0) is accepted by asyncio (os.kill(pid, 0)); cio's contract
 * (header: "-EINVAL for a bad signal", and the issue) refuses it.
 *
 * Every case runs its coroutine under the harness's watchdog, then checks
 * that this process has no child left (waitpid(-1, WNOHANG) finds nothing:
 * no zombie, no orphaned running child) and exactly the open fds it had
 * before (counted in /proc/self/fd, outside any loop, after one warm-up
 * spawn so that a lazily made process-wide fd would not count).
 *
 * Children are standard tools (sh, cat, true, false, sleep, yes, head,
 * printf, echo); a shell that must be killed is told to `exec sleep` so that
 * no grandchild outlives it holding a pipe.  Buffers on a task's stack stay
 * well under 16 KiB (tasks have 64 KiB stacks). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* pipe2, mkostemp (CMake defines it for the tests) */
#endif
#include "harness.h"

#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* ------------------------------------------------- no pidfd, on demand */
/* The library (linked statically) calls syscall(SYS_pidfd_open, ...) to
 * watch a child; this definition comes first, so a case can make that call
 * fail as on Linux before 5.3 (or under a seccomp filter) and exercise the
 * fallback.  Every other call is passed on to libc's syscall(). */
static atomic_int no_pidfd, pidfd_refused;
static _Atomic(void *) real_syscall;

long syscall(long n, ...)
{
    va_list ap;
    va_start(ap, n);
    long a[6];
    for (int i = 0; i < 6; i++)
        a[i] = va_arg(ap, long); /* as libc's own: unused ones are don't-care */
    va_end(ap);
#ifdef SYS_pidfd_open
    if (n == SYS_pidfd_open && atomic_load(&no_pidfd)) {
        atomic_fetch_add(&pidfd_refused, 1);
        errno = ENOSYS;
        return -1;
    }
#endif
    void *f = atomic_load(&real_syscall);
    if (!f) {
        f = dlsym(RTLD_NEXT, "syscall");
        atomic_store(&real_syscall, f);
    }
    return ((long (*)(long, ...))f)(n, a[0], a[1], a[2], a[3], a[4], a[5]);
}

/* ------------------------------------------------------------ helpers */

static const cio_process_opts_t no_opts; /* all zero: every stream inherited */

/* Open fds of this process (the directory's own fd not counted); when list
 * is given, "fd->target" entries are appended to it for a report. */
static int count_fds(char *list, size_t cap)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int self = dirfd(d), n = 0;
    size_t len = 0;
    if (list && cap)
        list[0] = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        int fd = atoi(e->d_name);
        if (fd == self)
            continue;
        n++;
        if (list && len + 1 < cap) {
            char path[64], target[160];
            snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
            ssize_t k = readlink(path, target, sizeof target - 1);
            target[k > 0 ? k : 0] = 0;
            int w = snprintf(list + len, cap - len, " %d->%s", fd, target);
            if (w > 0)
                len += (size_t)w < cap - len ? (size_t)w : cap - len - 1;
        }
    }
    closedir(d);
    return n;
}

/* This process has no child at all: none running, no zombie.  Only called
 * when no cio child can be alive (outside the loop, or in a case that has
 * none), so it never reaps a child the library still watches.  A zombie
 * found is reaped (and reported) so that later cases start clean. */
static int check_no_children_at(const char *where)
{
    int st = 0;
    errno = 0;
    pid_t r = waitpid(-1, &st, WNOHANG);
    if (r > 0) {
        FAILF("%s: a zombie child %d was left behind (status 0x%x)", where, (int)r, st);
        while (waitpid(-1, &st, WNOHANG) > 0)
            ;
        return 0;
    }
    if (r == 0) {
        FAILF("%s: a child of this process is still running", where);
        return 0;
    }
    if (errno != ECHILD) {
        FAILF("%s: waitpid(-1): %s", where, strerror(errno));
        return 0;
    }
    return 1;
}
#define CHECK_NO_CHILDREN() check_no_children_at(__func__)

static int m_warm(void *arg, void **result);

/* Run m under the watchdog; then no child may be left and the fd count
 * must be what it was. */
static void run_proc_case(cio_coro_fn *m, void *arg)
{
    static int warmed;
    if (!warmed) {
        warmed = 1;
        CHECK_RC(run_limited(m_warm, NULL, NULL), 0);
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;
    }
    char before[2048], after[2048];
    int n0 = count_fds(before, sizeof before);
    CHECK_RC(run_limited(m, arg, NULL), 0);
    CHECK_NO_CHILDREN();
    int n1 = count_fds(after, sizeof after);
    if (n0 != n1)
        FAILF("open fds: %d before the case, %d after\n  before:%s\n  after: %s", n0, n1, before, after);
}
#define RUN(m) run_proc_case(m, NULL)

/* Kill a child that still runs, wait for it (bounded), release it. */
static void proc_finish(cio_process_t *p)
{
    if (!p)
        return;
    int code;
    if (cio_process_returncode(p, &code) == 0) {
        cio_process_kill(p);
        cio_timeout_t to;
        if (cio_timeout_enter(&to, 5.0) == 0)
            cio_timeout_exit(&to, cio_process_wait(p, NULL));
    }
    cio_unref(p);
}

/* Cleanup: a task still running (after a failed check) is cancelled and
 * waited for, so that it never outlives the frame it points into. */
static void task_finish(cio_task_t *t)
{
    if (!t)
        return;
    if (!cio_future_done(t)) {
        cio_task_cancel(t, NULL);
        cio_await(t, NULL);
    }
    cio_unref(t);
}

/* Bytes of buf that differ from unit repeated from offset 0. */
static size_t unit_mismatches(const char *buf, size_t n, const char *unit)
{
    size_t ul = strlen(unit), bad = 0;
    for (size_t i = 0; i < n; i++)
        bad += buf[i] != unit[i % ul];
    return bad;
}

/* A position-dependent byte pattern (a lost, doubled or moved byte shows). */
static unsigned char pat(size_t pos)
{
    uint32_t x = (uint32_t)pos * 2654435761u + 12345u;
    return (unsigned char)((x >> 16) ^ (x >> 24) ^ (uint32_t)(pos >> 9));
}

/* From a task: is kill(pid, 0) refused with ESRCH (the pid is gone,
 * reaped)?  A zombie still answers kill(pid, 0). */
static int pid_gone(pid_t pid)
{
    errno = 0;
    return kill(pid, 0) < 0 && errno == ESRCH;
}

/* A task that waits for a process. */
struct waiter {
    cio_process_t *p;
    int rc;
    int code;
    int done;
};

static int wait_task(void *arg, void **result)
{
    struct waiter *w = arg;
    w->rc = cio_process_wait(w->p, &w->code);
    w->done = 1;
    return w->rc < 0 ? w->rc : 0;
}

/* A task that communicates. */
struct comm {
    cio_process_t *p;
    const void *input;
    size_t inlen;
    char *out, *err;
    size_t outlen, errlen;
    int rc;
    int done;
};

static int comm_task(void *arg, void **result)
{
    struct comm *c = arg;
    c->rc = cio_process_communicate(c->p, c->input, c->inlen, &c->out, &c->outlen, &c->err, &c->errlen);
    c->done = 1;
    return c->rc < 0 ? c->rc : 0;
}

static void comm_free(struct comm *c)
{
    if (c->out)
        cio_free(c->out);
    if (c->err)
        cio_free(c->err);
    c->out = c->err = NULL;
}

/* Run the shell command cmd with stdout (and, unless opts say otherwise,
 * nothing else) piped; communicate; *out gets what came (cio_free), *code
 * the returncode.  Returns the first error. */
static int sh_capture(const char *cmd, const cio_process_opts_t *opts, char **out, size_t *outlen, int *code)
{
    cio_process_opts_t o = opts ? *opts : no_opts;
    if (!opts) {
        o.stdin_mode = CIO_STDIO_DEVNULL;
        o.stdout_mode = CIO_STDIO_PIPE;
    }
    cio_process_t *p = NULL;
    *out = NULL;
    *outlen = 0;
    int rc = cio_create_subprocess_shell(cmd, &o, &p);
    if (rc < 0)
        return rc;
    rc = cio_process_communicate(p, NULL, 0, out, outlen, NULL, NULL);
    if (rc == 0 && cio_process_returncode(p, code) != 1)
        rc = -EPROTO; /* communicate returned before the exit */
    proc_finish(p);
    return rc;
}

static int m_warm(void *arg, void **result)
{
    const char *argv[] = {"true", NULL};
    cio_process_opts_t o = {.stdin_mode = CIO_STDIO_PIPE, .stdout_mode = CIO_STDIO_PIPE, .stderr_mode = CIO_STDIO_PIPE};
    cio_process_t *p = NULL;
    int rc = cio_create_subprocess_exec(argv, &o, &p);
    if (rc == 0)
        rc = cio_process_communicate(p, NULL, 0, NULL, NULL, NULL, NULL);
    proc_finish(p);
    return rc;
}

/* ------------------------------------------------------------ echo */

static int m_echo_cat(void *arg, void **result)
{
    const char *argv[] = {"cat", NULL};
    cio_process_opts_t o = {.stdin_mode = CIO_STDIO_PIPE, .stdout_mode = CIO_STDIO_PIPE};
    cio_process_t *p = NULL;
    char buf[256];
    int code = 12345;
    int rc = cio_create_subprocess_exec(argv, &o, &p);
    CHECK_RC(rc, 0);
    REQ(rc == 0 && p);
    CHECK(cio_process_pid(p) > 0);
    cio_stream_t *in = cio_process_stdin(p), *outs = cio_process_stdout(p);
    REQ(in && outs);
    CHECK(cio_process_stderr(p) == NULL); /* inherited: no pipe */
    CHECK_INT(cio_process_returncode(p, &code), 0);

    /* A failed write or read (out of memory) loses data: the next read
     * would wait for good, so each one is required. */
    REQ_RC(cio_stream_write(in, "hello\n", 6));
    REQ_RC(cio_stream_drain(in));
    ssize_t n = cio_stream_readline(outs, buf, sizeof buf);
    REQ_BYTES(buf, n, "hello\n");
    REQ_RC(cio_stream_write(in, "wor", 3));
    REQ_RC(cio_stream_write(in, "ld\nagain\n", 9));
    REQ_RC(cio_stream_drain(in));
    n = cio_stream_readline(outs, buf, sizeof buf);
    REQ_BYTES(buf, n, "world\n");
    n = cio_stream_readline(outs, buf, sizeof buf);
    REQ_BYTES(buf, n, "again\n");
    CHECK_INT(cio_process_returncode(p, &code), 0); /* cat still runs */

    /* Closing stdin is cat's EOF: stdout ends, cat exits 0. */
    CHECK_RC(cio_stream_close(in), 0);
    CHECK_RC(cio_stream_wait_closed(in), 0);
    CHECK_INT(cio_stream_read(outs, buf, sizeof buf), 0);
    CHECK_INT(cio_stream_at_eof(outs), 1);
    CHECK_RC(cio_process_wait(p, &code), 0);
    CHECK_INT(code, 0);
    code = 12345;
    CHECK_INT(cio_process_returncode(p, &code), 1);
    CHECK_INT(code, 0);
out:
    proc_finish(p);
    return 0;
}
static void t_echo_cat(void) { RUN(m_echo_cat); }

static int m_communicate_cat(void *arg, void **result)
{
    const char *argv[] = {"cat", NULL};
    cio_process_opts_t o = {.stdin_mode = CIO_STDIO_PIPE, .stdout_mode = CIO_STDIO_PIPE, .stderr_mode = CIO_STDIO_PIPE};
    cio_process_t *p = NULL;
    struct comm c = {0};
    int code = -1;
    int rc = cio_create_subprocess_exec(argv, &o, &p);
    CHECK_RC(rc, 0);
    REQ(rc == 0);
    CHECK_RC(cio_process_communicate(p, "abc\0def", 7, &c.out, &c.outlen, &c.err, &c.errlen), 0);
    CHECK_INT(c.outlen, 7);
    CHECK(c.out && memcmp(c.out, "abc\0def", 8) == 0); /* NUL-terminated too */
    /* A pipe that carried nothing is an empty string (asyncio: b''). */
    CHECK(c.err != NULL);
    CHECK_INT(c.errlen, 0);
    if (c.err)
        CHECK_INT(c.err[0], 0);
    CHECK_INT(cio_process_returncode(p, &code), 1);
    CHECK_INT(code, 0);
    comm_free(&c);
    proc_finish(p);
    p = NULL;

    /* Only stdout piped: *err gets NULL; a NULL input just closes stdin. */
    o = (cio_process_opts_t){.stdin_mode = CIO_STDIO_PIPE, .stdout_mode = CIO_STDIO_PIPE};
    rc = cio_create_subprocess_exec(argv, &o, &p);
    CHECK_RC(rc, 0);
    REQ(rc == 0);
    c.err = (char *)"sentinel";
    CHECK_RC(cio_process_communicate(p, NULL, 0, &c.out, &c.outlen, &c.err, &c.errlen), 0);
    CHECK(c.err == NULL);
    c.err = NULL;
    CHECK(c.out != NULL);
    REQ(c.out != NULL);
    CHECK_BYTES(c.out, c.outlen, "");
out:
    comm_free(&c);
    proc_finish(p);
    return 0;
}
static void t_communicate_cat(void) { RUN(m_communicate_cat); }

/* Arguments are passed verbatim (no shell), the shell form goes through sh. */
static int m_args_and_shell(void *arg, void **result)
{
    const char *argv[] = {"printf", "%s|", "a b", "", "c'\"$HOME", NULL};
    cio_process_opts_t o = {.stdin_mode = CIO_STDIO_DEVNULL, .stdout_mode = CIO_STDIO_PIPE};
    cio_process_t *p = NULL;
    char *out = NULL;
    size_t outlen = 0;
    int code = -1;
    int rc = cio_create_subprocess_exec(argv, &o, &p);
    CHECK_RC(rc, 0);
    REQ(rc == 0);
    CHECK_RC(cio_process_communicate(p, NULL, 0, &out, &outlen, NULL, NULL), 0);
    CHECK_BYTES(out, outlen, "a b||c'\"$HOME|");
    cio_free(out);
    out = NULL;
    proc_finish(p);
    p = NULL;

    CHECK_RC(sh_capture("echo $((6*7)); echo \"$0\"", NULL, &out, &outlen, &code), 0);
    CHECK_BYTES(out, outlen, "42\n/bin/sh\n");
    CHECK_INT(code, 0);
out:
    if (out)
        cio_free(out);
    proc_finish(p);
    return 0;
}
static void t_args_and_shell(void) { RUN(m_args_and_shell); }

/* ------------------------------------------------------------ large outputs */

#define MB4 4194304u
#define MB1 1048576u

static int m_communicate_large_outputs(void *arg, void **result)
{
    cio_process_opts_t o = {.stdin_mode = CIO_STDIO_DEVNULL, .stdout_mode = CIO_STDIO_PIPE, .stderr_mode = CIO_STDIO_PIPE};
    cio_process_t *p = NULL;
    struct comm c = {0};
    int code = -1;
    /* Sequential: 4 MB on stderr while stdout stays open and silent, then
     * 4 MB on stdout while stderr stays open, then 1 MB more on stderr.  A
     * reader that drains one pipe to EOF before the other deadlocks on one
     * of the phases. */
    int rc = cio_create_subprocess_shell("yes 0123456 | head -c 4194304 >&2;"
                                         "yes abcdefg | head -c 4194304;"
                                         "yes ABCDEFG | head -c 1048576 >&2",
                                         &o, &p);
    CHECK_RC(rc, 0);
    REQ(rc == 0);
    CHECK_RC(cio_process_communicate(p, NULL, 0, &c.out, &c.outlen, &c.err, &c.errlen), 0);
    REQ(c.out && c.err);
    CHECK_INT(c.outlen, MB4);
    CHECK_INT(c.errlen, MB4 + MB1);
    if (c.outlen == MB4)
        CHECK_INT(unit_mismatches(c.out, c.outlen, "abcdefg\n"), 0);
    if (c.errlen == MB4 + MB1) {
        CHECK_INT(unit_mismatches(c.err, MB4, "0123456\n"), 0);
        CHECK_INT(unit_mismatches(c.err + MB4, MB1, "ABCDEFG\n"), 0);
    }
    CHECK_INT(c.out[c.outlen], 0);
    CHECK_INT(c.err[c.errlen], 0);
    CHECK_INT(cio_process_returncode(p, &code), 1);
    CHECK_INT(code, 0);
    comm_free(&c);
    proc_finish(p);
    p = NULL;

    /* At the same time: two writers, 4 MB each, interleaved as they go. */
    rc = cio_create_subprocess_shell("(yes 0123456 | head -c 4194304 >&2) & "
                                     "yes abcdefg | head -c 4194304; wait",
                                     &o, &p);
    CHECK_RC(rc, 0);
    REQ(rc == 0);
    CHECK_RC(cio_process_communicate(p, NULL, 0, &c.out, &c.outlen, &c.err, &c.errlen), 0);
    REQ(c.out && c.err);
    CHECK_INT(c.outlen, MB4);
    CHECK_INT(c.errlen, MB4);
    if (c.outlen == MB4)
        CHECK_INT(unit_mismatches(c.out, c.outlen, "abcdefg\n"), 0);
    if (c.errlen == MB4)
        CHECK_INT(unit_mismatches(c.err, c.errlen, "0123456\n"), 0);
out:
    comm_free(&c);
    proc_finish(p);
    return 0;
}
static void t_communicate_large_outputs(void) { RUN(m_communicate_large_outputs); }

/* 4 MB of input through cat: the input must be written while the output is
 * read, or cat blocks on a full stdout and never takes more input. */
static int m_communicate_large_input(void *arg, void **result)
{
    const char *argv[] = {"cat", NULL};
    cio_process_opts_t o = {.stdin_mode = CIO_STDIO_PIPE, .stdout_mode = CIO_STDIO_PIPE, .stderr_mode = CIO_STDIO_PIPE};
    cio_process_t *p = NULL;
    struct comm c = {0};
    char *in = malloc(MB4);
    REQ(in);
    for (size_t i = 0; i < MB4; i++)
        in[i] = (char)pat(i);
    int rc = cio_create_subprocess_exec(argv, &o, &p);
    CHECK_RC(rc, 0);
    REQ(rc == 0);
    CHECK_RC(cio_process_communicate(p, in, MB4, &c.out, &c.outlen, &c.err, &c.errlen), 0);
    REQ(c.out);
    CHECK_INT(c.outlen, MB4);
    if (c.outlen == MB4) {
        size_t bad = 0;
        for (size_t i = 0; i < MB4; i++)
            bad += c.out[i] != in[i];
        CHECK_INT(bad, 0);
    }
    CHECK_INT(c.errlen, 0);
    int code = -1;
    CHECK_INT(cio_process_returncode(p, &code), 1);
    CHECK_INT(code, 0);
out:
    comm_free(&c);
    proc_finish(p);
    free(in);
    return 0;
}
static void t_communicate_large_input(void) { RUN(m_communicate_large_input); }

/* Input for a child that never reads it and exits: asyncio's communicate
 * swallows the broken pipe (Python 3.11: (None, None), returncode 0). */
static int m_communicate_input_unread(void *arg, void **result)
{
    const char *argv[] = {"true", NULL};
    cio_process_opts_t o = {.stdin_mode = CIO_STDIO_PIPE};
    cio_process_t *p = NULL;
    char *in = calloc(1, MB1);
    REQ(in);
    int rc = cio_create_subprocess_exec(argv, &o, &p);
    CHECK_RC(rc, 0);
    REQ(rc == 0);
    char *outb = (char *)"x", *errb = (char *)"x";
    size_t outlen = 99, errlen = 99;
    CHECK_RC(cio_process_communicate(p, in, MB1, &outb, &outlen, &errb, &errlen), 0);
    CHECK(outb == NULL); /* not pipes */
    CHECK(errb == NULL);
    int code = -1;
    CHECK_INT(cio_process_returncode(p, &code), 1);
    CHECK_INT(code, 0);
out:
    proc_finish(p);
    free(in);
    return 0;
}
static void t_communicate_input_unread(void) { RUN(m_communicate_input_unread); }

/* ------------------------------------------------------------ exit codes, signals */

static int m_exit_codes(void *arg, void **result)
{
    cio_process_t *p = NULL;
    cio_task_t *t1 = NULL, *t2 = NULL;
    int code = -1;
    int rc = cio_create_subprocess_shell("exit 3", &no_opts, &p);
    CHECK_RC(rc, 0);
    REQ(rc == 0);
    CHECK_RC(cio_process_wait(p, &code), 0);
    CHECK_INT(code, 3);
    code = -1;
    CHECK_INT(cio_process_returncode(p, &code), 1);
    CHECK_INT(code, 3);
    /* A second wait answers at once with the same code. */
    code = -1;
    CHECK_RC(cio_process_wait(p, &code), 0);
    CHECK_INT(code, 3);
    CHECK_RC(cio_process_wait(p, NULL), 0);
    proc_finish(p);
    p = NULL;

    static const struct {
        const char *argv[4];
        int code;
    } progs[] = {
        {{"true", NULL}, 0},
        {{"false", NULL}, 1},
        {{"sh", "-c", "exit 255", NULL}, 255},
        {{"/bin/sh", "-c", "exit 42", NULL}, 42},
    };
    for (size_t i = 0; i < sizeof progs / sizeof progs[0]; i++) {
        /* NULL options: everything inherited. */
        rc = cio_create_subprocess_exec(progs[i].argv, NULL, &p);
        CHECK_RC(rc, 0);
        REQ(rc == 0);
        code = -1;
        CHECK_RC(cio_process_wait(p, &code), 0);
        if (code != progs[i].code)
            FAILF("%s %s: returncode %d, expected %d", progs[i].argv[0], progs[i].argv[1] ? progs[i].argv[1] : "",
                  code, progs[i].code);
        proc_finish(p);
        p = NULL;
    }

    /* Two tasks waiting at once both get the code. */
    rc = cio_create_subprocess_shell("sleep 0.2; exit 7", &no_opts, &p);
    CHECK_RC(rc, 0);
    REQ(rc == 0);
    struct waiter w1 = {.p = p, .code = -1}, w2 = {.p = p, .code = -1};
    t1 = cio_create_task(wait_task, &w1);
    t2 = cio_create_task(wait_task, &w2);
    REQ(t1 && t2);
    CHECK_RC(cio_await(t1, NULL), 0);
    CHECK_RC(cio_await(t2, NULL), 0);
    CHECK_INT(w1.code, 7);
    CHECK_INT(w2.code, 7);
out:
    task_finish(t1);
    task_finish(t2);
    proc_finish(p);
    return 0;
}
static void t_exit_codes(void) { RUN(m_exit_codes); }

static int m_killed_by_signal(void *arg, void **result)
{
    const char *sleeper[] = {"sleep", "30", NULL};
    cio_process_t *p = NULL;
    int code = 12345;

    /* kill: SIGKILL, returncode -9; running until then. */
    int rc = cio_create_subprocess_exec(sleeper, &no_opts, &p);
    CHECK_RC(rc, 0);
    REQ(rc == 0);
    CHECK_INT(cio_process_returncode(p, &code), 0);
    CHECK_RC(cio_sleep(0.05), 0);
    CHECK_INT(cio_process_returncode(p, &code), 0);
    CHECK_RC(cio_process_kill(p), 0);
    double t0 = now_s();
    CHECK_RC(cio_process_wait(p, &code), 0);
    CHECK(now_s() - t0 < 5.0);
    CHECK_INT(code, -SIGKILL);
    CHECK_INT(cio_process_returncode(p, &code), 1);
    CHECK_INT(code, -9);
    proc_finish(p);
    p = NULL;

    /* terminate: SIGTERM, -15. */
    rc = cio_create_subprocess_exec(sleeper, &no_opts, &p);
    CHECK_RC(rc, 0);
    REQ(rc == 0);
    CHECK_RC(cio_process_terminate(p), 0);
    code = 12345;
    CHECK_RC(cio_process_wait(p, &code), 0);
    CHECK_INT(code, -15);
    proc_finish(p);
    p = NULL;

    /* send_signal with a signal whose default action terminates. */
    rc = cio_create_subprocess_exec(sleeper, &no_opts, &p);
    CHECK_RC(rc, 0);
    REQ(rc == 0);
    CHECK_RC(cio_process_send_signal(p, SIGUSR1), 0);
    code = 12345;
    CHECK_RC(cio_process_wait(p, &code), 0);
    CHECK_INT(code, -SIGUSR1);
    proc_finish(p);
    p = NULL;

    /* A child that kills itself (Python: -9). */
    rc = cio_create_subprocess_shell("kill -9 $$", &no_opts, &p);
    CHECK_RC(rc, 0);
    REQ(rc == 0);
    code = 12345;
    CHECK_RC(cio_process_wait(p, &code), 0);
    CHECK_INT(code, -9);
out:
    proc_finish(p);
    return 0;
}
static void t_killed_by_signal(void) { RUN(m_killed_by_signal); }

/* returncode turns to 1 once the exit is noticed, without a wait (Python:
 * p.returncode == 0 after `await asyncio.sleep(0.5)` with no wait()). */
static int m_returncode_without_wait(void *arg, void **result)
{
    const char *argv[] = {"sh", "-c", "exit 5", NULL};
    cio_process_t *p = NULL;
    int code = -1;
    int rc = cio_create_subprocess_exec(argv, &no_opts, &p);
    CHECK_RC(rc, 0);
    REQ(rc == 0);
    WAIT_FOR(cio_process_returncode(p, &code) == 1, 5.0);
    CHECK_INT(cio_process_returncode(p, &code), 1);
    CHECK_INT(code, 5);
out:
    proc_finish(p);
    return 0;
}
static void t_returncode_without_wait(void) { RUN(m_returncode_without_wait); }

static int m_send_signal_after_exit(void *arg, void **result)
{
    const char *argv[] = {"true", NULL};
    cio_process_t *p = NULL;
    int rc = cio_create_subprocess_exec(argv, &no_opts, &p);
    CHECK_RC(rc, 0);
    REQ(rc == 0);
    CHECK_RC(cio_process_wait(p, NULL), 0);
    CHECK_RC(cio_process_send_signal(p, SIGTERM), -ESRCH);
    CHECK_RC(cio_process_terminate(p), -ESRCH);
    CHECK_RC(cio_process_kill(p), -ESRCH);
out:
    proc_finish(p);
    return 0;
}
static void t_send_signal_after_exit(void) { RUN(m_send_signal_after_exit); }

/* ------------------------------------------------------------ exec failures */

/* A temporary directory with a non-executable file, a text file that is
 * executable but has no "#!", and the directory itself. */
struct tmpfiles {
    char dir[64];
    char noexec[96];
    char noshebang[96];
    char plain[96];
};

static int write_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return -errno;
    size_t n = strlen(text);
    ssize_t k = write(fd, text, n);
    close(fd);
    if (chmod(path, mode) < 0)
        return -errno;
    return k == (ssize_t)n ? 0 : -EIO;
}

static int tmpfiles_make(struct tmpfiles *t)
{
    memset(t, 0, sizeof *t);
    strcpy(t->dir, "/tmp/cio-proc-XXXXXX");
    if (!mkdtemp(t->dir))
        return -errno;
    snprintf(t->noexec, sizeof t->noexec, "%s/noexec", t->dir);
    snprintf(t->noshebang, sizeof t->noshebang, "%s/noshebang", t->dir);
    snprintf(t->plain, sizeof t->plain, "%s/plain.txt", t->dir);
    int rc = write_file(t->noexec, "#!/bin/sh\nexit 0\n", 0644);
    if (rc == 0)
        rc = write_file(t->noshebang, "this is not a program\n", 0755);
    if (rc == 0)
        rc = write_file(t->plain, "from file\n", 0644);
    return rc;
}

static void tmpfiles_remove(struct tmpfiles *t)
{
    if (!t->dir[0])
        return;
    unlink(t->noexec);
    unlink(t->noshebang);
    unlink(t->plain);
    rmdir(t->dir);
}

static int m_exec_failures(void *arg, void **result)
{
    cio_process_opts_t pipes = {.stdin_mode = CIO_STDIO_PIPE, .stdout_mode = CIO_STDIO_PIPE, .stderr_mode = CIO_STDIO_PIPE};
    cio_process_t *p = NULL;
    struct tmpfiles tf;
    int rc = tmpfiles_make(&tf);
    CHECK_RC(rc, 0);
    REQ(rc == 0);

    const char *missing_abs[] = {"/nonexistent-cio-dir/prog", NULL};
    const char *missing_path[] = {"cio-no-such-program-xyz", "arg", NULL};
    const char *noexec[] = {tf.noexec, NULL};
    const char *dir[] = {tf.dir, NULL};
    const char *noshebang[] = {tf.noshebang, NULL};
    static const int expect[] = {-ENOENT, -ENOENT, -EACCES, -EACCES, -ENOEXEC};
    const char *const *argvs[] = {missing_abs, missing_path, noexec, dir, noshebang};
    for (size_t i = 0; i < 5; i++) {
        for (int with_pipes = 0; with_pipes < 2; with_pipes++) {
            p = NULL;
            rc = cio_create_subprocess_exec(argvs[i], with_pipes ? &pipes : &no_opts, &p);
            if (rc != expect[i])
                FAILF("exec %s%s: %d (%s), expected %s", argvs[i][0], with_pipes ? " with pipes" : "", rc,
                      cio_err_name(rc), cio_err_name(expect[i]));
            if (rc == 0) {
                proc_finish(p);
                p = NULL;
            }
            /* No child left behind, not even a zombie. */
            check_no_children_at(argvs[i][0]);
        }
    }
    /* The shell form finds its /bin/sh: a missing program is the shell's
     * exit code 127, not an error of the call. */
    char *outb = NULL;
    size_t outlen = 0;
    int code = -1;
    CHECK_RC(sh_capture("cio-no-such-program-xyz 2>/dev/null", NULL, &outb, &outlen, &code), 0);
    CHECK_INT(code, 127);
    if (outb)
        cio_free(outb);

    /* A cwd that does not exist (Python: FileNotFoundError). */
    cio_process_opts_t o = {.cwd = "/nonexistent-cio-dir"};
    const char *tru[] = {"true", NULL};
    rc = cio_create_subprocess_exec(tru, &o, &p);
    CHECK_RC(rc, -ENOENT);
    if (rc == 0) {
        proc_finish(p);
        p = NULL;
    }
    check_no_children_at("bad cwd");
out:
    tmpfiles_remove(&tf);
    return 0;
}
static void t_exec_failures(void) { RUN(m_exec_failures); }

/* ------------------------------------------------------------ cancellation */

static int m_cancel_wait(void *arg, void **result)
{
    const char *argv[] = {"sleep", "30", NULL};
    cio_process_t *p = NULL;
    cio_task_t *t = NULL;
    int rc = cio_create_subprocess_exec(argv, &no_opts, &p);
    CHECK_RC(rc, 0);
    REQ(rc == 0);
    pid_t pid = cio_process_pid(p);
    struct waiter w = {.p = p, .code = 12345};
    t = cio_create_task(wait_task, &w);
    REQ(t);
    CHECK_RC(cio_sleep(0.1), 0);
    CHECK_INT(w.done, 0);
    cio_task_cancel(t, NULL);
    CHECK_RC(cio_await(t, NULL), -ECANCELED);
    CHECK_RC(w.rc, -ECANCELED);
    /* Still running, still ours, still waitable. */
    int code = 12345;
    CHECK_INT(cio_process_returncode(p, &code), 0);
    CHECK_INT(kill(pid, 0), 0);
    CHECK_RC(cio_sleep(0.05), 0);
    CHECK_INT(cio_process_returncode(p, &code), 0);

    /* A wait bounded by a timeout scope: -ETIMEDOUT, the child goes on. */
    cio_timeout_t to;
    CHECK_RC(cio_timeout_enter(&to, 0.1), 0);
    rc = cio_timeout_exit(&to, cio_process_wait(p, &code));
    CHECK_RC(rc, -ETIMEDOUT);
    CHECK_INT(cio_process_returncode(p, &code), 0);
    CHECK_INT(kill(pid, 0), 0);

    /* Then it is waited for as usual. */
    CHECK_RC(cio_process_terminate(p), 0);
    code = 12345;
    CHECK_RC(cio_process_wait(p, &code), 0);
    CHECK_INT(code, -SIGTERM);
out:
    task_finish(t);
    proc_finish(p);
    return 0;
}
static void t_cancel_wait(void) { RUN(m_cancel_wait); }

static int m_cancel_communicate(void *arg, void **result)
{
    cio_process_opts_t o = {.stdin_mode = CIO_STDIO_PIPE, .stdout_mode = CIO_STDIO_PIPE, .stderr_mode = CIO_STDIO_PIPE};
    cio_process_t *p = NULL;
    cio_task_t *t = NULL;
    struct comm c = {0};
    int rc = cio_create_subprocess_shell("echo partial; echo err >&2; exec sleep 30", &o, &p);
    CHECK_RC(rc, 0);
    REQ(rc == 0);
    pid_t pid = cio_process_pid(p);
    c.p = p;
    c.input = "ignored";
    c.inlen = 7;
    t = cio_create_task(comm_task, &c);
    REQ(t);
    CHECK_RC(cio_sleep(0.2), 0);
    CHECK_INT(c.done, 0);
    cio_task_cancel(t, NULL);
    double t0 = now_s();
    CHECK_RC(cio_await(t, NULL), -ECANCELED);
    CHECK(now_s() - t0 < 2.0);
    CHECK_RC(c.rc, -ECANCELED);
    comm_free(&c); /* whatever a cancelled call may have left */
    int code = 12345;
    CHECK_INT(cio_process_returncode(p, &code), 0);
    CHECK_INT(kill(pid, 0), 0);
    /* Kill and wait, as the header says. */
    CHECK_RC(cio_process_kill(p), 0);
    CHECK_RC(cio_process_wait(p, &code), 0);
    CHECK_INT(code, -9);
out:
    task_finish(t);
    comm_free(&c);
    proc_finish(p);
    return 0;
}
static void t_cancel_communicate(void) { RUN(m_cancel_communicate); }

/* ------------------------------------------------------------ many, threads */

#define NMANY 100

static int m_many_children(void *arg, void **result)
{
    const char *argv[] = {"true", NULL};
    cio_process_t **ps = calloc(NMANY, sizeof *ps);
    cio_task_t **ts = calloc(NMANY, sizeof *ts);
    struct waiter *ws = calloc(NMANY, sizeof *ws);
    int spawned = 0;
    REQ(ps && ts && ws);
    for (int i = 0; i < NMANY; i++) {
        int rc = cio_create_subprocess_exec(argv, &no_opts, &ps[i]);
        if (rc < 0) {
            FAILF("spawn %d: %s", i, cio_err_name(rc));
            break;
        }
        spawned++;
    }
    for (int i = 0; i < spawned; i++) {
        ws[i] = (struct waiter){.p = ps[i], .code = 12345};
        ts[i] = cio_create_task(wait_task, &ws[i]);
        REQ(ts[i]);
    }
    CHECK_RC(cio_gather(ts, (size_t)spawned, NULL, NULL, 0), 0);
    int ok = 0;
    for (int i = 0; i < spawned; i++)
        ok += ws[i].done && ws[i].rc == 0 && ws[i].code == 0;
    CHECK_INT(ok, NMANY);
    /* Distinct children. */
    int dup = 0;
    for (int i = 0; i < spawned; i++)
        for (int j = i + 1; j < spawned; j++)
            dup += cio_process_pid(ps[i]) == cio_process_pid(ps[j]);
    CHECK_INT(dup, 0);
out:
    for (int i = 0; ts && i < NMANY; i++)
        task_finish(ts[i]);
    for (int i = 0; ps && i < NMANY; i++)
        proc_finish(ps[i]);
    free(ps);
    free(ts);
    free(ws);
    return 0;
}
static void t_many_children(void) { RUN(m_many_children); }

/* Two threads, each with its own loop, spawning and waiting at the same
 * time: each loop sees its own children's codes.  The threads record,
 * the main thread checks. */
#define NTHR_CHILD 5
struct thr {
    int base;
    pthread_barrier_t *bar;
    int run_rc;
    int spawn_rc[NTHR_CHILD];
    int wait_rc[NTHR_CHILD];
    int code[NTHR_CHILD];
};

static int m_thread_spawner(void *arg, void **result)
{
    struct thr *t = arg;
    cio_process_t *ps[NTHR_CHILD] = {0};
    for (int i = 0; i < NTHR_CHILD; i++) {
        char cmd[64];
        /* Later children exit first: every wait finds its own. */
        snprintf(cmd, sizeof cmd, "sleep 0.%d; exit %d", NTHR_CHILD - i, t->base + i);
        t->spawn_rc[i] = cio_create_subprocess_shell(cmd, &no_opts, &ps[i]);
    }
    for (int i = 0; i < NTHR_CHILD; i++) {
        t->code[i] = 12345;
        t->wait_rc[i] = ps[i] ? cio_process_wait(ps[i], &t->code[i]) : -1;
    }
    for (int i = 0; i < NTHR_CHILD; i++)
        if (ps[i]) {
            int c;
            if (cio_process_returncode(ps[i], &c) == 0) {
                cio_process_kill(ps[i]);
                cio_process_wait(ps[i], NULL);
            }
            cio_unref(ps[i]);
        }
    return 0;
}

static void *thread_main(void *arg)
{
    struct thr *t = arg;
    pthread_barrier_wait(t->bar);
    t->run_rc = cio_run(m_thread_spawner, t, NULL);
    return NULL;
}

static void t_two_loops_two_threads(void)
{
    pthread_barrier_t bar;
    pthread_barrier_init(&bar, NULL, 2);
    struct thr a = {.base = 10, .bar = &bar}, b = {.base = 20, .bar = &bar};
    pthread_t ta, tb;
    char before[2048], after[2048];
    int n0 = count_fds(before, sizeof before);
    REQUIRE(pthread_create(&ta, NULL, thread_main, &a) == 0);
    if (pthread_create(&tb, NULL, thread_main, &b) != 0) {
        FAILF("pthread_create");
        pthread_barrier_wait(&bar); /* release a */
        pthread_join(ta, NULL);
        pthread_barrier_destroy(&bar);
        return;
    }
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    pthread_barrier_destroy(&bar);
    struct thr *ts[2] = {&a, &b};
    for (int k = 0; k < 2; k++) {
        CHECK_RC(ts[k]->run_rc, 0);
        for (int i = 0; i < NTHR_CHILD; i++) {
            if (ts[k]->spawn_rc[i] != 0 || ts[k]->wait_rc[i] != 0 || ts[k]->code[i] != ts[k]->base + i)
                FAILF("thread %d child %d: spawn %s, wait %s, returncode %d (expected %d)", k, i,
                      cio_err_name(ts[k]->spawn_rc[i]), cio_err_name(ts[k]->wait_rc[i]), ts[k]->code[i],
                      ts[k]->base + i);
        }
    }
    CHECK_NO_CHILDREN();
    int n1 = count_fds(after, sizeof after);
    if (n0 != n1)
        FAILF("open fds: %d before, %d after\n  before:%s\n  after: %s", n0, n1, before, after);
}

/* A child this program made itself, outside cio, is never reaped by cio
 * (the header: "other children's exits are never reaped"). */
static int m_foreign_child_not_reaped(void *arg, void **result)
{
    char *fargv[] = {"sh", "-c", "sleep 0.3; exit 5", NULL};
    pid_t foreign = -1;
    cio_process_t *p = NULL;
    REQ(posix_spawnp(&foreign, "sh", NULL, NULL, fargv, environ) == 0);
    const char *argv[] = {"true", NULL};
    for (int i = 0; i < 3; i++) {
        int rc = cio_create_subprocess_exec(argv, &no_opts, &p);
        CHECK_RC(rc, 0);
        REQ(rc == 0);
        CHECK_RC(cio_process_wait(p, NULL), 0);
        proc_finish(p);
        p = NULL;
    }
    CHECK_RC(cio_sleep(0.5), 0); /* the foreign child exits meanwhile */
    int st = 0;
    pid_t r = 0;
    WAIT_FOR((r = waitpid(foreign, &st, WNOHANG)) != 0, 5.0);
    CHECK_INT(r, foreign);
    if (r == foreign) {
        foreign = -1;
        CHECK(WIFEXITED(st));
        CHECK_INT(WEXITSTATUS(st), 5);
    }
out:
    if (foreign > 0) {
        kill(foreign, SIGKILL);
        waitpid(foreign, NULL, 0);
    }
    proc_finish(p);
    return 0;
}
static void t_foreign_child_not_reaped(void) { RUN(m_foreign_child_not_reaped); }

/* ------------------------------------------------------------ stdio modes */

static int m_stdio_devnull(void *arg, void **result)
{
    cio_process_opts_t o = {.stdin_mode = CIO_STDIO_DEVNULL, .stdout_mode = CIO_STDIO_PIPE, .stderr_mode = CIO_STDIO_DEVNULL};
    cio_process_t *p = NULL;
    struct comm c = {0};
    /* cat reads /dev/null: EOF at once (an inherited stdin could hang). */
    int rc = cio_create_subprocess_shell("cat; echo out; echo err >&2", &o, &p);
    CHECK_RC(rc, 0);
    REQ(rc == 0);
    CHECK(cio_process_stdin(p) == NULL);
    CHECK(cio_process_stdout(p) != NULL);
    CHECK(cio_process_stderr(p) == NULL);
    c.err = (char *)"sentinel";
    CHECK_RC(cio_process_communicate(p, NULL, 0, &c.out, &c.outlen, &c.err, &c.errlen), 0);
    CHECK_BYTES(c.out, c.outlen, "out\n");
    CHECK(c.err == NULL);
    c.err = NULL;
    comm_free(&c);
    proc_finish(p);
    p = NULL;

    /* The child's stdin and stdout are /dev/null itself.  (The links are
     * read in a $(...) subshell: dash applies a command's own redirection
     * to itself before it forks, so `readlink ... >&2` would see the
     * redirected fd 1.) */
    o = (cio_process_opts_t){.stdin_mode = CIO_STDIO_DEVNULL, .stdout_mode = CIO_STDIO_DEVNULL,
                             .stderr_mode = CIO_STDIO_PIPE};
    rc = cio_create_subprocess_shell("o=$(readlink /proc/$$/fd/1); i=$(readlink /proc/$$/fd/0);"
                                     "echo \"$o\" >&2; echo \"$i\" >&2",
                                     &o, &p);
    CHECK_RC(rc, 0);
    REQ(rc == 0);
    CHECK_RC(cio_process_communicate(p, NULL, 0, NULL, NULL, &c.err, &c.errlen), 0);
    CHECK_BYTES(c.err, c.errlen, "/dev/null\n/dev/null\n");
out:
    comm_free(&c);
    proc_finish(p);
    return 0;
}
static void t_stdio_devnull(void) { RUN(m_stdio_devnull); }

static int m_stdio_stderr_to_stdout(void *arg, void **result)
{
    cio_process_opts_t o = {.stdin_mode = CIO_STDIO_DEVNULL, .stdout_mode = CIO_STDIO_PIPE, .stderr_mode = CIO_STDIO_STDOUT};
    cio_process_t *p = NULL;
    struct comm c = {0};
    char path[64] = "";
    int fd = -1;
    int rc = cio_create_subprocess_shell("echo a; echo b >&2; echo c", &o, &p);
    CHECK_RC(rc, 0);
    REQ(rc == 0);
    CHECK(cio_process_stderr(p) == NULL);
    c.err = (char *)"sentinel";
    CHECK_RC(cio_process_communicate(p, NULL, 0, &c.out, &c.outlen, &c.err, &c.errlen), 0);
    CHECK_BYTES(c.out, c.outlen, "a\nb\nc\n");
    CHECK(c.err == NULL);
    c.err = NULL;
    comm_free(&c);
    proc_finish(p);
    p = NULL;

    /* "Wherever stdout goes": a file given as stdout's fd. */
    strcpy(path, "/tmp/cio-proc-out-XXXXXX");
    fd = mkostemp(path, O_CLOEXEC);
    REQ(fd >= 0);
    o = (cio_process_opts_t){.stdin_mode = CIO_STDIO_DEVNULL, .stdout_mode = CIO_STDIO_FD, .stdout_fd = fd,
                             .stderr_mode = CIO_STDIO_STDOUT};
    rc = cio_create_subprocess_shell("echo a; echo b >&2; echo c", &o, &p);
    CHECK_RC(rc, 0);
    REQ(rc == 0);
    CHECK_RC(cio_process_wait(p, NULL), 0);
    char buf[64];
    ssize_t k = pread(fd, buf, sizeof buf, 0);
    CHECK_BYTES(buf, k, "a\nb\nc\n");
out:
    if (fd >= 0) {
        close(fd);
        unlink(path);
    }
    comm_free(&c);
    proc_finish(p);
    return 0;
}
static void t_stdio_stderr_to_stdout(void) { RUN(m_stdio_stderr_to_stdout); }

static int m_stdio_fd(void *arg, void **result)
{
    cio_process_t *p = NULL;
    struct comm c = {0};
    struct tmpfiles tf;
    int pfd[2] = {-1, -1}, infd = -1, errfd = -1;
    char errpath[64] = "";
    int rc = tmpfiles_make(&tf);
    REQ(rc == 0);

    /* stdout into a pipe the test made. */
    REQ(pipe2(pfd, O_CLOEXEC) == 0);
    cio_process_opts_t o = {.stdin_mode = CIO_STDIO_DEVNULL, .stdout_mode = CIO_STDIO_FD, .stdout_fd = pfd[1]};
    const char *echo[] = {"echo", "via", "fd", NULL};
    rc = cio_create_subprocess_exec(echo, &o, &p);
    CHECK_RC(rc, 0);
    REQ(rc == 0);
    CHECK(cio_process_stdout(p) == NULL);
    CHECK_RC(cio_process_wait(p, NULL), 0);
    /* The caller's fd is not closed... */
    CHECK(fcntl(pfd[1], F_GETFD) >= 0);
    close(pfd[1]);
    pfd[1] = -1;
    /* ...and once the test closes it, the read end sees EOF after the data:
     * no copy of the write end stayed open anywhere. */
    char buf[64];
    ssize_t k = read(pfd[0], buf, sizeof buf);
    CHECK_BYTES(buf, k, "via fd\n");
    CHECK_INT(read(pfd[0], buf, sizeof buf), 0);
    proc_finish(p);
    p = NULL;

    /* stdin from a file. */
    infd = open(tf.plain, O_RDONLY | O_CLOEXEC);
    REQ(infd >= 0);
    o = (cio_process_opts_t){.stdin_mode = CIO_STDIO_FD, .stdin_fd = infd, .stdout_mode = CIO_STDIO_PIPE};
    const char *cat[] = {"cat", NULL};
    rc = cio_create_subprocess_exec(cat, &o, &p);
    CHECK_RC(rc, 0);
    REQ(rc == 0);
    CHECK(cio_process_stdin(p) == NULL);
    CHECK_RC(cio_process_communicate(p, NULL, 0, &c.out, &c.outlen, NULL, NULL), 0);
    CHECK_BYTES(c.out, c.outlen, "from file\n");
    CHECK(fcntl(infd, F_GETFD) >= 0);
    comm_free(&c);
    proc_finish(p);
    p = NULL;

    /* stderr into a file; stdin given as fd 0 of this process is fine too,
     * but the child here does not read it. */
    strcpy(errpath, "/tmp/cio-proc-err-XXXXXX");
    errfd = mkostemp(errpath, O_CLOEXEC);
    REQ(errfd >= 0);
    o = (cio_process_opts_t){.stdin_mode = CIO_STDIO_DEVNULL, .stderr_mode = CIO_STDIO_FD, .stderr_fd = errfd};
    rc = cio_create_subprocess_shell("echo to-stderr >&2", &o, &p);
    CHECK_RC(rc, 0);
    REQ(rc == 0);
    CHECK_RC(cio_process_wait(p, NULL), 0);
    k = pread(errfd, buf, sizeof buf, 0);
    CHECK_BYTES(buf, k, "to-stderr\n");
out:
    comm_free(&c);
    proc_finish(p);
    if (pfd[0] >= 0)
        close(pfd[0]);
    if (pfd[1] >= 0)
        close(pfd[1]);
    if (infd >= 0)
        close(infd);
    if (errfd >= 0) {
        close(errfd);
        unlink(errpath);
    }
    tmpfiles_remove(&tf);
    return 0;
}
static void t_stdio_fd(void) { RUN(m_stdio_fd); }

/* User fds that are themselves 0, 1 or 2 of this process: each child
 * stream gets the fd as it was at the call, whatever the other streams
 * are set to first (Python 3.11: stdout=PIPE, stderr=1 sends stderr to
 * the parent's fd 1; stdout=2, stderr=1 swaps them).  This process's fds
 * 1 and 2 point at files for the duration; nothing is checked (or printed)
 * until they are restored. */
static int m_stdio_fd_low_numbers(void *arg, void **result)
{
    char path1[64] = "/tmp/cio-proc-fd1-XXXXXX", path2[64] = "/tmp/cio-proc-fd2-XXXXXX";
    int f1 = mkostemp(path1, O_CLOEXEC), f2 = mkostemp(path2, O_CLOEXEC);
    int save1 = -1, save2 = -1;
    cio_process_t *p = NULL;
    struct comm c = {0};
    char buf1[64], buf2[64];
    ssize_t k1, k2;
    REQ(f1 >= 0 && f2 >= 0);
    fflush(stdout);
    fflush(stderr);
    save1 = fcntl(1, F_DUPFD_CLOEXEC, 3);
    save2 = fcntl(2, F_DUPFD_CLOEXEC, 3);
    REQ(save1 >= 0 && save2 >= 0);

    /* stdout a pipe, stderr to this process's fd 1. */
    dup2(f1, 1);
    cio_process_opts_t o = {.stdin_mode = CIO_STDIO_DEVNULL, .stdout_mode = CIO_STDIO_PIPE,
                            .stderr_mode = CIO_STDIO_FD, .stderr_fd = 1};
    int rc_spawn = cio_create_subprocess_shell("echo out; echo err >&2", &o, &p);
    int rc_comm = rc_spawn == 0 ? cio_process_communicate(p, NULL, 0, &c.out, &c.outlen, NULL, NULL) : 0;
    dup2(save1, 1);
    proc_finish(p);
    p = NULL;
    CHECK_RC(rc_spawn, 0);
    CHECK_RC(rc_comm, 0);
    CHECK_BYTES(c.out, c.outlen, "out\n");
    k1 = pread(f1, buf1, sizeof buf1, 0);
    CHECK_BYTES(buf1, k1, "err\n");
    comm_free(&c);

    /* Swapped: the child's stdout to our fd 2, its stderr to our fd 1. */
    REQ(ftruncate(f1, 0) == 0 && lseek(f1, 0, SEEK_SET) == 0);
    dup2(f1, 1);
    dup2(f2, 2);
    o = (cio_process_opts_t){.stdin_mode = CIO_STDIO_DEVNULL, .stdout_mode = CIO_STDIO_FD, .stdout_fd = 2,
                             .stderr_mode = CIO_STDIO_FD, .stderr_fd = 1};
    rc_spawn = cio_create_subprocess_shell("echo out; echo err >&2", &o, &p);
    int rc_wait = rc_spawn == 0 ? cio_process_wait(p, NULL) : 0;
    dup2(save1, 1);
    dup2(save2, 2);
    CHECK_RC(rc_spawn, 0);
    CHECK_RC(rc_wait, 0);
    k1 = pread(f1, buf1, sizeof buf1, 0);
    k2 = pread(f2, buf2, sizeof buf2, 0);
    CHECK_BYTES(buf1, k1, "err\n");
    CHECK_BYTES(buf2, k2, "out\n");
out:
    if (save1 >= 0) {
        dup2(save1, 1);
        close(save1);
    }
    if (save2 >= 0) {
        dup2(save2, 2);
        close(save2);
    }
    proc_finish(p);
    comm_free(&c);
    if (f1 >= 0) {
        close(f1);
        unlink(path1);
    }
    if (f2 >= 0) {
        close(f2);
        unlink(path2);
    }
    return 0;
}
static void t_stdio_fd_low_numbers(void) { RUN(m_stdio_fd_low_numbers); }

/* ------------------------------------------------------------ cwd, env, session */

static int m_cwd_env(void *arg, void **result)
{
    struct tmpfiles tf;
    char *outb = NULL;
    size_t outlen = 0;
    int code = -1;
    char real[PATH_MAX], expect[PATH_MAX + 64];
    int rc = tmpfiles_make(&tf);
    REQ(rc == 0);
    REQ(realpath(tf.dir, real));

    /* cwd and a whole environment of the caller's. */
    char *const env[] = {"FOO=bar baz", "PATH=/usr/bin:/bin", NULL};
    cio_process_opts_t o = {.stdin_mode = CIO_STDIO_DEVNULL, .stdout_mode = CIO_STDIO_PIPE, .cwd = real, .env = env};
    CHECK_RC(sh_capture("pwd; echo \"$FOO\"; echo \"${HOME-unset}\"; cat plain.txt", &o, &outb, &outlen, &code), 0);
    CHECK_INT(code, 0);
    snprintf(expect, sizeof expect, "%s\nbar baz\nunset\nfrom file\n", real);
    CHECK(outb && outlen == strlen(expect) && memcmp(outb, expect, outlen) == 0);
    if (outb && (outlen != strlen(expect) || memcmp(outb, expect, outlen) != 0))
        FAILF("got \"%.*s\", expected \"%s\"", (int)outlen, outb, expect);
    if (outb)
        cio_free(outb);
    outb = NULL;

    /* The same with exec: the environment is exactly the one given. */
    const char *argv[] = {"sh", "-c", "echo \"$FOO\"; env | wc -l", NULL};
    cio_process_t *p = NULL;
    rc = cio_create_subprocess_exec(argv, &o, &p);
    CHECK_RC(rc, 0);
    if (rc == 0) {
        CHECK_RC(cio_process_communicate(p, NULL, 0, &outb, &outlen, NULL, NULL), 0);
        /* sh adds PWD to what it exports: at most 3 variables. */
        CHECK(outb && outlen > 8 && memcmp(outb, "bar baz\n", 8) == 0 && atoi(outb + 8) >= 2 &&
              atoi(outb + 8) <= 3);
        if (outb)
            cio_free(outb);
        outb = NULL;
        proc_finish(p);
    }

    /* env NULL: the parent's environment; cwd NULL: the parent's cwd. */
    char here[PATH_MAX];
    REQ(getcwd(here, sizeof here));
    setenv("CIO_TEST_INHERITED", "yes it is", 1);
    CHECK_RC(sh_capture("echo \"$CIO_TEST_INHERITED\"; pwd -P", NULL, &outb, &outlen, &code), 0);
    unsetenv("CIO_TEST_INHERITED");
    char realhere[PATH_MAX];
    REQ(realpath(here, realhere));
    snprintf(expect, sizeof expect, "yes it is\n%s\n", realhere);
    if (!outb || outlen != strlen(expect) || memcmp(outb, expect, outlen) != 0)
        FAILF("got \"%.*s\", expected \"%s\"", (int)outlen, outb ? outb : "", expect);
out:
    if (outb)
        cio_free(outb);
    tmpfiles_remove(&tf);
    return 0;
}
static void t_cwd_env(void) { RUN(m_cwd_env); }

/* A program name without '/' given with an environment of the caller's is
 * looked up in that environment's PATH, as Python does (subprocess uses
 * os.get_exec_path(env)); the header says only "looked up in PATH". */
static int m_path_from_env(void *arg, void **result)
{
    struct tmpfiles tf;
    char probe[128], pathvar[160];
    char *outb = NULL;
    size_t outlen = 0;
    cio_process_t *p = NULL;
    int rc = tmpfiles_make(&tf);
    REQ(rc == 0);
    snprintf(probe, sizeof probe, "%s/cio-path-probe", tf.dir);
    REQ(write_file(probe, "#!/bin/sh\necho found\n", 0755) == 0);
    snprintf(pathvar, sizeof pathvar, "PATH=%s:/usr/bin:/bin", tf.dir);
    char *const env[] = {pathvar, NULL};
    const char *argv[] = {"cio-path-probe", NULL};
    cio_process_opts_t o = {.stdin_mode = CIO_STDIO_DEVNULL, .stdout_mode = CIO_STDIO_PIPE, .env = env};
    rc = cio_create_subprocess_exec(argv, &o, &p);
    CHECK_RC(rc, 0);
    REQ(rc == 0);
    CHECK_RC(cio_process_communicate(p, NULL, 0, &outb, &outlen, NULL, NULL), 0);
    CHECK_BYTES(outb, outlen, "found\n");
out:
    if (outb)
        cio_free(outb);
    proc_finish(p);
    if (tf.dir[0])
        unlink(probe);
    tmpfiles_remove(&tf);
    return 0;
}
static void t_path_from_env(void) { RUN(m_path_from_env); }

/* What the child wrote stays readable after its exit (Python: wait(), then
 * stdout.read() == b'late\n'). */
static int m_read_after_exit(void *arg, void **result)
{
    cio_process_opts_t o = {.stdin_mode = CIO_STDIO_DEVNULL, .stdout_mode = CIO_STDIO_PIPE};
    cio_process_t *p = NULL;
    char *data = NULL;
    int code = -1;
    int rc = cio_create_subprocess_shell("echo late; echo later", &o, &p);
    CHECK_RC(rc, 0);
    REQ(rc == 0);
    CHECK_RC(cio_process_wait(p, &code), 0);
    CHECK_INT(code, 0);
    CHECK_RC(cio_sleep(0.05), 0);
    REQ(cio_process_stdout(p));
    ssize_t n = cio_stream_read_all(cio_process_stdout(p), &data);
    CHECK_BYTES(data, n, "late\nlater\n");
out:
    if (data)
        cio_free(data);
    proc_finish(p);
    return 0;
}
static void t_read_after_exit(void) { RUN(m_read_after_exit); }

/* The child's pid, process group and session, as read by the child from
 * /proc/$$/stat (fields 1, 5 and 6). */
static int child_ids(int new_session, long ids[3])
{
    cio_process_opts_t o = {.stdin_mode = CIO_STDIO_DEVNULL, .stdout_mode = CIO_STDIO_PIPE,
                            .start_new_session = new_session};
    char *outb = NULL;
    size_t outlen = 0;
    int code = -1;
    int rc = sh_capture("read -r l < /proc/$$/stat; set -- $l; echo $1 $5 $6", &o, &outb, &outlen, &code);
    if (rc == 0 && (!outb || sscanf(outb, "%ld %ld %ld", &ids[0], &ids[1], &ids[2]) != 3))
        rc = -EPROTO;
    if (outb)
        cio_free(outb);
    return rc;
}

static int m_start_new_session(void *arg, void **result)
{
    long ids[3] = {0};
    CHECK_RC(child_ids(1, ids), 0);
    CHECK(ids[0] > 0);
    CHECK_INT(ids[2], ids[0]); /* session leader */
    CHECK_INT(ids[1], ids[0]); /* and process group leader */
    CHECK_RC(child_ids(0, ids), 0);
    CHECK_INT(ids[2], getsid(0)); /* ours */
    CHECK(ids[2] != ids[0]);
    return 0;
}
static void t_start_new_session(void) { RUN(m_start_new_session); }

/* The child starts clean: no fd of ours beyond its three, no blocked
 * signal, SIGPIPE at its default even when this process ignores it. */
static int m_child_starts_clean(void *arg, void **result)
{
    int leak[2] = {-1, -1};
    char *outb = NULL;
    size_t outlen = 0;
    int code = -1;
    sigset_t block, old;
    struct sigaction ign = {.sa_handler = SIG_IGN}, oldpipe;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR2);
    sigaddset(&block, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    sigaction(SIGPIPE, &ign, &oldpipe);
    REQ(pipe(leak) == 0); /* no O_CLOEXEC: an exec would keep them */
    char cmd[256];
    /* The signal state of the spawned process itself: exec, not a child of
     * the shell (a shell blocks every signal around its own forks, so a
     * grep it forks could see that transient mask in /proc/$$/status). */
    CHECK_RC(sh_capture("exec grep -E '^(SigBlk|SigIgn):' /proc/self/status", NULL, &outb, &outlen, &code), 0);
    REQ(outb);
    char *sigs = outb;
    outb = NULL;
    snprintf(cmd, sizeof cmd, "for f in %d %d; do [ -e /proc/$$/fd/$f ] && echo open $f || echo closed; done",
             leak[0], leak[1]);
    CHECK_RC(sh_capture(cmd, NULL, &outb, &outlen, &code), 0);
    if (!outb) {
        cio_free(sigs);
        REQ(outb);
    }
    size_t sl = strlen(sigs), ol = strlen(outb);
    char *both = malloc(sl + ol + 1);
    if (both) {
        memcpy(both, sigs, sl);
        memcpy(both + sl, outb, ol + 1);
    }
    cio_free(sigs);
    cio_free(outb);
    outb = NULL;
    REQ(both);
    outb = both;
    unsigned long long blk = ~0ull, ignm = ~0ull;
    const char *s = strstr(outb, "SigBlk:");
    CHECK(s && sscanf(s, "SigBlk: %llx", &blk) == 1);
    s = strstr(outb, "SigIgn:");
    CHECK(s && sscanf(s, "SigIgn: %llx", &ignm) == 1);
    CHECK_INT(blk, 0);
    CHECK_INT((ignm >> (SIGPIPE - 1)) & 1, 0);
    s = strstr(outb, "closed\nclosed\n");
    if (!s)
        FAILF("fds of this process open in the child: %s", outb);
out:
    free(outb); /* malloc'd above */
    if (leak[0] >= 0)
        close(leak[0]);
    if (leak[1] >= 0)
        close(leak[1]);
    sigaction(SIGPIPE, &oldpipe, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return 0;
}
static void t_child_starts_clean(void) { RUN(m_child_starts_clean); }

/* ------------------------------------------------------------ the limit */

static int m_stdout_limit(void *arg, void **result)
{
    cio_process_t *p = NULL;
    char *line = malloc(8192);
    REQ(line);
    const char *cmd = "head -c 5000 /dev/zero | tr '\\0' x; echo; echo short";

    /* limit 0: the default (64 KiB), the long line fits. */
    cio_process_opts_t o = {.stdin_mode = CIO_STDIO_DEVNULL, .stdout_mode = CIO_STDIO_PIPE};
    int rc = cio_create_subprocess_shell(cmd, &o, &p);
    CHECK_RC(rc, 0);
    REQ(rc == 0);
    cio_stream_t *s = cio_process_stdout(p);
    REQ(s);
    ssize_t n = cio_stream_readline(s, line, 8192);
    CHECK_INT(n, 5001);
    CHECK_BYTES(line, cio_stream_readline(s, line, 8192), "short\n");
    CHECK_INT(cio_stream_readline(s, line, 8192), 0);
    CHECK_RC(cio_process_wait(p, NULL), 0);
    proc_finish(p);
    p = NULL;

    /* limit 1024: the same line is over it (Python: ValueError from
     * readline with limit=1024). */
    o.limit = 1024;
    rc = cio_create_subprocess_shell(cmd, &o, &p);
    CHECK_RC(rc, 0);
    REQ(rc == 0);
    s = cio_process_stdout(p);
    REQ(s);
    CHECK_RC(cio_stream_readline(s, line, 8192), CIO_ELIMITOVERRUN);
    /* What is left of the long line after the discard depends on how the
     * pipe chunked it; the last line is still there. */
    int found = 0;
    for (int i = 0; i < 20 && !found; i++) {
        n = cio_stream_readline(s, line, 8192);
        if (n == 0)
            break;
        found = n == 6 && memcmp(line, "short\n", 6) == 0;
    }
    CHECK(found);
    CHECK_RC(cio_process_wait(p, NULL), 0);
out:
    proc_finish(p);
    free(line);
    return 0;
}
static void t_stdout_limit(void) { RUN(m_stdout_limit); }

/* ------------------------------------------------------------ unref */

static int m_unref_running_kills(void *arg, void **result)
{
    const char *argv[] = {"sleep", "30", NULL};
    cio_process_opts_t pipes = {.stdin_mode = CIO_STDIO_PIPE, .stdout_mode = CIO_STDIO_PIPE, .stderr_mode = CIO_STDIO_PIPE};
    for (int with_pipes = 0; with_pipes < 2; with_pipes++) {
        cio_process_t *p = NULL;
        int rc = cio_create_subprocess_exec(argv, with_pipes ? &pipes : &no_opts, &p);
        CHECK_RC(rc, 0);
        if (rc < 0)
            return 0;
        pid_t pid = cio_process_pid(p);
        CHECK(pid > 0);
        CHECK_RC(cio_sleep(0.05), 0);
        CHECK_INT(kill(pid, 0), 0);
        CHECK_RC(cio_unref(p), 0);
        /* Killed and reaped by the loop while it runs: the pid is gone. */
        WAIT_FOR(pid_gone(pid), 5.0);
        if (!pid_gone(pid))
            FAILF("%s: child %d still exists (running or a zombie) 5 s after its last unref",
                  with_pipes ? "with pipes" : "no pipes", (int)pid);
    }
    return 0;
}
static void t_unref_running_kills(void) { RUN(m_unref_running_kills); }

/* The last reference dropped just before the main task returns: the
 * shutdown still leaves neither a running child nor a zombie. */
static pid_t unref_pid;
static int m_unref_then_return(void *arg, void **result)
{
    const char *argv[] = {"sleep", "30", NULL};
    cio_process_opts_t pipes = {.stdin_mode = CIO_STDIO_PIPE, .stdout_mode = CIO_STDIO_PIPE, .stderr_mode = CIO_STDIO_PIPE};
    cio_process_t *p = NULL;
    int rc = cio_create_subprocess_exec(argv, &pipes, &p);
    CHECK_RC(rc, 0);
    if (rc < 0)
        return 0;
    unref_pid = cio_process_pid(p);
    cio_unref(p);
    return 0;
}

static void t_unref_then_return(void)
{
    unref_pid = -1;
    int n0 = count_fds(NULL, 0);
    CHECK_RC(run_limited(m_unref_then_return, NULL, NULL), 0);
    REQUIRE(unref_pid > 0);
    double t0 = now_s();
    while (!pid_gone(unref_pid) && now_s() - t0 < 3.0)
        usleep(2000);
    if (!pid_gone(unref_pid)) {
        int st = 0;
        pid_t r = waitpid(unref_pid, &st, WNOHANG);
        FAILF("child %d %s after cio_run returned", (int)unref_pid,
              r == unref_pid ? "was left a zombie" : "still runs");
        if (r == 0) {
            kill(unref_pid, SIGKILL);
            waitpid(unref_pid, NULL, 0);
        }
    }
    CHECK_NO_CHILDREN();
    CHECK_INT(count_fds(NULL, 0), n0);
}

/* ------------------------------------------------------------ bad input */

static int m_invalid_args(void *arg, void **result)
{
    cio_process_t *p = NULL;
    const char *empty[] = {NULL};
    const char *tru[] = {"true", NULL};
    const char *sleeper[] = {"sleep", "30", NULL};

    CHECK_RC(cio_create_subprocess_exec(NULL, &no_opts, &p), -EINVAL);
    CHECK_RC(cio_create_subprocess_exec(empty, &no_opts, &p), -EINVAL);
    CHECK_RC(cio_create_subprocess_exec(empty, NULL, &p), -EINVAL);

    /* A CIO_STDIO_FD that is not an open fd. */
    int closedfd = 1000;
    while (fcntl(closedfd, F_GETFD) >= 0)
        closedfd++;
    cio_process_opts_t o = {.stdin_mode = CIO_STDIO_FD, .stdin_fd = -1};
    CHECK_RC(cio_create_subprocess_exec(tru, &o, &p), -EBADF);
    o = (cio_process_opts_t){.stdout_mode = CIO_STDIO_FD, .stdout_fd = closedfd};
    CHECK_RC(cio_create_subprocess_exec(tru, &o, &p), -EBADF);
    o = (cio_process_opts_t){.stdin_mode = CIO_STDIO_PIPE, .stdout_mode = CIO_STDIO_PIPE,
                             .stderr_mode = CIO_STDIO_FD, .stderr_fd = closedfd};
    CHECK_RC(cio_create_subprocess_exec(tru, &o, &p), -EBADF);
    CHECK_RC(cio_create_subprocess_shell("true", &o, &p), -EBADF);

    /* CIO_STDIO_STDOUT is for stderr only. */
    o = (cio_process_opts_t){.stdin_mode = CIO_STDIO_STDOUT};
    CHECK_RC(cio_create_subprocess_exec(tru, &o, &p), CIO_EINVALSTATE);
    o = (cio_process_opts_t){.stdout_mode = CIO_STDIO_STDOUT};
    CHECK_RC(cio_create_subprocess_exec(tru, &o, &p), CIO_EINVALSTATE);
    o = (cio_process_opts_t){.stdin_mode = CIO_STDIO_PIPE, .stdout_mode = CIO_STDIO_STDOUT};
    CHECK_RC(cio_create_subprocess_shell("true", &o, &p), CIO_EINVALSTATE);

    /* None of these started anything. */
    check_no_children_at("refused create calls");

    /* Bad signals to a running child: refused, the child goes on. */
    int rc = cio_create_subprocess_exec(sleeper, &no_opts, &p);
    CHECK_RC(rc, 0);
    REQ(rc == 0);
    CHECK_RC(cio_process_send_signal(p, 0), -EINVAL);
    CHECK_RC(cio_process_send_signal(p, 1000), -EINVAL);
    CHECK_RC(cio_process_send_signal(p, -1), -EINVAL);
    CHECK_RC(cio_process_send_signal(p, 65), -EINVAL);
    CHECK_RC(cio_sleep(0.05), 0);
    int code = 12345;
    CHECK_INT(cio_process_returncode(p, &code), 0);
    CHECK_INT(kill(cio_process_pid(p), 0), 0);
out:
    proc_finish(p);
    return 0;
}
static void t_invalid_args(void) { RUN(m_invalid_args); }

/* ------------------------------------------------------------ fds */

/* Every path that makes pipes gives them back: success, exec failure,
 * refused options after pipes could have been made, cancel, unref of a
 * running child.  run_proc_case counts the fds around it. */
static int m_fd_paths(void *arg, void **result)
{
    cio_process_opts_t pipes = {.stdin_mode = CIO_STDIO_PIPE, .stdout_mode = CIO_STDIO_PIPE, .stderr_mode = CIO_STDIO_PIPE};
    cio_process_t *p = NULL;
    cio_task_t *t = NULL;
    struct comm c = {0};
    const char *cat[] = {"cat", NULL};
    const char *missing[] = {"/nonexistent-cio-dir/prog", NULL};
    const char *sleeper[] = {"sleep", "30", NULL};

    for (int round = 0; round < 3; round++) {
        int rc = cio_create_subprocess_exec(cat, &pipes, &p);
        CHECK_RC(rc, 0);
        REQ(rc == 0);
        CHECK_RC(cio_process_communicate(p, "x\n", 2, &c.out, &c.outlen, &c.err, &c.errlen), 0);
        CHECK_BYTES(c.out, c.outlen, "x\n");
        comm_free(&c);
        proc_finish(p);
        p = NULL;

        CHECK_RC(cio_create_subprocess_exec(missing, &pipes, &p), -ENOENT);
        p = NULL;
        cio_process_opts_t bad = pipes;
        bad.stderr_mode = CIO_STDIO_FD;
        bad.stderr_fd = -1;
        CHECK_RC(cio_create_subprocess_exec(cat, &bad, &p), -EBADF);
        p = NULL;

        rc = cio_create_subprocess_exec(sleeper, &pipes, &p);
        CHECK_RC(rc, 0);
        REQ(rc == 0);
        c = (struct comm){.p = p};
        t = cio_create_task(comm_task, &c);
        REQ(t);
        CHECK_RC(cio_sleep(0.05), 0);
        cio_task_cancel(t, NULL);
        CHECK_RC(cio_await(t, NULL), -ECANCELED);
        cio_unref(t);
        t = NULL;
        comm_free(&c);
        pid_t pid = cio_process_pid(p);
        cio_unref(p);
        p = NULL;
        WAIT_FOR(pid_gone(pid), 5.0);
        CHECK(pid_gone(pid));
    }
out:
    task_finish(t);
    comm_free(&c);
    proc_finish(p);
    return 0;
}
static void t_no_fd_leak(void) { RUN(m_fd_paths); }

/* Out of memory at every allocation of a spawn with three pipes in turn:
 * -ENOMEM and nothing left behind (no child, no fd: run_proc_case counts
 * them; no memory: the harness counts it), or a working process. */
static int m_enomem_sweep(void *arg, void **result)
{
    const char *argv[] = {"cat", NULL};
    cio_process_opts_t o = {.stdin_mode = CIO_STDIO_PIPE, .stdout_mode = CIO_STDIO_PIPE,
                            .stderr_mode = CIO_STDIO_PIPE};
    int nomem = 0;
    for (long k = 0; k < 64; k++) {
        cio_process_t *p = NULL;
        atomic_store(&test_fail_at, atomic_load(&test_alloc_count) + k);
        int rc = cio_create_subprocess_exec(argv, &o, &p);
        atomic_store(&test_fail_at, -1);
        if (rc == -ENOMEM) {
            nomem++;
            CHECK(p == NULL);
            check_no_children_at("after -ENOMEM");
            continue;
        }
        if (rc != 0) {
            FAILF("allocation %ld failed: %d (%s), expected 0 or -ENOMEM", k, rc, cio_err_name(rc));
            break;
        }
        struct comm c = {0};
        CHECK_RC(cio_process_communicate(p, "x", 1, &c.out, &c.outlen, &c.err, &c.errlen), 0);
        CHECK_BYTES(c.out, c.outlen, "x");
        comm_free(&c);
        proc_finish(p);
    }
    CHECK(nomem > 0);
    return 0;
}
static void t_enomem_sweep(void) { RUN(m_enomem_sweep); }

/* ------------------------------------------------------------ SIGPIPE */

/* Once a child has a stdin pipe this process ignores SIGPIPE: writing to
 * the pipe of a child that exited is an error code, not death.  (Python
 * 3.11: ConnectionResetError from drain; the header: -EPIPE.)  Last in the
 * list: if SIGPIPE kills the binary, the cases before have reported. */
static int m_write_to_dead_child(void *arg, void **result)
{
    const char *argv[] = {"true", NULL};
    cio_process_opts_t o = {.stdin_mode = CIO_STDIO_PIPE};
    cio_process_t *p = NULL;
    int rc = cio_create_subprocess_exec(argv, &o, &p);
    CHECK_RC(rc, 0);
    REQ(rc == 0);
    struct sigaction sa;
    CHECK_INT(sigaction(SIGPIPE, NULL, &sa), 0);
    CHECK(sa.sa_handler == SIG_IGN);
    CHECK_RC(cio_process_wait(p, NULL), 0);
    cio_stream_t *in = cio_process_stdin(p);
    REQ(in);
    static const char chunk[4096];
    for (int i = 0; i < 64; i++) {
        rc = cio_stream_write(in, chunk, sizeof chunk);
        if (rc == 0)
            rc = cio_stream_drain(in);
        if (rc < 0)
            break;
    }
    if (rc != -EPIPE && rc != -ECONNRESET)
        FAILF("writing 256 KiB to the stdin of a dead child: %d (%s), expected -EPIPE", rc, cio_err_name(rc));
out:
    proc_finish(p);
    return 0;
}
static void t_write_to_dead_child(void) { RUN(m_write_to_dead_child); }

/* Without pidfd the exit is noticed by a thread per child waiting in
 * waitpid for that pid alone: the same results, signals, cancels, many
 * children at once, and still no foreign child reaped. */
static void t_without_pidfd(void)
{
    int refused0 = atomic_load(&pidfd_refused);
    atomic_store(&no_pidfd, 1);
    RUN(m_exit_codes);
    RUN(m_killed_by_signal);
    RUN(m_cancel_wait);
    RUN(m_communicate_cat);
    RUN(m_many_children);
    RUN(m_foreign_child_not_reaped);
    atomic_store(&no_pidfd, 0);
    CHECK(atomic_load(&pidfd_refused) - refused0 >= 100); /* the fallback ran */
}

/* ------------------------------------------------ subprocess transport */

/* cio_subprocess_exec with a recording protocol, checked against CPython
 * 3.12's loop.subprocess_exec running the same programs:
 *   sh -c 'cat; echo err >&2; exit 3', stdin "hello\n" then closed:
 *     made (already on return, returncode None), then in some order
 *     exited 3 / pipe_lost 0 / pipe_lost 1 / pipe_lost 2, then lost None;
 *     stdout b'hello\n', stderr b'err\n'; get_pipe_transport(5) None;
 *     kill() after the end: ProcessLookupError;
 *   sleep 30 with only stdout a pipe, close(): is_closing True,
 *     get_pipe_transport(0) None, events made / pipe_lost 1 / exited -9 /
 *     lost None. */
struct sprec {
    char ev[512];
    size_t evlen;
    char out[3][256];
    size_t outlen[3];
    int made, exited, lost, pipes_lost;
    int order_bad; /* an event after lost, or lost before exit or a pipe */
    int expect_pipes;
    cio_process_t *p;
    cio_future_t *done;
};
static void sp_log(struct sprec *r, const char *fmt, int a, int b)
{
    if (r->lost)
        r->order_bad = 1;
    int k = snprintf(r->ev + r->evlen, sizeof r->ev - r->evlen, fmt, a, b);
    if (k > 0 && (size_t)k < sizeof r->ev - r->evlen)
        r->evlen += (size_t)k;
}
static void sp_made(cio_process_t *p, void *ud)
{
    struct sprec *r = ud;
    r->made++;
    r->p = p;
    sp_log(r, "made%.0d%.0d;", 0, 0);
}
static void sp_data(cio_process_t *p, int fd, const void *data, size_t n, void *ud)
{
    struct sprec *r = ud;
    if (r->lost || fd < 1 || fd > 2)
        r->order_bad = 1;
    else if (r->outlen[fd] + n < sizeof r->out[fd]) {
        memcpy(r->out[fd] + r->outlen[fd], data, n);
        r->outlen[fd] += n;
    }
}
static void sp_pipe_lost(cio_process_t *p, int fd, int err, void *ud)
{
    struct sprec *r = ud;
    r->pipes_lost++;
    sp_log(r, "pipe_lost %d %d;", fd, err);
}
static void sp_exited(cio_process_t *p, void *ud)
{
    struct sprec *r = ud;
    int code = 999;
    cio_process_returncode(p, &code);
    r->exited++;
    sp_log(r, "exited %d%.0d;", code, 0);
}
static void sp_lost(cio_process_t *p, int err, void *ud)
{
    struct sprec *r = ud;
    if (!r->exited || r->pipes_lost != r->expect_pipes)
        r->order_bad = 1;
    sp_log(r, "lost %d%.0d;", err, 0);
    r->lost++;
    if (r->done)
        cio_future_set_result(r->done, NULL);
}
static const cio_subprocess_protocol_t sp_proto = {
    .connection_made = sp_made,
    .pipe_data_received = sp_data,
    .pipe_connection_lost = sp_pipe_lost,
    .process_exited = sp_exited,
    .connection_lost = sp_lost,
};

static int sp_await_done(struct sprec *r)
{
    cio_timeout_t to;
    int rc = cio_timeout_enter(&to, 10);
    if (rc < 0)
        return rc;
    return cio_timeout_exit(&to, cio_await(r->done, NULL));
}

static int m_subprocess_transport(void *arg, void **result)
{
    struct sprec r = {.expect_pipes = 3};
    cio_process_t *p = NULL;
    r.done = cio_create_future();
    REQ(r.done);
    const char *const argv[] = {"sh", "-c", "cat; echo err >&2; exit 3", NULL};
    REQ_OK(cio_subprocess_exec(&sp_proto, &r, argv, NULL, &p));
    CHECK_INT(r.made, 1);
    CHECK(r.p == p);
    CHECK_INT(cio_process_returncode(p, NULL), 0);
    CHECK(cio_process_pid(p) > 0);
    CHECK(cio_process_stdout(p) == NULL); /* pipes are transports here */
    CHECK(cio_process_pipe_transport(p, 5) == NULL);
    CHECK(cio_process_pipe_transport(p, -1) == NULL);
    cio_transport_t *w = cio_process_pipe_transport(p, 0);
    REQ(w && cio_process_pipe_transport(p, 1) && cio_process_pipe_transport(p, 2));
    CHECK_RC(cio_transport_write(w, "hello\n", 6), 0);
    CHECK_RC(cio_transport_close(w), 0);
    int code = -1;
    CHECK_RC(cio_process_wait(p, &code), 0); /* returns after connection_lost */
    CHECK_INT(code, 3);
    CHECK_INT(r.lost, 1);
    CHECK_RC(sp_await_done(&r), 0);
    CHECK_INT(r.made, 1);
    CHECK_INT(r.exited, 1);
    CHECK_INT(r.pipes_lost, 3);
    CHECK_INT(r.order_bad, 0);
    CHECK(strstr(r.ev, "exited 3;") && strstr(r.ev, "pipe_lost 0 0;") && strstr(r.ev, "pipe_lost 1 0;") &&
          strstr(r.ev, "pipe_lost 2 0;"));
    CHECK(strncmp(r.ev, "made;", 5) == 0);
    CHECK(r.evlen >= 7 && strcmp(r.ev + r.evlen - 7, "lost 0;") == 0);
    CHECK_BYTES(r.out[1], (ssize_t)r.outlen[1], "hello\n");
    CHECK_BYTES(r.out[2], (ssize_t)r.outlen[2], "err\n");
    CHECK_RC(cio_process_kill(p), -ESRCH);
    CHECK_INT(cio_process_is_closing(p), 0);
    CHECK_RC(cio_process_close(p), 0);
    CHECK_INT(cio_process_is_closing(p), 1);
    CHECK_RC(cio_process_close(p), 0);
out:
    cio_unref(p);
    cio_unref(r.done);
    return 0;
}
static void t_subprocess_transport(void) { RUN(m_subprocess_transport); }

/* close() kills a running child; the events still come, in order. */
static int m_subprocess_close(void *arg, void **result)
{
    struct sprec r = {.expect_pipes = 1};
    cio_process_t *p = NULL;
    r.done = cio_create_future();
    REQ(r.done);
    cio_process_opts_t o = {.stdout_mode = CIO_STDIO_PIPE, .stderr_mode = CIO_STDIO_DEVNULL};
    REQ_OK(cio_subprocess_shell(&sp_proto, &r, "exec sleep 30", &o, &p));
    CHECK(cio_process_pipe_transport(p, 0) == NULL);
    CHECK(cio_process_pipe_transport(p, 2) == NULL);
    CHECK(cio_process_pipe_transport(p, 1) != NULL);
    cio_unref(p); /* the loop keeps it until connection_lost */
    p = NULL;
    CHECK_RC(cio_process_close(r.p), 0);
    CHECK_INT(cio_process_is_closing(r.p), 1);
    CHECK_RC(sp_await_done(&r), 0);
    CHECK_INT(r.order_bad, 0);
    CHECK(strstr(r.ev, "exited -9;") && strstr(r.ev, "pipe_lost 1 0;"));
    CHECK(r.evlen >= 7 && strcmp(r.ev + r.evlen - 7, "lost 0;") == 0);
out:
    cio_unref(p);
    cio_unref(r.done);
    return 0;
}
static void t_subprocess_close_kills(void) { RUN(m_subprocess_close); }

/* No pipes at all: connection_lost follows process_exited. */
static int m_subprocess_no_pipes(void *arg, void **result)
{
    struct sprec r = {.expect_pipes = 0};
    cio_process_t *p = NULL;
    r.done = cio_create_future();
    REQ(r.done);
    const char *const argv[] = {"true", NULL};
    REQ_OK(cio_subprocess_exec(&sp_proto, &r, argv, &no_opts, &p));
    CHECK_RC(sp_await_done(&r), 0);
    CHECK_STR(r.ev, "made;exited 0;lost 0;");
out:
    cio_unref(p);
    cio_unref(r.done);
    return 0;
}
static void t_subprocess_no_pipes(void) { RUN(m_subprocess_no_pipes); }

static int m_subprocess_bad_args(void *arg, void **result)
{
    struct sprec r = {0};
    cio_process_t *p = (cio_process_t *)&r, *q = NULL;
    const char *const argv[] = {"true", NULL};
    const char *const nope[] = {"/nonexistent/program", NULL};
    const char *const empty[] = {NULL};
    CHECK_RC(cio_subprocess_exec(NULL, &r, argv, NULL, &p), -EINVAL);
    CHECK(p == NULL);
    CHECK_RC(cio_subprocess_exec(&sp_proto, &r, argv, NULL, NULL), -EINVAL);
    CHECK_RC(cio_subprocess_exec(&sp_proto, &r, NULL, NULL, &p), -EINVAL);
    CHECK_RC(cio_subprocess_exec(&sp_proto, &r, empty, NULL, &p), -EINVAL);
    CHECK_RC(cio_subprocess_shell(&sp_proto, &r, NULL, NULL, &p), -EINVAL);
    CHECK_RC(cio_subprocess_exec(&sp_proto, &r, nope, NULL, &p), -ENOENT);
    CHECK(p == NULL);
    CHECK_INT(r.made, 0);
    CHECK_RC(cio_process_close(NULL), -EINVAL);
    CHECK_RC(cio_process_is_closing(NULL), -EINVAL);
    CHECK(cio_process_pipe_transport(NULL, 0) == NULL);
    /* A Process of streams is not a transport. */
    REQ_OK(cio_create_subprocess_exec(argv, NULL, &q));
    CHECK_RC(cio_process_close(q), -ENOTSUP);
    CHECK_RC(cio_process_is_closing(q), -ENOTSUP);
    CHECK(cio_process_pipe_transport(q, 1) == NULL);
    CHECK_RC(cio_process_wait(q, NULL), 0);
out:
    cio_unref(q);
    return 0;
}
static void t_subprocess_bad_args(void)
{
    cio_process_t *p = NULL;
    const char *const argv[] = {"true", NULL};
    CHECK_RC(cio_subprocess_exec(&sp_proto, NULL, argv, NULL, &p), CIO_ENOLOOP);
    CHECK(p == NULL);
    RUN(m_subprocess_bad_args);
}

/* ------------------------------------------------------- Popen options */

static void set_nonblock_fd(int fd)
{
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* Run `sh -c script` with opts (stdout made a pipe), to its end: the exit
 * code, or a negative error; its output in out. */
static int sh_out(const char *script, cio_process_opts_t *o, char *out, size_t cap)
{
    cio_process_t *p = NULL;
    o->stdout_mode = CIO_STDIO_PIPE;
    out[0] = 0;
    int rc = cio_create_subprocess_shell(script, o, &p);
    if (rc < 0)
        return rc;
    char *data = NULL;
    size_t n = 0;
    rc = cio_process_communicate(p, NULL, 0, &data, &n, NULL, NULL);
    int code = -1;
    cio_process_returncode(p, &code);
    if (data) {
        snprintf(out, cap, "%.*s", (int)n, data);
        cio_free(data);
    }
    cio_unref(p);
    return rc < 0 ? rc : code;
}

/* Expectations from CPython 3.12's create_subprocess_exec with the same
 * options (pass_fds=[w], umask=0o027, process_group=0, user/group=65534
 * as root): "hi" through the passed fd, umask 0027, pgid == pid, id -u/-g
 * 65534; an fd not passed is closed; cwd that does not exist with umask:
 * FileNotFoundError. */
static int m_popen_options(void *arg, void **result)
{
    char out[512], exp[512], script[512];
    int pp[2] = {-1, -1}, other = -1;
    REQ(pipe2(pp, O_CLOEXEC) == 0);
    other = open("/dev/null", O_WRONLY); /* no close-on-exec: still closed in the child */
    REQ(other >= 0);
    set_nonblock_fd(pp[0]);
    for (int forked = 0; forked < 2; forked++) {
        cio_process_opts_t o = {.pass_fds = &pp[1], .npass_fds = 1, .set_process_group = 1,
                                .set_umask = forked, .umask = 027};
        snprintf(script, sizeof script,
                 "echo hi > /proc/$$/fd/%d; [ -e /proc/$$/fd/%d ] || echo closed; umask; "
                 "cut -d' ' -f5 /proc/$$/stat; echo $$",
                 pp[1], other);
        CHECK_RC(sh_out(script, &o, out, sizeof out), 0);
        int pgid = -1, pid = -2;
        char um[16] = "";
        if (sscanf(out, "closed\n%15s\n%d\n%d", um, &pgid, &pid) != 3)
            FAILF("forked %d: output \"%s\"", forked, out);
        CHECK(pgid == pid);
        if (forked)
            CHECK_STR(um, "0027");
        char buf[16] = "";
        ssize_t n = read(pp[0], buf, sizeof buf);
        CHECK_BYTES(buf, n, "hi\n");
    }
    /* start_new_session on the fork path: the child leads a session. */
    cio_process_opts_t o2 = {.start_new_session = 1, .set_umask = 1, .umask = 0};
    CHECK_RC(sh_out("cut -d' ' -f6 /proc/$$/stat; echo $$; umask", &o2, out, sizeof out), 0);
    int sid = -1, pid = -2;
    char um[16] = "";
    if (sscanf(out, "%d\n%d\n%15s", &sid, &pid, um) != 3)
        FAILF("session: output \"%s\"", out);
    CHECK(sid == pid);
    CHECK_STR(um, "0000");
    /* user and group: as root, nobody; else a uid not ours is refused. */
    if (getuid() == 0) {
        cio_process_opts_t o3 = {.set_user = 1, .user = 65534, .set_group = 1, .group = 65534};
        CHECK_RC(sh_out("id -u; id -g", &o3, out, sizeof out), 0);
        snprintf(exp, sizeof exp, "65534\n65534\n");
        CHECK_STR(out, exp);
    } else {
        cio_process_opts_t o3 = {.set_user = 1, .user = getuid() + 1};
        CHECK_RC(sh_out("true", &o3, out, sizeof out), -EPERM);
    }
    /* cwd on the fork path; failures there are the call's error. */
    cio_process_opts_t o4 = {.cwd = "/", .set_umask = 1, .umask = 022};
    CHECK_RC(sh_out("pwd", &o4, out, sizeof out), 0);
    CHECK_STR(out, "/\n");
    cio_process_opts_t o5 = {.cwd = "/nonexistent-dir", .set_umask = 1, .umask = 022};
    CHECK_RC(sh_out("true", &o5, out, sizeof out), -ENOENT);
    const char *const nope[] = {"no-such-program-here", NULL};
    cio_process_opts_t o6 = {.set_umask = 1};
    cio_process_t *p = NULL;
    CHECK_RC(cio_create_subprocess_exec(nope, &o6, &p), -ENOENT);
    /* Bad options. */
    int bad = -1;
    cio_process_opts_t b1 = {.pass_fds = &bad, .npass_fds = 1};
    CHECK_RC(cio_create_subprocess_shell("true", &b1, &p), -EBADF);
    cio_process_opts_t b2 = {.npass_fds = 1};
    CHECK_RC(cio_create_subprocess_shell("true", &b2, &p), -EINVAL);
    cio_process_opts_t b3 = {.set_umask = 1, .umask = 01000};
    CHECK_RC(cio_create_subprocess_shell("true", &b3, &p), -EINVAL);
    cio_process_opts_t b4 = {.set_process_group = 1, .process_group = -1};
    CHECK_RC(cio_create_subprocess_shell("true", &b4, &p), -EINVAL);
    CHECK_RC(cio_subprocess_shell(&sp_proto, NULL, "true", &b4, &p), -EINVAL);
    CHECK(p == NULL);
out:
    for (int i = 0; i < 2; i++)
        if (pp[i] >= 0)
            close(pp[i]);
    if (other >= 0)
        close(other);
    return 0;
}
static void t_popen_options(void) { RUN(m_popen_options); }

/* The options on the transport call too. */
static int m_subprocess_options(void *arg, void **result)
{
    struct sprec r = {.expect_pipes = 1};
    cio_process_t *p = NULL;
    r.done = cio_create_future();
    REQ(r.done);
    cio_process_opts_t o = {.stdout_mode = CIO_STDIO_PIPE, .set_umask = 1, .umask = 077, .cwd = "/"};
    REQ_OK(cio_subprocess_shell(&sp_proto, &r, "umask; pwd", &o, &p));
    CHECK_RC(sp_await_done(&r), 0);
    CHECK_BYTES(r.out[1], (ssize_t)r.outlen[1], "0077\n/\n");
out:
    cio_unref(p);
    cio_unref(r.done);
    return 0;
}
static void t_subprocess_options(void) { RUN(m_subprocess_options); }

static const struct test_case cases[] = {
    TEST(t_echo_cat),
    TEST(t_communicate_cat),
    TEST(t_args_and_shell),
    TEST(t_communicate_large_outputs),
    TEST(t_communicate_large_input),
    TEST(t_communicate_input_unread),
    TEST(t_exit_codes),
    TEST(t_killed_by_signal),
    TEST(t_returncode_without_wait),
    TEST(t_send_signal_after_exit),
    TEST(t_exec_failures),
    TEST(t_cancel_wait),
    TEST(t_cancel_communicate),
    TEST(t_many_children),
    TEST(t_two_loops_two_threads),
    TEST(t_foreign_child_not_reaped),
    TEST(t_stdio_devnull),
    TEST(t_stdio_stderr_to_stdout),
    TEST(t_stdio_fd),
    TEST(t_stdio_fd_low_numbers),
    TEST(t_cwd_env),
    TEST(t_path_from_env),
    TEST(t_read_after_exit),
    TEST(t_start_new_session),
    TEST(t_child_starts_clean),
    TEST(t_stdout_limit),
    TEST(t_unref_running_kills),
    TEST(t_unref_then_return),
    TEST(t_invalid_args),
    TEST(t_no_fd_leak),
    TEST(t_enomem_sweep),
    TEST(t_write_to_dead_child),
    TEST(t_without_pidfd),
    TEST(t_subprocess_transport),
    TEST(t_subprocess_close_kills),
    TEST(t_subprocess_no_pipes),
    TEST(t_subprocess_bad_args),
    TEST(t_popen_options),
    TEST(t_subprocess_options),
};

int main(int argc, char **argv) { return run_tests(argc, argv, cases, NCASES(cases)); }
