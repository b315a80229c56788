/* from: test_tasks.py sleep(0) yields exactly one iteration */
#include "conf.h"

struct w { const char *name; int n; };

static int worker(void *arg, void **result)
{
    struct w *w = arg;
    for (int i = 0; i < w->n; i++) {
        P("%s %d", w->name, i);
        cio_sleep(0);
    }
    return 0;
}

static int amain(void *arg, void **result)
{
    struct w a = {"a", 3}, b = {"b", 3}, c = {"c", 2};
    cio_call_t calls[3] = {{worker, &a}, {worker, &b}, {worker, &c}};
    cio_gather_calls(calls, 3, NULL, NULL, 0);
    int rc = cio_sleep(-1);
    P("sleep(-1) returns: %s", rc == 0 ? "None" : EXC(rc));
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
