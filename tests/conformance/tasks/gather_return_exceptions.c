/* from: test_tasks.py::GatherTestsBase::test_return_exceptions */
#include "conf.h"

static int ok(void *arg, void **result) { cio_sleep(0); *result = arg; return 0; }
static int bad(void *arg, void **result) { return EMYERR; }
static int cancelled_one(void *arg, void **result)
{
    cio_sleep(0);
    cio_task_cancel(cio_current_task(), NULL);
    return cio_sleep(0);
}

static int amain(void *arg, void **result)
{
    cio_call_t calls[4] = {{ok, IV(1)}, {bad, NULL}, {ok, IV(3)}, {cancelled_one, NULL}};
    void *r[4];
    int rcs[4];
    cio_gather_calls(calls, 4, r, rcs, CIO_RETURN_EXCEPTIONS);
    for (int i = 0; i < 4; i++) {
        if (rcs[i] == 0)
            P("%d", VI(r[i]));
        else
            P("%s", EXC(rcs[i]));
    }
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
