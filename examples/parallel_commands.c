/* parallel_commands: run shell commands concurrently, at most two at a time,
 * and report each one's output and exit status as it finishes (asyncio's
 * subprocess documentation, "run several commands in parallel", with a
 * Semaphore as the limit).
 *
 *     import asyncio, time
 *
 *     async def run(sem, cmd):
 *         async with sem:
 *             proc = await asyncio.create_subprocess_shell(
 *                 cmd, stdout=asyncio.subprocess.PIPE,
 *                 stderr=asyncio.subprocess.PIPE)
 *             stdout, stderr = await proc.communicate()
 *         print(f'[{cmd!r} exited with {proc.returncode}]')
 *         if stdout:
 *             print(f'[stdout]\n{stdout.decode()}')
 *         if stderr:
 *             print(f'[stderr]\n{stderr.decode()}')
 *
 *     async def main():
 *         sem = asyncio.Semaphore(2)
 *         await asyncio.gather(*(run(sem, c) for c in COMMANDS))
 *
 *     asyncio.run(main())
 *
 * Each command is a task of one cio_gather_calls; the task takes a unit of a
 * cio_sem_t of value 2 around cio_create_subprocess_shell (stdout and stderr
 * as pipes) and cio_process_communicate, which reads both pipes to EOF at
 * the same time and waits for the exit.  The commands include failures on
 * purpose: a nonzero exit, a missing file, a missing program, a shell that
 * kills itself (a returncode of -N means signal N, as in asyncio).
 *
 * The program checks what it saw: every command ends with the status listed
 * beside it, and never more than two run at once.  It exits 0 when all of
 * that holds (the demo's entry), 1 otherwise.  ~0.3 s: the 0.3 s sleep holds
 * one of the two slots while the other commands go through the other.
 *
 * Usage: parallel_commands
 */
#include <cio.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define ANY_FAILURE 1000 /* expected status: any nonzero exit (ls's code differs between systems) */
#define LIMIT 2          /* commands running at once */

struct command {
    const char *cmd;
    int expect; /* the returncode it should end with */
    /* filled in by run_command */
    int returncode;
    int done;
};

static struct command commands[] = {
    {.cmd = "sleep 0.3; echo one", .expect = 0},
    {.cmd = "echo two; exit 2", .expect = 2},
    {.cmd = "ls /nonexistent", .expect = ANY_FAILURE},
    {.cmd = "seq 1 5 | tr '\\n' ' '", .expect = 0},
    {.cmd = "echo 'to stderr' >&2; sleep 0.1; echo 'to stdout'", .expect = 0},
    {.cmd = "printf 'a\\nb\\nc\\n' | wc -l", .expect = 0},
    {.cmd = "kill -TERM $$", .expect = -SIGTERM},
    {.cmd = "no_such_command_xyz", .expect = 127},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static cio_sem_t sem = CIO_SEM_INIT(LIMIT);
static int running, max_running; /* commands between spawn and exit, and the peak */
static double t0;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Print a captured stream, each line indented under its label. */
static void print_stream(const char *label, const char *data, size_t len)
{
    if (!data || len == 0) return;
    printf("    [%s]\n", label);
    const char *p = data, *end = data + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        printf("    | %.*s\n", (int)n, p);
        p += n + (nl != NULL);
    }
}

static void describe(int rc, char *buf, size_t cap)
{
    if (rc >= 0) snprintf(buf, cap, "returncode %d", rc);
    else snprintf(buf, cap, "returncode %d (killed by signal %d: %s)", rc, -rc, strsignal(-rc));
}

static int run_command(void *arg, void **result)
{
    struct command *c = arg;
    int rc = cio_sem_acquire(&sem); /* async with sem: */
    if (rc < 0) return rc;

    cio_process_opts_t opts = {.stdout_mode = CIO_STDIO_PIPE, .stderr_mode = CIO_STDIO_PIPE};
    cio_process_t *p = NULL;
    char *out = NULL, *err = NULL;
    size_t outlen = 0, errlen = 0;
    rc = cio_create_subprocess_shell(c->cmd, &opts, &p);
    if (rc == 0) {
        if (++running > max_running) max_running = running;
        printf("[%.2f s] start  %-50s (pid %d, %d running)\n", now() - t0, c->cmd, cio_process_pid(p), running);
        rc = cio_process_communicate(p, NULL, 0, &out, &outlen, &err, &errlen);
        running--;
        if (rc == 0) cio_process_returncode(p, &c->returncode);
    }
    cio_unref(p);
    cio_sem_release(&sem);

    if (rc < 0) {
        printf("[%.2f s] error  %s: %s\n", now() - t0, c->cmd, cio_strerror(rc));
    } else {
        char how[80];
        describe(c->returncode, how, sizeof how);
        c->done = 1;
        printf("[%.2f s] done   %-50s %s\n", now() - t0, c->cmd, how);
        print_stream("stdout", out, outlen);
        print_stream("stderr", err, errlen);
    }
    cio_free(out);
    cio_free(err);
    return rc;
}

static int amain(void *arg, void **result)
{
    cio_call_t calls[NCOMMANDS];
    int rcs[NCOMMANDS];
    for (size_t i = 0; i < NCOMMANDS; i++) calls[i] = (cio_call_t){run_command, &commands[i]};
    printf("running %zu commands, at most %d at a time\n", NCOMMANDS, LIMIT);
    t0 = now();
    int rc = cio_gather_calls(calls, NCOMMANDS, NULL, rcs, CIO_RETURN_EXCEPTIONS);
    if (rc < 0) return rc;

    int bad = 0;
    for (size_t i = 0; i < NCOMMANDS; i++) {
        struct command *c = &commands[i];
        if (rcs[i] < 0) {
            printf("unexpected: %s failed to run: %s\n", c->cmd, cio_strerror(rcs[i]));
            bad++;
        } else if (c->expect == ANY_FAILURE ? c->returncode <= 0 : c->returncode != c->expect) {
            printf("unexpected: %s ended with %d\n", c->cmd, c->returncode);
            bad++;
        }
    }
    if (max_running > LIMIT) {
        printf("unexpected: %d commands ran at once (limit %d)\n", max_running, LIMIT);
        bad++;
    }
    printf("%zu commands, at most %d at once, %s\n", NCOMMANDS, max_running,
           bad ? "SOME UNEXPECTED" : "every status as expected");
    printf("elapsed: %.2f s\n", now() - t0);
    return bad ? -EPROTO : 0;
}

int main(void)
{
    int rc = cio_run(amain, NULL, NULL);
    if (rc < 0) {
        fprintf(stderr, "parallel_commands: %s\n", cio_strerror(rc));
        return 1;
    }
    return 0;
}
