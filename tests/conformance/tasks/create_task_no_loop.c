/* from: test_tasks.py no running loop: RuntimeError */
#include "conf.h"

static int child(void *arg, void **result) { return 0; }

int main(void)
{
    if (cio_create_task(child, NULL) == NULL)
        P("create_task outside a loop: RuntimeError");
    cio_loop_t *loop;
    int rc = cio_get_running_loop(&loop);
    P("get_running_loop outside a loop: %s", EXC(rc));
    return 0;
}
