/* from: test_runners.py::RunTests::test_asyncio_run_reports_hanging_tasks_errors (a leftover failing on cancel goes to the handler) */
#include "conf.h"

static int leftover(void *arg, void **result)
{
    int rc = cio_sleep(10);
    if (rc == -ECANCELED)
        return cio_fail(EMYERR, "during shutdown");
    return rc;
}

static void handler(cio_loop_t *l, const cio_exc_context_t *ctx, void *ud)
{
    P("handler: %s task given %s", EXC(ctx->error), B(ctx->future != NULL));
}

static int amain(void *arg, void **result)
{
    cio_loop_t *loop;
    cio_get_running_loop(&loop);
    cio_loop_set_exception_handler(loop, handler, NULL);
    cio_unref(cio_create_task(leftover, NULL));
    cio_sleep(0);
    *result = IV(1);
    return 0;
}

int main(void)
{
    void *v;
    int rc = cio_run(amain, NULL, &v);
    P("run returned %d", rc == 0 ? VI(v) : rc);
    return 0;
}
