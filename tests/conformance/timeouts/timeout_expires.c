/* from: test_timeouts.py::test_timeout_basic / test_timeout_expired (TimeoutError out of the block, expired() set) */
#include "conf.h"

static int amain(void *arg, void **result)
{
    cio_timeout_t to;
    cio_timeout_enter(&to, 0.01);
    int rc = cio_sleep(10);
    rc = cio_timeout_exit(&to, rc);
    if (rc == -ETIMEDOUT)
        P("TimeoutError, expired %s", B(cio_timeout_expired(&to)));
    cio_timeout_t to2;
    cio_timeout_enter(&to2, 10);
    rc = cio_sleep(0);
    rc = cio_timeout_exit(&to2, rc);
    P("not expired %s", B(cio_timeout_expired(&to2)));
    return rc;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
