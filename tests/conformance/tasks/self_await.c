/* from: test_tasks.py::test_await_itself (a task awaiting itself: RuntimeError) */
#include "conf.h"

static int amain(void *arg, void **result)
{
    int rc = cio_await(cio_current_task(), NULL);
    P("%s", EXC(rc));
    P("still running");
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
