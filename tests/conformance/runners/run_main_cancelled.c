/* from: test_runners.py::RunTests (the main task cancelled: run raises CancelledError) */
#include "conf.h"

static int amain(void *arg, void **result)
{
    cio_task_cancel(cio_current_task(), NULL);
    return cio_sleep(0);
}

int main(void)
{
    P("run: %s", EXC(cio_run(amain, NULL, NULL)));
    return 0;
}
