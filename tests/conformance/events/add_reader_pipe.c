/* from: test_events.py::test_add_reader / test_remove_reader (a readable fd calls back until removed) */
#include "conf.h"
#include <unistd.h>

static cio_loop_t *loop;
static int fds[2];

static int on_readable(void *arg)
{
    char buf[100];
    ssize_t n = read(fds[0], buf, sizeof buf);
    P("read %.*s", (int)n, buf);
    if (n == 3 && memcmp(buf, "end", 3) == 0) {
        P("remove_reader %s", B(cio_loop_remove_reader(loop, fds[0]) == 1));
        P("remove again %s", B(cio_loop_remove_reader(loop, fds[0]) == 1));
        cio_loop_stop(loop);
    }
    return 0;
}
static int wr(void *arg) { return write(fds[1], arg, strlen(arg)) < 0 ? -errno : 0; }

int main(void)
{
    if (pipe(fds) < 0)
        return 1;
    cio_loop_new(&loop);
    cio_loop_add_reader(loop, fds[0], on_readable, NULL);
    cio_call_soon(loop, wr, "hello", NULL);
    cio_call_later(loop, 0.02, wr, "end", NULL);
    cio_loop_run_forever(loop);
    close(fds[0]);
    close(fds[1]);
    cio_loop_free(loop);
    return 0;
}
