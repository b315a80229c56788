/* from: test_subprocess.py::SubprocessMixin::test_kill / test_terminate / test_send_signal (returncode -N) */
#include "conf.h"
#include <signal.h>

static int amain(void *arg, void **result)
{
    const char *names[3] = {"kill", "terminate", "send_signal"};
    for (int i = 0; i < 3; i++) {
        const char *const argv[] = {"sleep", "10", NULL};
        cio_process_t *p;
        cio_create_subprocess_exec(argv, NULL, &p);
        if (i == 0)
            cio_process_kill(p);
        else if (i == 1)
            cio_process_terminate(p);
        else
            cio_process_send_signal(p, SIGHUP);
        int code;
        cio_process_wait(p, &code);
        P("%s -> %d", names[i], code);
        cio_unref(p);
    }
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
