/* from: test_events.py::test_timer_handle / TimerHandle.when() returns the deadline given
   xfail: cio_handle_when() can come back 1 ns off the value given to cio_call_at (issue 19, fixed by 19a) */
#include "conf.h"

static int say(void *arg) { P("%s", (char *)arg); return 0; }

int main(void)
{
    cio_loop_t *loop;
    cio_loop_new(&loop);
    int all = 1;
    for (int i = 0; i < 200; i++) {
        double when = cio_loop_time(loop) + 0.1 + i / 7.0;
        cio_handle_t *h;
        cio_call_at(loop, when, say, "never", &h);
        all &= cio_handle_when(h) == when;
        cio_handle_cancel(h);
        cio_unref(h);
    }
    P("when() == given for all: %s", B(all));
    cio_loop_free(loop);
    return 0;
}
