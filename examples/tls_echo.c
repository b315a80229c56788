/* tls_echo: the streams echo server and client over TLS (asyncio's ssl=
 * argument of start_server and open_connection), with a self-signed
 * certificate made at run time by the openssl command, run as a subprocess.
 *
 *     import asyncio, ssl, subprocess
 *
 *     async def handle_echo(reader, writer):
 *         async for line in reader:
 *             writer.write(line)
 *             await writer.drain()
 *
 *     async def main():
 *         proc = await asyncio.create_subprocess_exec(
 *             "openssl", "req", "-x509", "-newkey", "ec", ..., "-subj", "/CN=localhost",
 *             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
 *         await proc.communicate()
 *
 *         server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
 *         server_ctx.load_cert_chain("cert.pem", "key.pem")
 *         server_ctx.set_alpn_protocols(["echo/1"])
 *         server = await asyncio.start_server(handle_echo, "127.0.0.1", 0, ssl=server_ctx)
 *         port = server.sockets[0].getsockname()[1]
 *
 *         client_ctx = ssl.create_default_context()
 *         client_ctx.load_verify_locations("cert.pem")      # trust our certificate
 *         client_ctx.set_alpn_protocols(["echo/1"])
 *         reader, writer = await asyncio.open_connection(
 *             "127.0.0.1", port, ssl=client_ctx, server_hostname="localhost")
 *         print("ALPN:", writer.get_extra_info("ssl_object").selected_alpn_protocol())
 *         writer.write(b"hello over TLS\n")
 *         await writer.drain()
 *         print("echo:", await reader.readline())
 *         writer.close()
 *         await writer.wait_closed()
 *
 *         try:                                               # the system's CAs only
 *             await asyncio.open_connection("127.0.0.1", port,
 *                 ssl=ssl.create_default_context(), server_hostname="localhost")
 *         except ssl.SSLCertVerificationError as e:
 *             print("refused:", e)
 *
 *         server.close()
 *         await server.wait_closed()
 *
 *     asyncio.run(main())
 *
 * In C: a TLS context is a cio_tls_t (cio_tls_server_new with the PEM files,
 * cio_tls_client_new with the system's CAs, cio_tls_load_verify_locations to
 * trust others); it goes in cio_server_opts_t.tls and cio_conn_opts_t.tls,
 * and the streams read and write plaintext as before.
 * SSLCertVerificationError is CIO_ETLSVERIFY, other TLS failures CIO_ETLS;
 * cio_tls_last_error() has OpenSSL's text.
 *
 * Skipped (exit 0, with a line saying so) when cio was built without
 * OpenSSL or the openssl command is not installed.  tests/test_tls.c makes
 * its certificates with OpenSSL's API instead, and tests more (start_tls,
 * handshake timeouts, large transfers).  Expected: ~0.1 s.
 */
#include <cio.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double perf_counter(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

#define SKIPPED 1 /* amain's result: nothing to run here */

struct files {
    char dir[64], cert[96], key[96];
};

/* ------------------------------------------------- the certificate */

/* openssl req: a self-signed certificate for "localhost", valid one day. */
static int make_certificate(const struct files *f)
{
    const char *argv[] = {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                          "-nodes", "-days", "1", "-subj", "/CN=localhost", "-addext",
                          "subjectAltName=DNS:localhost", "-keyout", f->key, "-out", f->cert, NULL};
    cio_process_opts_t opts = {.stdout_mode = CIO_STDIO_PIPE, .stderr_mode = CIO_STDIO_PIPE};
    cio_process_t *p;
    int rc = cio_create_subprocess_exec(argv, &opts, &p);
    if (rc == -ENOENT) return SKIPPED; /* no openssl command */
    if (rc < 0) return rc;
    char *err = NULL;
    int status = -1;
    rc = cio_process_communicate(p, NULL, 0, NULL, NULL, &err, NULL);
    if (rc == 0) cio_process_returncode(p, &status);
    if (rc == 0 && status != 0) {
        fprintf(stderr, "openssl req exited with %d:\n%s", status, err ? err : "");
        rc = -EPROTO;
    }
    cio_free(err);
    cio_unref(p);
    if (rc == 0) puts("openssl req: a self-signed certificate for localhost, exit status 0");
    return rc;
}

/* ------------------------------------------------------- the server */

static int handle_echo(cio_stream_t *s, void *arg)
{
    const char *line;
    ssize_t n;
    while ((n = cio_stream_readline_ref(s, &line)) > 0) /* async for line in reader */
        if (cio_stream_write(s, line, (size_t)n) < 0 || cio_stream_drain(s) < 0) break;
    return 0; /* the stream is closed (close_notify sent) when we return */
}

/* ------------------------------------------------------- the clients */

