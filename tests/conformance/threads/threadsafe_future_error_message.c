/* from: test_tasks.py::RunCoroutineThreadsafeTests::test_run_coroutine_threadsafe_with_exception (the message crosses too) */
#include "conf.h"

static int bad(void *arg, void **result) { return cio_fail(EMYERR, "from the loop"); }

static char line[128];

static int other_thread(void *arg, void **result)
{
    cio_tsfuture_t *f;
    cio_run_coroutine_threadsafe(arg, bad, NULL, &f);
    int rc = cio_tsfuture_wait(f, 5, NULL);
    const char *m = cio_tsfuture_message(f);
    snprintf(line, sizeof line, "%s: %s", EXC(rc), m ? m : "(no message)");
    cio_tsfuture_free(f);
    return 0;
}

static int amain(void *arg, void **result)
{
    cio_loop_t *loop;
    cio_get_running_loop(&loop);
    cio_to_thread(other_thread, loop, NULL);
    P("%s", line);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
