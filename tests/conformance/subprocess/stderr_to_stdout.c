/* from: test_subprocess.py::SubprocessMixin::test_stdout_stderr (STDOUT merges, DEVNULL drops) */
#include "conf.h"

static int amain(void *arg, void **result)
{
    cio_process_opts_t o = {.stdout_mode = CIO_STDIO_PIPE, .stderr_mode = CIO_STDIO_STDOUT};
    cio_process_t *p;
    cio_create_subprocess_shell("echo out; echo err 1>&2", &o, &p);
    char *out, *err;
    cio_process_communicate(p, NULL, 0, &out, NULL, &err, NULL);
    char a[16] = "", b[16] = "";
    sscanf(out, "%15s %15s", a, b);
    if (strcmp(a, b) > 0) {
        char t[16];
        strcpy(t, a); strcpy(a, b); strcpy(b, t);
    }
    P("merged: ['%s', '%s'] err: %s", a, b, err ? "?" : "None");
    cio_free(out);
    cio_free(err);
    cio_unref(p);
    cio_process_opts_t o2 = {.stdout_mode = CIO_STDIO_DEVNULL, .stderr_mode = CIO_STDIO_PIPE};
    cio_create_subprocess_shell("echo out; echo err 1>&2", &o2, &p);
    size_t n;
    cio_process_communicate(p, NULL, 0, &out, NULL, &err, &n);
    P("devnull out: %s err: b'%.*s\\n'", out ? "?" : "None", (int)n - 1, err);
    cio_free(out);
    cio_free(err);
    cio_unref(p);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
