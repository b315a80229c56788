/* from: test_runners.py::RunTests::test_asyncio_run_cancels_hanging_tasks */
#include "conf.h"

static int ncancelled;

static int leftover(void *arg, void **result)
{
    int rc = cio_sleep(10);
    if (rc == -ECANCELED)
        {
        P("info: leftover %d cancelled at shutdown (the order is all_tasks' set's)", VI(arg));
        ncancelled++;
    }
    return rc;
}

static int amain(void *arg, void **result)
{
    for (int i = 0; i < 2; i++)
        cio_unref(cio_create_task(leftover, IV(i)));
    cio_sleep(0);
    P("main returns");
    *result = "main";
    return 0;
}

int main(void)
{
    void *v;
    int rc = cio_run(amain, NULL, &v);
    P("run returned %s", rc == 0 ? (char *)v : EXC(rc));
    P("cancelled at shutdown: %s", ncancelled == 2 ? "[0, 1]" : "?");
    return 0;
}
