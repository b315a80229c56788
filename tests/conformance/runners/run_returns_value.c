/* from: test_runners.py::RunTests::test_asyncio_run_return / test_asyncio_run_raises */
#include "conf.h"

static int ok(void *arg, void **result) { cio_sleep(0); *result = IV(42); return 0; }
static int bad(void *arg, void **result) { cio_sleep(0); return EMYERR; }

int main(void)
{
    void *v;
    cio_run(ok, NULL, &v);
    P("run returned %d", VI(v));
    int rc = cio_run(bad, NULL, &v);
    if (rc == EMYERR)
        P("run raised MyErr");
    return 0;
}
