/* from: test_waitfor.py (3.12: an inner that swallows the timeout's cancel returns its value)
   requires: 3.12 */
#include "conf.h"

static int stubborn(void *arg, void **result)
{
    if (cio_sleep(10) == -ECANCELED)
        P("inner swallows the cancel");
    *result = "kept";
    return 0;
}

static int amain(void *arg, void **result)
{
    void *r;
    int rc = cio_wait_for_call(stubborn, NULL, 0.01, &r);
    P("wait_for returned %s", rc == 0 ? (char *)r : EXC(rc));
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
