/* from: test_tasks.py::test_sleep_when_delay_is_nan (3.13: ValueError)
   requires: 3.13 */
#include "conf.h"

static int amain(void *arg, void **result)
{
    P("sleep(nan): %s", EXC(cio_sleep(NAN)));
    int rc = cio_sleep(-INFINITY);
    if (rc == 0)
        P("sleep(-inf) returns at once");
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
