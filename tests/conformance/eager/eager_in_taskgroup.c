/* from: test_eager_task_factory.py / TaskGroup children started eagerly
   requires: 3.12 */
#include "conf.h"

static int child(void *arg, void **result)
{
    P("child %d started", VI(arg));
    cio_sleep(0);
    *result = arg;
    return 0;
}

static int amain(void *arg, void **result)
{
    cio_taskgroup_t *tg = cio_taskgroup_new();
    cio_task_opts_t o = {.eager = 1};
    cio_task_t *ts[2];
    for (int i = 0; i < 2; i++)
        cio_taskgroup_create_task_ex(tg, child, IV(i), &o, &ts[i]);
    P("body after create_task");
    cio_taskgroup_exit(tg, 0);
    void *a, *b;
    cio_future_result(ts[0], &a);
    cio_future_result(ts[1], &b);
    P("results [%d, %d]", VI(a), VI(b));
    cio_taskgroup_free(tg);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
