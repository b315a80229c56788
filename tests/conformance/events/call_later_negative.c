/* from: test_base_events.py::test_call_later_negative_delays (a negative delay orders by its real, earlier deadline)
   xfail: cio clamps a negative call_later delay to 0, so call_later(-5) runs after an earlier call_later(0) (issue 19, fixed by 19a) */
#include "conf.h"

static cio_loop_t *loop;
static int say(void *arg) { P("%s", (char *)arg); return 0; }
static int stop(void *arg) { return cio_loop_stop(loop); }

int main(void)
{
    cio_loop_new(&loop);
    cio_call_later(loop, 0, say, "delay 0", NULL);
    cio_call_later(loop, -1, say, "delay -1", NULL);
    cio_call_later(loop, -5, say, "delay -5", NULL);
    cio_call_later(loop, 0.01, stop, NULL, NULL);
    cio_loop_run_forever(loop);
    cio_loop_free(loop);
    return 0;
}
