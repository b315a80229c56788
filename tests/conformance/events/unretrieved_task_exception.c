/* from: test_tasks.py / test_base_events (a task's unretrieved exception reaches the handler)
   asyncio reports it when the task is garbage-collected ("Task exception was never retrieved");
   cio when the last reference goes. */
#include "conf.h"

static void handler(cio_loop_t *l, const cio_exc_context_t *ctx, void *ud)
{
    char w[2][32] = {"", ""};
    sscanf(ctx->message, "%31s %31s", w[0], w[1]);
    P("handler: ['%s', '%s'] %s", w[0], w[1], EXC(ctx->error));
}

static int bad(void *arg, void **result) { return EMYERR; }

static int amain(void *arg, void **result)
{
    cio_loop_t *loop;
    cio_get_running_loop(&loop);
    cio_loop_set_exception_handler(loop, handler, NULL);
    cio_unref(cio_create_task(bad, NULL));
    cio_sleep(0.01);
    P("main done");
    return 0;
}

int main(void)
{
    int rc = cio_run(amain, NULL, NULL);
    P("end");
    return rc < 0;
}
