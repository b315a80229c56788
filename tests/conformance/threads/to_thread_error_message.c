/* from: test_threads.py::ToThreadTests::test_to_thread_exception (the error's message crosses the thread)
   xfail: an error's message is lost across threads (to_thread keeps only the code; issue 19, fixed by 19a) */
#include "conf.h"

static int fail(void *arg, void **result) { return cio_fail(EMYERR, "bad input %d", 7); }

static int amain(void *arg, void **result)
{
    cio_loop_t *loop;
    cio_get_running_loop(&loop);
    cio_future_t *f;
    cio_loop_run_in_executor(loop, fail, NULL, &f);
    int rc = cio_await(f, NULL);
    const char *m = cio_future_message(f);
    P("to_thread raised %s: %s", EXC(rc), m ? m : "(no message)");
    cio_unref(f);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
