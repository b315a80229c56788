/* from: test_eager_task_factory.py / ordering of eager and lazy first steps
   requires: 3.12 */
#include "conf.h"

static int child(void *arg, void **result)
{
    P("%s step 1", (char *)arg);
    cio_sleep(0);
    P("%s step 2", (char *)arg);
    return 0;
}

static int amain(void *arg, void **result)
{
    cio_loop_t *loop;
    cio_get_running_loop(&loop);
    cio_task_t *ts[2];
    cio_loop_create_task(loop, child, "lazy", NULL, &ts[0]);
    cio_task_opts_t o = {.eager = 1};
    cio_loop_create_task(loop, child, "eager", &o, &ts[1]);
    P("main continues");
    cio_gather(ts, 2, NULL, NULL, 0);
    cio_unref(ts[0]);
    cio_unref(ts[1]);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
