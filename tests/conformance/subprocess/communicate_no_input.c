/* from: test_subprocess.py::SubprocessMixin::test_communicate_none_input (stdin is closed even without input)
   requires: 3.12 (3.11's communicate() left stdin open: the child never sees EOF) */
#include "conf.h"

static int amain(void *arg, void **result)
{
    const char *const cat[] = {"cat", NULL};
    cio_process_opts_t o = {.stdin_mode = CIO_STDIO_PIPE, .stdout_mode = CIO_STDIO_PIPE};
    cio_process_t *p;
    int rc = cio_create_subprocess_exec(cat, &o, &p);
    if (rc < 0)
        return rc;
    char *out;
    size_t n;
    int code;
    cio_process_communicate(p, NULL, 0, &out, &n, NULL, NULL);
    cio_process_returncode(p, &code);
    P("no input: b'%.*s' %d", (int)n, out, code);
    cio_free(out);
    cio_unref(p);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
