/* W16 channel between two loops: two threads, each running its own loop
 * (cio_run).  First a task on loop A sends the integers 0 .. ITEMS-1 into
 * a cio_chan_t of capacity 100 and a task on loop B receives them, checking
 * that every one arrives, in order: items_per_s.  Then a ping-pong of RTTS
 * round trips over two channels of capacity 1 (A sends on ping, B receives
 * and sends it back on pong, A receives): rtt_ns.  Each phase's time runs
 * from a start signal both tasks wait for until A's last operation.
 * usage: w16_chan [ITEMS [RTTS]]   (defaults 1M, 100k)
 * prints: items= items_per_s= ns_per_item= rtts= rtt_ns= secs=  [failed= error=] */
#include <cio.h>

#include "bench.h"

#include <errno.h>
#include <pthread.h>

typedef struct w16 {
    long n, rtts;
    cio_chan_t *data, *ping, *pong, *go; /* go: the start signals (capacity 2) */
    uint64_t items_ns, rtt_ns;
    long got, disorder;
    int rc_a, rc_b;
} w16_t;

static int side_a(void *arg, void **result)
{
    w16_t *w = arg;
    int rc, g;
    if ((rc = cio_chan_recv(w->go, &g)) < 0) /* B is ready */
        return rc;
    uint64_t t0 = bench_now_ns();
    for (long i = 0; i < w->n; i++)
        if ((rc = cio_chan_send(w->data, &i)) < 0)
            return rc;
    if ((rc = cio_chan_recv(w->go, &g)) < 0) /* B got the last one */
        return rc;
    w->items_ns = bench_now_ns() - t0;
    t0 = bench_now_ns();
    for (long i = 0; i < w->rtts; i++) {
        long v;
        if ((rc = cio_chan_send(w->ping, &i)) < 0 || (rc = cio_chan_recv(w->pong, &v)) < 0)
            return rc;
        if (v != i)
            return -EPROTO;
    }
    w->rtt_ns = bench_now_ns() - t0;
    return 0;
}

static int side_b(void *arg, void **result)
{
    w16_t *w = arg;
    int rc, g = 1;
    if ((rc = cio_chan_send(w->go, &g)) < 0)
        return rc;
    for (long i = 0; i < w->n; i++) {
        long v;
        if ((rc = cio_chan_recv(w->data, &v)) < 0)
            return rc;
        w->disorder += v != i;
        w->got++;
    }
    if ((rc = cio_chan_send(w->go, &g)) < 0)
        return rc;
    for (long i = 0; i < w->rtts; i++) {
        long v;
        if ((rc = cio_chan_recv(w->ping, &v)) < 0 || (rc = cio_chan_send(w->pong, &v)) < 0)
            return rc;
    }
    return 0;
}

static void *thread_b(void *arg)
{
    w16_t *w = arg;
    w->rc_b = cio_run(side_b, w, NULL);
    if (w->rc_b < 0) /* let A end */
        cio_chan_close(w->go);
    return NULL;
}

int main(int argc, char **argv)
{
    w16_t w = {0};
    w.n = bench_arg(argc, argv, 1, 1000000);
    w.rtts = bench_arg(argc, argv, 2, 100000);
    int rc;
    if ((rc = cio_chan_new(sizeof(long), 100, &w.data)) < 0 || (rc = cio_chan_new(sizeof(long), 1, &w.ping)) < 0 ||
        (rc = cio_chan_new(sizeof(long), 1, &w.pong)) < 0 || (rc = cio_chan_new(sizeof(int), 2, &w.go)) < 0) {
        fprintf(stderr, "w16_chan: %s\n", cio_strerror(rc));
        return 1;
    }
    pthread_t th;
    if (pthread_create(&th, NULL, thread_b, &w) != 0)
        return 1;
    w.rc_a = cio_run(side_a, &w, NULL);
    if (w.rc_a < 0) { /* let B end */
        cio_chan_close(w.data);
        cio_chan_close(w.ping);
        cio_chan_close(w.go);
    }
    pthread_join(th, NULL);
    rc = w.rc_a < 0 ? w.rc_a : w.rc_b;
    if (rc == 0 && (w.got != w.n || w.disorder)) {
        fprintf(stderr, "w16_chan: B got %ld of %ld items, %ld out of order\n", w.got, w.n, w.disorder);
        rc = -EPROTO;
    }
    if (rc < 0) {
        bench_failed++;
        bench_first_error = rc;
    }
    double secs = (w.items_ns + w.rtt_ns) / 1e9;
    printf("items=%ld items_per_s=%.0f ns_per_item=%.1f rtts=%ld rtt_ns=%.0f secs=%.3f%s\n", w.n,
           w.items_ns ? (double)w.n * 1e9 / (double)w.items_ns : 0.0, (double)w.items_ns / (double)(w.n ? w.n : 1),
           w.rtts, (double)w.rtt_ns / (double)(w.rtts ? w.rtts : 1), secs, bench_failures());
    cio_chan_unref(w.data);
    cio_chan_unref(w.ping);
    cio_chan_unref(w.pong);
    cio_chan_unref(w.go);
    return rc < 0;
}
