/* from: test_events.py::test_add_signal_handler (a signal calls back on the loop; remove restores) */
#include "conf.h"
#include <signal.h>
#include <unistd.h>

static cio_loop_t *loop;
static int on_sig(void *arg) { P("SIGUSR1 handled on the loop"); return cio_loop_stop(loop); }
static int send_sig(void *arg) { return kill(getpid(), SIGUSR1); }

int main(void)
{
    cio_loop_new(&loop);
    cio_loop_add_signal_handler(loop, SIGUSR1, on_sig, NULL);
    cio_call_soon(loop, send_sig, NULL, NULL);
    cio_loop_run_forever(loop);
    P("remove %s", B(cio_loop_remove_signal_handler(loop, SIGUSR1) == 1));
    P("remove again %s", B(cio_loop_remove_signal_handler(loop, SIGUSR1) == 1));
    int rc = cio_loop_add_signal_handler(loop, SIGKILL, on_sig, NULL);
    P("SIGKILL: %s", rc == -EINVAL ? "RuntimeError" : EXC(rc));
    cio_loop_free(loop);
    return 0;
}
