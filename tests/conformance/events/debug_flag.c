/* from: test_base_events.py::test_set_debug / slow_callback_duration default */
#include "conf.h"

int main(void)
{
    cio_loop_t *loop;
    cio_loop_new(&loop);
    cio_loop_set_debug(loop, 0);
    P("debug %s", B(cio_loop_get_debug(loop)));
    cio_loop_set_debug(loop, 1);
    P("debug %s", B(cio_loop_get_debug(loop)));
    P("slow_callback_duration %g", cio_loop_get_slow_callback_duration(loop));
    cio_loop_set_slow_callback_duration(loop, 0.5);
    P("slow_callback_duration %g", cio_loop_get_slow_callback_duration(loop));
    cio_loop_free(loop);
    return 0;
}
