/* from: test_tasks.py::test_sleep (wake-ups in deadline order) */
#include "conf.h"

struct s { double d; const char *what; };

static int say(void *arg, void **result)
{
    struct s *s = arg;
    cio_sleep(s->d);
    P("%s", s->what);
    return 0;
}

static int amain(void *arg, void **result)
{
    struct s a = {0.06, "third"}, b = {0.02, "first"}, c = {0.04, "second"};
    cio_call_t calls[3] = {{say, &a}, {say, &b}, {say, &c}};
    return cio_gather_calls(calls, 3, NULL, NULL, 0);
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
