/* from: test_timeouts.py::test_timeout_zero / test_timeout_in_the_past_sleep_zero (expires at the first suspension) */
#include "conf.h"

static int amain(void *arg, void **result)
{
    cio_loop_t *loop;
    cio_get_running_loop(&loop);
    const char *labels[3] = {"timeout(0)", "timeout(-1)", "timeout_at(past)"};
    for (int i = 0; i < 3; i++) {
        cio_timeout_t to;
        if (i == 0)
            cio_timeout_enter(&to, 0);
        else if (i == 1)
            cio_timeout_enter(&to, -1);
        else
            cio_timeout_enter_at(&to, cio_loop_time(loop) - 1);
        const char *ran = "['before']";
        int rc = cio_sleep(0);
        if (rc == 0)
            ran = "['before', 'after']";
        rc = cio_timeout_exit(&to, rc);
        if (rc == -ETIMEDOUT)
            P("%s TimeoutError, ran %s expired %s", labels[i], ran, B(cio_timeout_expired(&to)));
    }
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
