/* from: test_tasks.py scheduling (first steps run in creation order, after main yields) */
#include "conf.h"

static int child(void *arg, void **result)
{
    P("child %d step 1", VI(arg));
    cio_sleep(0);
    P("child %d step 2", VI(arg));
    return 0;
}

static int amain(void *arg, void **result)
{
    cio_task_t *ts[3];
    for (int i = 0; i < 3; i++)
        ts[i] = cio_create_task(child, IV(i));
    P("main created");
    for (int i = 0; i < 3; i++) {
        cio_await(ts[i], NULL);
        cio_unref(ts[i]);
    }
    P("main done");
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
