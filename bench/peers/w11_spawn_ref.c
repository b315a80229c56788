/* W11 spawn, reference floor: what no library can beat on this machine.  A
 * bare single-threaded loop with no event loop at all: posix_spawn() of
 * /bin/true while fewer than CONC children are alive, waitpid(-1) for any
 * of them otherwise, until N have exited.  Same workload and output as
 * bench/w11_spawn.c: children inherit the standard streams and must all
 * exit 0 (else exit 1).  Built by bench/run.sh as the "ref-c-spawn" row.
 * usage: w11_spawn_ref [N [CONC]]   (defaults 1000, 50)
 * prints: children= concurrency= total_s= us_per_child= children_per_s= */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long arg(int argc, char **argv, int i, long dflt)
{
    if (argc <= i)
        return dflt;
    char *end;
    long v = strtol(argv[i], &end, 10);
    if (*end || v < 1) {
        fprintf(stderr, "w11_spawn_ref: argument %d must be a positive integer\n", i);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    long n = arg(argc, argv, 1, 1000), conc = arg(argc, argv, 2, 50);
    long alive = 0, started = 0, exited = 0, bad = 0;
    char *child_argv[] = {"/bin/true", NULL};
    double t0 = now_s();
    while (exited < n) {
        while (alive < conc && started < n) {
            pid_t pid;
            int err = posix_spawn(&pid, "/bin/true", NULL, NULL, child_argv, environ);
            if (err) {
                fprintf(stderr, "w11_spawn_ref: posix_spawn: error %d\n", err);
                return 1;
            }
            alive++;
            started++;
        }
        int st;
        if (waitpid(-1, &st, 0) > 0) {
            alive--;
            exited++;
            if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
                bad++;
        }
    }
    double dt = now_s() - t0;
    printf("children=%ld concurrency=%ld total_s=%.3f us_per_child=%.1f children_per_s=%.0f%s\n", n, conc, dt,
           dt * 1e6 / (double)n, (double)n / dt, bad ? " failed=1" : "");
    return bad ? 1 : 0;
}
