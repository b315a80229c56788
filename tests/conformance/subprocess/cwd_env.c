/* from: test_subprocess.py::SubprocessMixin::test_subprocess_exec_with_cwd / env */
#include "conf.h"

static int amain(void *arg, void **result)
{
    const char *const argv[] = {"pwd", NULL};
    cio_process_opts_t o = {.stdout_mode = CIO_STDIO_PIPE, .cwd = "/"};
    cio_process_t *p;
    cio_create_subprocess_exec(argv, &o, &p);
    char *out;
    cio_process_communicate(p, NULL, 0, &out, NULL, NULL, NULL);
    out[strcspn(out, "\n")] = 0;
    P("cwd: %s", out);
    cio_free(out);
    cio_unref(p);
    char *const env[] = {"CONF_VAR=from env", "PATH=/usr/bin:/bin", NULL};
    cio_process_opts_t o2 = {.stdout_mode = CIO_STDIO_PIPE, .env = env};
    cio_create_subprocess_shell("echo $CONF_VAR", &o2, &p);
    cio_process_communicate(p, NULL, 0, &out, NULL, NULL, NULL);
    out[strcspn(out, "\n")] = 0;
    P("env: %s", out);
    cio_free(out);
    cio_unref(p);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
