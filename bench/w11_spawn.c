/* W11 spawn: N children of /bin/true (1000), at most CONC (50) alive at a
 * time.  The main task creates one task per child and awaits them all with
 * one cio_gather; each task takes a unit of a cio_sem_t of value CONC, then
 * cio_create_subprocess_exec({"/bin/true", NULL}), cio_process_wait and
 * cio_unref, and gives the unit back -- as the Python peer does:
 *
 *     async def one():
 *         async with sem:
 *             p = await asyncio.create_subprocess_exec("/bin/true")
 *             rc = await p.wait()
 *
 * The children inherit the standard streams (no pipes).  The time runs from
 * before the first task is created until cio_gather returns.  Every child's
 * returncode must be 0: a spawn error or another returncode is reported on
 * stderr and in the line (failed= error=), and the program exits 1.
 * usage: w11_spawn [N [CONC]]   (defaults 1000, 50)
 * prints: children= concurrency= total_s= us_per_child= children_per_s= */
#include <cio.h>

#include "bench.h"

#include <errno.h>

typedef struct w11 {
    cio_sem_t sem;
    long n, conc;
    long waited;    /* children spawned and waited for */
    long bad_rc;    /* ... whose returncode was not 0 */
    int first_rc;   /* the first such returncode */
    long spawn_err; /* spawns or waits that failed */
    int first_err;  /* the first such error */
} w11_t;

static int one_child(void *arg, void **result)
{
    w11_t *w = arg;
    static const char *const argv[] = {"/bin/true", NULL};
    int rc = cio_sem_acquire(&w->sem);
    if (rc < 0)
        return rc;
    cio_process_t *p = NULL;
    int status = -1;
    rc = cio_create_subprocess_exec(argv, NULL, &p);
    if (rc == 0)
        rc = cio_process_wait(p, &status);
    cio_unref(p);
    cio_sem_release(&w->sem);
    if (rc < 0) {
        if (w->spawn_err++ == 0)
            w->first_err = rc;
        return rc;
    }
    w->waited++;
    if (status != 0 && w->bad_rc++ == 0)
        w->first_rc = status;
    return 0;
}

static int amain(void *arg, void **result)
{
    w11_t *w = arg;
    cio_loop_t *loop;
    int rc = cio_get_running_loop(&loop);
    if (rc < 0)
        return rc;
    cio_loop_set_exception_handler(loop, bench_exc_handler, NULL);
    if ((rc = cio_sem_init(&w->sem, (int)w->conc)) < 0)
        return rc;
    cio_task_t **ts = malloc((size_t)(w->n ? w->n : 1) * sizeof *ts);
    if (!ts)
        return -ENOMEM;
    long made = 0;
    uint64_t t0 = bench_now_ns();
    for (; made < w->n; made++)
        if ((rc = cio_loop_create_task(loop, one_child, w, NULL, &ts[made])) < 0)
            break;
    /* Every outcome is kept: one failed spawn must not leave the others
     * running unawaited. */
    if (made > 0) {
        int grc = cio_gather(ts, (size_t)made, NULL, NULL, CIO_RETURN_EXCEPTIONS);
        if (rc == 0)
            rc = grc;
    }
    uint64_t dt = bench_now_ns() - t0;
    for (long i = 0; i < made; i++)
        cio_unref(ts[i]);
    free(ts);

    if (rc == 0 && w->spawn_err) {
        fprintf(stderr, "w11_spawn: %ld of %ld children could not be spawned or waited for; the first: %s\n",
                w->spawn_err, w->n, cio_strerror(w->first_err));
        rc = w->first_err;
    }
    if (rc == 0 && w->bad_rc) {
        fprintf(stderr, "w11_spawn: %ld of %ld children of /bin/true ended with a returncode other than 0 "
                        "(the first: %d)\n", w->bad_rc, w->n, w->first_rc);
        rc = -EPROTO;
    }
    if (rc == 0 && w->waited != w->n) {
        fprintf(stderr, "w11_spawn: %ld children waited for, %ld expected\n", w->waited, w->n);
        rc = -EPROTO;
    }
    if (rc < 0 && bench_failed == 0) {
        bench_failed = w->spawn_err + w->bad_rc ? w->spawn_err + w->bad_rc : 1;
        bench_first_error = rc;
    }
    double secs = dt / 1e9;
    printf("children=%ld concurrency=%ld total_s=%.3f us_per_child=%.1f children_per_s=%.0f%s\n", w->n, w->conc,
           secs, (double)dt / 1e3 / (double)(w->n ? w->n : 1), secs > 0 ? (double)w->n / secs : 0.0,
           bench_failures());
    return rc;
}

int main(int argc, char **argv)
{
    w11_t w = {.n = bench_arg(argc, argv, 1, 1000), .conc = bench_arg(argc, argv, 2, 50)};
    if (w.conc < 1 || w.conc > 1000000) {
        fprintf(stderr, "w11_spawn: CONC must be in 1 .. 1000000\n");
        return 2;
    }
    int rc = cio_run(amain, &w, NULL);
    if (rc < 0)
        fprintf(stderr, "w11_spawn: %s\n", cio_strerror(rc));
    return rc < 0;
}
