/* from: test_waitfor.py::test_wait_for_timeout_less_then_0_or_0_coroutine_do_not_started
   requires: 3.12 */
#include "conf.h"

static int never(void *arg, void **result) { P("started (wrong)"); return 0; }

static int amain(void *arg, void **result)
{
    double ts[2] = {0, -1};
    for (int i = 0; i < 2; i++)
        P("timeout %g %s", ts[i], EXC(cio_wait_for_call(never, NULL, ts[i], NULL)));
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
