/* from: asyncio.wait with a negative timeout is already expired
   xfail: cio_wait treats a negative timeout as no limit (issue 19, fixed by 19a) */
#include "conf.h"

static int sl(void *arg, void **result) { return cio_sleep(0.05); }

static int amain(void *arg, void **result)
{
    cio_task_t *t = cio_create_task(sl, NULL);
    cio_future_t *d[1], *p[1];
    size_t nd, np;
    cio_wait(&t, 1, -1, CIO_ALL_COMPLETED, d, &nd, p, &np);
    P("done %zu pending %zu", nd, np);
    cio_await(t, NULL);
    cio_unref(t);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
