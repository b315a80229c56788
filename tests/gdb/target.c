/* A program for tools/gdb/cio.py's test (tests/gdb/check.sh): a task
 * suspended a few calls deep and another that stops the process with
 * SIGTRAP, so that gdb can list the tasks and walk the suspended one's stack. */
#include <cio.h>
#include <signal.h>

static int deep_wait(int n)
{
    if (n == 0)
        return cio_sleep(10);
    return deep_wait(n - 1) + 0; /* not a tail call: every level stays on the stack */
}

static int waiter(void *arg, void **res)
{
    (void)arg;
    (void)res;
    return deep_wait(3);
}

static int stopper(void *arg, void **res)
{
    (void)arg;
    (void)res;
    cio_sleep(0.01);
    raise(SIGTRAP);
    return 0;
}

static int amain(void *arg, void **res)
{
    (void)arg;
    (void)res;
    cio_task_t *a = cio_create_task_named(waiter, NULL, "sleepy");
    cio_task_t *b = cio_create_task_named(stopper, NULL, "stopper");
    cio_await(b, NULL);
    cio_task_cancel(a, NULL);
    cio_await(a, NULL);
    cio_unref(a);
    cio_unref(b);
    return 0;
}

int main(void)
{
    cio_runner_opts_t o = {.debug = 1};
    cio_runner_t *r;
    if (cio_runner_new(&o, &r) < 0)
        return 1;
    int rc = cio_runner_run(r, amain, NULL, NULL);
    cio_runner_free(r);
    return rc < 0;
}
