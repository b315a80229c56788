/* from: test_asyncgen.py / a cancel of the consumer reaches the generator's await */
#include "conf.h"

static int gen(void *arg, void **result)
{
    int rc = cio_sleep(10);
    if (rc == -ECANCELED) {
        P("generator sees CancelledError");
        return rc;
    }
    return cio_gen_yield(IV(1), NULL);
}

static int consumer(void *arg, void **result)
{
    cio_gen_t *g;
    void *v;
    int rc;
    cio_gen_new(gen, NULL, &g);
    while ((rc = cio_gen_next(g, &v)) == 0)
        P("never %d", VI(v));
    cio_gen_free(g);
    return rc == CIO_ESTOPITERATION ? 0 : rc;
}

static int amain(void *arg, void **result)
{
    cio_task_t *t = cio_create_task(consumer, NULL);
    cio_sleep(0);
    cio_task_cancel(t, NULL);
    P("consumer: %s", EXC(cio_await(t, NULL)));
    cio_unref(t);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
