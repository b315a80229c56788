/* from: test_subprocess.py / ProcessLookupError once reaped */
#include "conf.h"

static int amain(void *arg, void **result)
{
    const char *const argv[] = {"true", NULL};
    cio_process_t *p;
    cio_create_subprocess_exec(argv, NULL, &p);
    int code;
    cio_process_wait(p, &code);
    P("wait %d", code);
    cio_sleep(0.01);
    int rc = cio_process_kill(p);
    P("kill after exit: %s", rc == 0 ? "no error" : EXC(rc));
    rc = cio_process_terminate(p);
    P("terminate after exit: %s", rc == 0 ? "no error" : EXC(rc));
    cio_unref(p);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
