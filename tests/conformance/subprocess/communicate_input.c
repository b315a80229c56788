/* from: test_subprocess.py::SubprocessMixin::test_communicate */
#include "conf.h"

static int amain(void *arg, void **result)
{
    const char *const argv[] = {"tr", "a-z", "A-Z", NULL};
    cio_process_opts_t o = {.stdin_mode = CIO_STDIO_PIPE, .stdout_mode = CIO_STDIO_PIPE};
    cio_process_t *p;
    int rc = cio_create_subprocess_exec(argv, &o, &p);
    if (rc < 0)
        return rc;
    char *out, *err;
    size_t n;
    cio_process_communicate(p, "shout this\n", 11, &out, &n, &err, NULL);
    int code;
    cio_process_returncode(p, &code);
    P("out: b'%.*s\\n' err: %s returncode: %d", (int)n - 1, out, err ? "?" : "None", code);
    cio_free(out);
    cio_free(err);
    cio_unref(p);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
