/* from: test_streams.py::StreamTests::test_start_tls / test_sslproto.py (a plain connection upgraded to TLS on both ends)
   Skipped (exit 77) in a build without TLS. */
#include "conf.h"

static char cert[64], key[64];
static cio_tls_t *server_tls;

static int handle(cio_stream_t *s, void *arg)
{
    char line[64] = "tls echo: ";
    ssize_t n = cio_stream_readline(s, line, sizeof line);
    if (n < 0)
        return (int)n;
    P("server got b'%.*s\\n'", (int)n - 1, line);
    cio_stream_write(s, "OK\n", 3);
    cio_stream_drain(s);
    int rc = cio_stream_start_tls(s, server_tls, NULL, 10);
    if (rc < 0)
        return rc;
    strcpy(line, "tls echo: ");
    n = cio_stream_readline(s, line + 10, sizeof line - 10);
    if (n < 0)
        return (int)n;
    cio_stream_write(s, line, 10 + (size_t)n);
    cio_stream_drain(s);
    return cio_stream_close(s);
}

static int amain(void *arg, void **result)
{
    int rc = cio_tls_server_new(cert, key, &server_tls);
    if (rc < 0)
        return rc;
    cio_server_t *sv;
    rc = cio_start_server(handle, NULL, "127.0.0.1", 0, NULL, &sv);
    if (rc < 0)
        return rc;
    cio_stream_t *s;
    cio_open_connection("127.0.0.1", cio_server_port(sv), &s);
    P("TLS before: %s", B(cio_stream_tls_ssl_object(s) != NULL));
    cio_stream_write(s, "STARTTLS\n", 9);
    char buf[64];
    ssize_t n = cio_stream_readline(s, buf, sizeof buf);
    P("client got b'%.*s\\n'", (int)n - 1, buf);
    cio_tls_t *ctls;
    cio_tls_client_new(&ctls);
    cio_tls_load_verify_locations(ctls, cert, NULL);
    rc = cio_stream_start_tls(s, ctls, "localhost", 10);
    P("TLS after: %s", B(rc == 0 && cio_stream_tls_ssl_object(s) != NULL));
    cio_stream_write(s, "secret\n", 7);
    n = cio_stream_readline(s, buf, sizeof buf);
    P("b'%.*s\\n'", (int)n - 1, buf);
    cio_stream_abort(s);
    cio_unref(s);
    cio_server_close(sv);
    cio_server_abort_clients(sv);
    cio_server_wait_closed(sv);
    cio_unref(sv);
    cio_unref(ctls);
    cio_unref(server_tls);
    return 0;
}

int main(void)
{
    if (!cio_tls_available()) {
        fprintf(stderr, "built without TLS\n");
        return 77;
    }
    char dir[] = "/tmp/cioconfXXXXXX";
    if (!mkdtemp(dir))
        return 1;
    snprintf(cert, sizeof cert, "%s/cert.pem", dir);
    snprintf(key, sizeof key, "%s/key.pem", dir);
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout %s -out %s "
             "-days 2 -subj /CN=localhost -addext subjectAltName=DNS:localhost >/dev/null 2>&1",
             key, cert);
    if (system(cmd) != 0) {
        fprintf(stderr, "no openssl command to make a certificate\n");
        rmdir(dir);
        return 77;
    }
    int rc = cio_run(amain, NULL, NULL);
    unlink(cert);
    unlink(key);
    rmdir(dir);
    return rc < 0;
}
