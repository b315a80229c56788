/* from: test_subprocess.py::SubprocessMixin::test_cancel_process_wait (a cancelled wait leaves the child running and waitable) */
#include "conf.h"

static int waiter(void *arg, void **result) { return cio_process_wait(arg, NULL); }

static int amain(void *arg, void **result)
{
    const char *const argv[] = {"sleep", "10", NULL};
    cio_process_t *p;
    cio_create_subprocess_exec(argv, NULL, &p);
    cio_task_t *t = cio_create_task(waiter, p);
    cio_sleep(0.01);
    cio_task_cancel(t, NULL);
    int rc = cio_await(t, NULL), code;
    P("wait: %s, returncode %s", EXC(rc), cio_process_returncode(p, &code) ? "?" : "None");
    cio_process_kill(p);
    cio_process_wait(p, &code);
    P("then killed: %d", code);
    cio_unref(t);
    cio_unref(p);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
