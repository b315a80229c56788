/* from: test_subprocess.py::SubprocessMixin::test_stdin_stdout / write to stdin, close it, read the echo */
#include "conf.h"

static int amain(void *arg, void **result)
{
    const char *const argv[] = {"cat", NULL};
    cio_process_opts_t o = {.stdin_mode = CIO_STDIO_PIPE, .stdout_mode = CIO_STDIO_PIPE};
    cio_process_t *p;
    cio_create_subprocess_exec(argv, &o, &p);
    cio_stream_t *in = cio_process_stdin(p), *out = cio_process_stdout(p);
    char line[64];
    cio_stream_write(in, "line one\n", 9);
    cio_stream_drain(in);
    ssize_t n = cio_stream_readline(out, line, sizeof line);
    P("echo: b'%.*s\\n'", (int)n - 1, line);
    cio_stream_write(in, "line two\n", 9);
    cio_stream_close(in);
    n = cio_stream_readline(out, line, sizeof line);
    P("echo: b'%.*s\\n'", (int)n - 1, line);
    n = cio_stream_read(out, line, sizeof line);
    int code;
    cio_process_wait(p, &code);
    P("eof: b'%.*s' rc %d", (int)n, line, code);
    cio_unref(p);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
