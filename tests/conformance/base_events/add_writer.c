/* from: test_events.py::test_add_writer / test_remove_writer (a writable fd calls back until removed) */
#include "conf.h"

static cio_loop_t *loop;
static int fds[2], count;

static int stop(void *arg) { return cio_loop_stop(loop); }

static int on_writable(void *arg)
{
    count++;
    (void)!write(fds[1], "x", 1);
    if (count == 3) {
        P("remove_writer %s", B(cio_loop_remove_writer(loop, fds[1]) == 1));
        cio_call_soon(loop, stop, NULL, NULL);
    }
    return 0;
}

int main(void)
{
    if (pipe(fds) < 0)
        return 1;
    cio_loop_new(&loop);
    cio_loop_add_writer(loop, fds[1], on_writable, NULL);
    cio_loop_run_forever(loop);
    char buf[100];
    ssize_t n = read(fds[0], buf, sizeof buf);
    P("called %d times; pipe holds %zd", count, n);
    P("remove again %s", B(cio_loop_remove_writer(loop, fds[1]) == 1));
    close(fds[0]);
    close(fds[1]);
    cio_loop_free(loop);
    return 0;
}
