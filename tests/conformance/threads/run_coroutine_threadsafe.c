/* from: test_tasks.py::RunCoroutineThreadsafeTests::test_run_coroutine_threadsafe / _with_exception / _with_timeout */
#include "conf.h"

static int add(void *arg, void **result) { cio_sleep(0.01); *result = IV(1 + 2); return 0; }
static int bad(void *arg, void **result) { return EMYERR; }
static int forever(void *arg, void **result) { return cio_sleep(10); }

static char out[4][96];

static int other_thread(void *arg, void **result)
{
    cio_loop_t *loop = arg;
    cio_tsfuture_t *f;
    void *v;
    cio_run_coroutine_threadsafe(loop, add, NULL, &f);
    cio_tsfuture_wait(f, 5, &v);
    snprintf(out[0], sizeof out[0], "result %d", VI(v));
    cio_tsfuture_free(f);
    cio_run_coroutine_threadsafe(loop, bad, NULL, &f);
    snprintf(out[1], sizeof out[1], "exception %s", EXC(cio_tsfuture_wait(f, 5, &v)));
    cio_tsfuture_free(f);
    cio_run_coroutine_threadsafe(loop, forever, NULL, &f);
    int rc = cio_tsfuture_wait(f, 0.01, &v);
    snprintf(out[2], sizeof out[2], "result(timeout) %s, done %s", EXC(rc), B(cio_tsfuture_done(f)));
    cio_tsfuture_cancel(f);
    snprintf(out[3], sizeof out[3], "after cancel: %s", EXC(cio_tsfuture_wait(f, 5, &v)));
    cio_tsfuture_free(f);
    return 0;
}

static int amain(void *arg, void **result)
{
    cio_loop_t *loop;
    cio_get_running_loop(&loop);
    cio_to_thread(other_thread, loop, NULL);
    for (int i = 0; i < 4; i++)
        P("%s", out[i]);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