static int trusted_client(int port, const struct files *f)
{
    cio_tls_t *tls;
    int rc = cio_tls_client_new(&tls);
    if (rc < 0) return rc;
    static const char *const alpn[] = {"echo/1"};
    if ((rc = cio_tls_load_verify_locations(tls, f->cert, NULL)) == 0) rc = cio_tls_set_alpn(tls, alpn, 1);
    cio_stream_t *s = NULL;
    cio_conn_opts_t opts = {.tls = tls, .server_hostname = "localhost"};
    if (rc == 0) rc = cio_open_connection_ex("127.0.0.1", port, &opts, &s); /* the handshake is done */
    if (rc == 0) {
        const char *proto = cio_stream_tls_alpn(s);
        printf("connected over TLS, ALPN: %s\n", proto ? proto : "(none)");
        static const char msg[] = "hello over TLS\n";
        char echo[64];
        ssize_t n = 0;
        printf("send: %s", msg);
        if ((rc = cio_stream_write(s, msg, sizeof msg - 1)) == 0 && (rc = cio_stream_drain(s)) == 0)
            n = cio_stream_readline(s, echo, sizeof echo);
        if (n < 0) rc = (int)n;
        if (rc == 0) {
            printf("echo: %.*s", (int)n, echo);
            if ((size_t)n != sizeof msg - 1 || memcmp(echo, msg, (size_t)n) != 0) rc = -EPROTO;
        }
        cio_stream_close(s);
        int wrc = cio_stream_wait_closed(s);
        if (rc == 0) rc = wrc;
    }
    if (rc < 0) fprintf(stderr, "trusted client: %s %s\n", cio_strerror(rc), cio_tls_last_error());
    cio_unref(s);
    cio_unref(tls);
    return rc;
}

/* A client that trusts only the system's CAs: our certificate is refused. */
static int untrusting_client(int port)
{
    cio_tls_t *tls;
    int rc = cio_tls_client_new(&tls);
    if (rc < 0) return rc;
    cio_stream_t *s = NULL;
    cio_conn_opts_t opts = {.tls = tls, .server_hostname = "localhost"};
    rc = cio_open_connection_ex("127.0.0.1", port, &opts, &s);
    if (rc == CIO_ETLSVERIFY) {
        printf("without our certificate: %s (%s)\n", cio_err_name(rc), cio_tls_last_error());
        rc = 0;
    } else {
        fprintf(stderr, "untrusting client: expected CIO_ETLSVERIFY, got %s\n", cio_err_name(rc));
        if (rc == 0) rc = -EPROTO;
    }
    cio_unref(s);
    cio_unref(tls);
    return rc;
}

/* ---------------------------------------------------------------- main */

static int amain(void *arg, void **result)
{
    const struct files *f = arg;
    if (!cio_tls_available()) {
        puts("skipped: cio was built without OpenSSL (every TLS call returns -ENOTSUP)");
        return SKIPPED;
    }
    int rc = make_certificate(f);
    if (rc == SKIPPED) puts("skipped: the openssl command is not installed");
    if (rc != 0) return rc;

    cio_tls_t *stls;
    if ((rc = cio_tls_server_new(f->cert, f->key, &stls)) < 0) {
        fprintf(stderr, "cio_tls_server_new: %s\n", cio_tls_last_error());
        return rc;
    }
    static const char *const alpn[] = {"echo/1"};
    cio_tls_set_alpn(stls, alpn, 1);
    cio_server_opts_t opts = {.tls = stls};
    cio_server_t *sv;
    rc = cio_start_server(handle_echo, NULL, "127.0.0.1", 0, &opts, &sv);
    if (rc == 0) {
        printf("TLS echo server on 127.0.0.1:%d\n", cio_server_port(sv));
        cio_timeout_t to; /* a broken handshake fails the demo, never hangs it */
        if ((rc = cio_timeout_enter(&to, 10)) == 0) {
            int crc = trusted_client(cio_server_port(sv), f);
            if (crc == 0) crc = untrusting_client(cio_server_port(sv));
            rc = cio_timeout_exit(&to, crc);
        }
        cio_server_close(sv);
        int wrc = cio_server_wait_closed(sv);
        if (rc == 0) rc = wrc;
        cio_unref(sv);
    }
    cio_unref(stls);
    return rc;
}

int main(void)
{
    struct files f;
    snprintf(f.dir, sizeof f.dir, "/tmp/cio-tls-echo-XXXXXX");
    if (!mkdtemp(f.dir)) {
        perror("tls_echo: mkdtemp");
        return 1;
    }
    snprintf(f.cert, sizeof f.cert, "%s/cert.pem", f.dir);
    snprintf(f.key, sizeof f.key, "%s/key.pem", f.dir);

    double start = perf_counter();
    int rc = cio_run(amain, &f, NULL);
    unlink(f.cert);
    unlink(f.key);
    rmdir(f.dir);
    if (rc < 0) {
        fprintf(stderr, "tls_echo: %s\n", cio_strerror(rc));
        return 1;
    }
    printf("elapsed: %.2f s\n", perf_counter() - start);
    return 0;
}
