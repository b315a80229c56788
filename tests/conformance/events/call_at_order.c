/* from: test_events.py::test_call_at (absolute deadlines on loop.time(); equal deadlines in scheduling order) */
#include "conf.h"

static cio_loop_t *loop;
static int say(void *arg) { P("%s", (char *)arg); return 0; }
static int stop(void *arg) { return cio_loop_stop(loop); }

int main(void)
{
    cio_loop_new(&loop);
    double now = cio_loop_time(loop);
    cio_call_at(loop, now + 0.02, say, "second (0.02)", NULL);
    cio_call_at(loop, now + 0.01, say, "first (0.01) a", NULL);
    cio_call_at(loop, now + 0.01, say, "first (0.01) b", NULL);
    cio_call_at(loop, now + 0.04, stop, NULL, NULL);
    cio_loop_run_forever(loop);
    P("time advanced: %s", B(cio_loop_time(loop) >= now + 0.04));
    cio_loop_free(loop);
    return 0;
}
