/* from: test_base_events.py::test_shutdown_default_executor */
#include "conf.h"

static int work(void *arg, void **result) { *result = "ran"; return 0; }

static int amain(void *arg, void **result)
{
    cio_loop_t *loop;
    cio_get_running_loop(&loop);
    void *v;
    cio_to_thread(work, NULL, &v);
    P("%s", (char *)v);
    cio_loop_shutdown_default_executor(loop);
    P("shut down");
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
