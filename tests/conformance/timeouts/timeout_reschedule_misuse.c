/* from: test_timeouts.py reschedule before enter / after expiry (RuntimeError) */
#include "conf.h"

static int amain(void *arg, void **result)
{
    cio_loop_t *loop;
    cio_get_running_loop(&loop);
    cio_timeout_t cm = {{0}};
    P("reschedule before enter: %s", RTE(cio_timeout_reschedule(&cm, cio_loop_time(loop) + 1)));
    cio_timeout_t cm2;
    cio_timeout_enter(&cm2, 0.01);
    cio_timeout_exit(&cm2, cio_sleep(1));
    P("reschedule after expiry: %s", RTE(cio_timeout_reschedule(&cm2, cio_loop_time(loop) + 1)));
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
