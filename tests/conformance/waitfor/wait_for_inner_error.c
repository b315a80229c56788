/* from: test_waitfor.py (the inner's error comes out unchanged) */
#include "conf.h"

static int bad(void *arg, void **result) { cio_sleep(0); return EMYERR; }

static int amain(void *arg, void **result)
{
    P("%s", EXC(cio_wait_for_call(bad, NULL, 10, NULL)));
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
