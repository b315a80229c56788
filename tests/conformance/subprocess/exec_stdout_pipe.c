/* from: test_subprocess.py::SubprocessMixin::test_stdin_stdout (exec with a stdout pipe) */
#include "conf.h"

static int amain(void *arg, void **result)
{
    const char *const argv[] = {"sh", "-c", "sleep 0.5; echo hello world", NULL};
    cio_process_opts_t o = {.stdout_mode = CIO_STDIO_PIPE};
    cio_process_t *p;
    int rc = cio_create_subprocess_exec(argv, &o, &p);
    if (rc < 0)
        return rc;
    int code;
    P("pid positive: %s returncode before: %s", B(cio_process_pid(p) > 0), cio_process_returncode(p, &code) ? "?" : "None");
    char line[64];
    ssize_t n = cio_stream_readline(cio_process_stdout(p), line, sizeof line);
    P("line: b'%.*s\\n'", (int)n - 1, line);
    n = cio_stream_read(cio_process_stdout(p), line, sizeof line);
    P("rest: b'%.*s'", (int)n, line);
    cio_process_wait(p, &code);
    int code2;
    cio_process_returncode(p, &code2);
    P("wait: %d returncode: %d", code, code2);
    cio_unref(p);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
