/* from: test_events.py::TestCGetEventLoop (set_event_loop, get_event_loop outside a running loop) */
#include "conf.h"

int main(void)
{
    cio_loop_t *loop, *got;
    cio_loop_new(&loop);
    cio_set_event_loop(loop);
    cio_get_event_loop(&got);
    P("get_event_loop is the set loop: %s", B(got == loop));
    cio_set_event_loop(NULL);
    int rc = cio_get_event_loop(&got);
    if (rc == 0)
        P("got a loop");
    else
        P("after set_event_loop(None): %s", EXC(rc));
    cio_loop_free(loop);
    return 0;
}
