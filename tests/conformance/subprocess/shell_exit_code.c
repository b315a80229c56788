/* from: test_subprocess.py::SubprocessMixin::test_shell / test_exit_code */
#include "conf.h"

static int amain(void *arg, void **result)
{
    cio_process_t *p;
    cio_create_subprocess_shell("exit 7", NULL, &p);
    int code;
    cio_process_wait(p, &code);
    P("exit 7 -> %d", code);
    cio_unref(p);
    cio_process_opts_t o = {.stdout_mode = CIO_STDIO_PIPE};
    cio_create_subprocess_shell("echo $((6*7))", &o, &p);
    char *out;
    cio_process_communicate(p, NULL, 0, &out, NULL, NULL, NULL);
    out[strcspn(out, "\n")] = 0;
    cio_process_returncode(p, &code);
    P("shell arithmetic: %s rc %d", out, code);
    cio_free(out);
    cio_unref(p);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
