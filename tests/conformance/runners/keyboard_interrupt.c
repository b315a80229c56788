/* from: test_runners.py::RunTests::test_asyncio_run_sigint (SIGINT cancels the main task; run raises KeyboardInterrupt) */
#include "conf.h"
#include <signal.h>

static int amain(void *arg, void **result)
{
    kill(getpid(), SIGINT);
    int rc = cio_sleep(10);
    if (rc == -ECANCELED)
        P("main: CancelledError");
    return rc;
}

int main(void)
{
    int rc = cio_run(amain, NULL, NULL);
    P("run: %s", rc == CIO_EINTERRUPTED ? "KeyboardInterrupt" : EXC(rc));
    return 0;
}
