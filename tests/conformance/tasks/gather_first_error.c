/* from: test_tasks.py::GatherTestsBase::test_one_exception (the first error is raised, siblings go on) */
#include "conf.h"

static int fail(void *arg, void **result) { cio_sleep(0.01); return EMYERR; }

static int slow(void *arg, void **result)
{
    cio_sleep(0.3);
    P("slow finished");
    *result = "slow";
    return 0;
}

static int amain(void *arg, void **result)
{
    cio_task_t *s = cio_create_task(slow, NULL);
    cio_task_t *f = cio_create_task(fail, NULL);
    cio_future_t *fs[2] = {f, s};
    int rc = cio_gather(fs, 2, NULL, NULL, 0);
    P("gather: %s", EXC(rc));
    P("slow cancelled %s done %s", B(cio_future_cancelled(s)), B(cio_future_done(s)));
    void *v;
    cio_await(s, &v);
    P("slow result %s", (char *)v);
    cio_unref(s);
    cio_unref(f);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
