/* from: test_timeouts.py::test_nested_timeouts (only the expired scope converts) */
#include "conf.h"

static int amain(void *arg, void **result)
{
    cio_timeout_t outer, inner;
    cio_timeout_enter(&outer, 0.01);
    cio_timeout_enter(&inner, 10);
    int rc = cio_timeout_exit(&inner, cio_sleep(10));
    if (rc == -ETIMEDOUT)
        P("inner converted (wrong)");
    else if (rc == -ECANCELED)
        P("inner scope lets CancelledError through, inner expired %s", B(cio_timeout_expired(&inner)));
    rc = cio_timeout_exit(&outer, rc);
    if (rc == -ETIMEDOUT)
        P("outer: TimeoutError, outer expired %s", B(cio_timeout_expired(&outer)));
    cio_timeout_enter(&outer, 10);
    cio_timeout_enter(&inner, 0.01);
    rc = cio_timeout_exit(&inner, cio_sleep(10));
    rc = cio_timeout_exit(&outer, rc);
    if (rc == -ETIMEDOUT)
        P("inner expired %s outer expired %s", B(cio_timeout_expired(&inner)), B(cio_timeout_expired(&outer)));
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
