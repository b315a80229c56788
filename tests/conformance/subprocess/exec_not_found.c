/* from: test_subprocess.py / a missing program: FileNotFoundError at creation */
#include "conf.h"

static int amain(void *arg, void **result)
{
    const char *const argv[] = {"/nonexistent/program-xyz", NULL};
    cio_process_t *p = NULL;
    P("%s", EXC(cio_create_subprocess_exec(argv, NULL, &p)));
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
