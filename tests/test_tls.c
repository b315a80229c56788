/* TLS: a CA and certificates made at test time with OpenSSL's API (for
 * "localhost" and 127.0.0.1), then handshake and echo over streams and
 * transports, verification failures, host-name mismatch, the explicit
 * opt-out, ALPN, start_tls, a handshake timeout, a large transfer through
 * partial TLS writes, the TLS extra info (cipher, peer certificate, SSL
 * object), and bad input. */
#include "harness.h"

#include <fcntl.h>
#include <math.h>

#include <netinet/in.h>
#include <pthread.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

static char dir[64];
static char ca_pem[128], cert_pem[128], key_pem[128], other_key_pem[128], self_pem[128], self_key_pem[128];

/* ------------------------------------------------ certificates at test time */

static EVP_PKEY *new_key(void)
{
    return EVP_EC_gen("P-256");
}

static void add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ex = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (ex) {
        X509_add_ext(cert, ex, -1);
        X509_EXTENSION_free(ex);
    }
}

static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key, int is_ca, long serial)
{
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, key);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
    if (is_ca) {
        add_ext(x, issuer ? issuer : x, NID_basic_constraints, "critical,CA:TRUE");
        add_ext(x, issuer ? issuer : x, NID_key_usage, "critical,keyCertSign,cRLSign");
    } else {
        add_ext(x, issuer ? issuer : x, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
        add_ext(x, issuer ? issuer : x, NID_ext_key_usage, "serverAuth,clientAuth");
    }
    X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256());
    return x;
}

static int write_pem(const char *path, X509 *x, EVP_PKEY *k)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    int ok = x ? PEM_write_X509(f, x) : PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
    fclose(f);
    return ok ? 0 : -1;
}

static int make_pki(void)
{
    snprintf(dir, sizeof dir, "/tmp/cio-tls-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(ca_pem, sizeof ca_pem, "%s/ca.pem", dir);
    snprintf(cert_pem, sizeof cert_pem, "%s/cert.pem", dir);
    snprintf(key_pem, sizeof key_pem, "%s/key.pem", dir);
    snprintf(other_key_pem, sizeof other_key_pem, "%s/other.pem", dir);
    snprintf(self_pem, sizeof self_pem, "%s/self.pem", dir);
    snprintf(self_key_pem, sizeof self_key_pem, "%s/selfkey.pem", dir);
    EVP_PKEY *cak = new_key(), *k = new_key(), *other = new_key(), *sk = new_key();
    if (!cak || !k || !other || !sk)
        return -1;
    X509 *ca = make_cert(cak, "cio test CA", NULL, NULL, 1, 1);
    X509 *cert = make_cert(k, "localhost", ca, cak, 0, 2);
    X509 *self = make_cert(sk, "localhost", NULL, NULL, 0, 3); /* self-signed: trusted by nobody */
    int rc = write_pem(ca_pem, ca, NULL) | write_pem(cert_pem, cert, NULL) | write_pem(key_pem, NULL, k) |
             write_pem(other_key_pem, NULL, other) | write_pem(self_pem, self, NULL) |
             write_pem(self_key_pem, NULL, sk);
    X509_free(ca);
    X509_free(cert);
    X509_free(self);
    EVP_PKEY_free(cak);
    EVP_PKEY_free(k);
    EVP_PKEY_free(other);
    EVP_PKEY_free(sk);
    return rc;
}

static void remove_pki(void)
{
    const char *files[] = {ca_pem, cert_pem, key_pem, other_key_pem, self_pem, self_key_pem};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        unlink(files[i]);
    rmdir(dir);
}

/* ------------------------------------------------------------ helpers */

struct srv {
    int accepted, finished;
    ssize_t last_rc;
    char alpn[32];
};

static int h_echo(cio_stream_t *s, void *arg)
{
    struct srv *st = arg;
    st->accepted++;
    const char *a = cio_stream_tls_alpn(s);
    snprintf(st->alpn, sizeof st->alpn, "%s", a ? a : "");
    char *buf = malloc(16384);
    ssize_t n = buf ? 0 : -ENOMEM;
    while (buf && (n = cio_stream_read(s, buf, 16384)) > 0) {
        int rc = cio_stream_write(s, buf, (size_t)n);
        if (rc == 0)
            rc = cio_stream_drain(s);
        if (rc < 0) {
            n = rc;
            break;
        }
    }
    free(buf);
    st->last_rc = n;
    st->finished++;
    return 0;
}

static int echo_once(cio_stream_t *c, const char *msg)
{
    char buf[256];
    size_t n = strlen(msg);
    int rc = cio_stream_write(c, msg, n);
    if (rc == 0)
        rc = cio_stream_drain(c);
    if (rc < 0)
        return rc;
    ssize_t k = cio_stream_readexactly(c, buf, n);
    if (k < 0)
        return (int)k;
    return (size_t)k == n && memcmp(buf, msg, n) == 0 ? 0 : -EBADMSG;
}

static void server_finish(cio_server_t *sv)
{
    if (!sv)
        return;
    cio_server_close(sv);
    cio_timeout_t to;
    if (cio_timeout_enter(&to, 5.0) == 0)
        CHECK_RC(cio_timeout_exit(&to, cio_server_wait_closed(sv)), 0);
    cio_unref(sv);
}

static void stream_finish(cio_stream_t *s)
{
    if (!s)
        return;
    cio_stream_close(s);
    cio_timeout_t to;
    if (cio_timeout_enter(&to, 5.0) == 0)
        cio_timeout_exit(&to, cio_stream_wait_closed(s));
    cio_unref(s);
}

static cio_tls_t *server_ctx(void)
{
    cio_tls_t *t = NULL;
    int rc = cio_tls_server_new(cert_pem, key_pem, &t);
    if (rc < 0)
        FAILF("cio_tls_server_new: %s (%s)", cio_err_name(rc), cio_tls_last_error());
    return t;
}

static cio_tls_t *client_ctx(int trust_ca)
{
    cio_tls_t *t = NULL;
    int rc = cio_tls_client_new(&t);
    if (rc < 0) {
        FAILF("cio_tls_client_new: %s", cio_err_name(rc));
        return NULL;
    }
    if (trust_ca && (rc = cio_tls_load_verify_locations(t, ca_pem, NULL)) < 0)
        FAILF("load_verify_locations: %s (%s)", cio_err_name(rc), cio_tls_last_error());
    return t;
}

#define RUN(m) CHECK_RC(run_limited(m, NULL, NULL), 0)

/* ------------------------------------------------------------ cases */

/* Handshake, echo, ALPN, SNI host name verified against the CA made here. */
static int m_echo(void *arg, void **result)
{
    struct srv st = {0};
    cio_server_t *sv = NULL;
    cio_stream_t *c = NULL;
    cio_tls_t *stls = server_ctx(), *ctls = client_ctx(1);
    REQ(stls && ctls);
    const char *sp[] = {"h2", "http/1.1"}, *cp[] = {"http/1.1"};
    CHECK_RC(cio_tls_set_alpn(stls, sp, 2), 0);
    CHECK_RC(cio_tls_set_alpn(ctls, cp, 1), 0);
    cio_server_opts_t so = {.tls = stls};
    REQ(cio_start_server(h_echo, &st, "127.0.0.1", 0, &so, &sv) == 0);
    cio_conn_opts_t co = {.tls = ctls, .server_hostname = "localhost"};
    int rc = cio_open_connection_ex("127.0.0.1", cio_server_port(sv), &co, &c);
    CHECK_RC(rc, 0);
    REQ(rc == 0);
    const char *alpn = cio_stream_tls_alpn(c);
    CHECK_STR(alpn ? alpn : "(none)", "http/1.1");
    CHECK_RC(echo_once(c, "hello over TLS\n"), 0);
    CHECK_RC(echo_once(c, "second line\n"), 0);
    CHECK_INT(cio_stream_can_write_eof(c), 0);
    CHECK_RC(cio_stream_write_eof(c), -ENOTSUP);
    CHECK_STR(st.alpn, "http/1.1");
    /* Verified by IP address too (the certificate has IP:127.0.0.1). */
    cio_stream_t *c2 = NULL;
    co.server_hostname = NULL;
    CHECK_RC(cio_open_connection_ex("127.0.0.1", cio_server_port(sv), &co, &c2), 0);
    if (c2)
        CHECK_RC(echo_once(c2, "by ip\n"), 0);
    stream_finish(c2);
out:
    stream_finish(c);
    server_finish(sv);
    CHECK_INT(st.accepted, 2);
    CHECK_INT(st.last_rc, 0); /* the server read a clean EOF (close_notify) */
    cio_unref(stls);
    cio_unref(ctls);
    return 0;
}
static void t_echo(void) { RUN(m_echo); }

/* A server whose certificate nobody trusts; a name that does not match;
 * verification off (the explicit opt-out). */
static int m_verify(void *arg, void **result)
{
    struct srv st = {0};
    cio_server_t *sv = NULL, *sv_self = NULL;
    cio_stream_t *c = NULL;
    cio_tls_t *stls = server_ctx(), *self = NULL, *trusting = client_ctx(1), *plain = client_ctx(0);
    REQ(stls && trusting && plain);
    REQ(cio_tls_server_new(self_pem, self_key_pem, &self) == 0);
    cio_server_opts_t so = {.tls = self};
    REQ(cio_start_server(h_echo, &st, "127.0.0.1", 0, &so, &sv_self) == 0);
    so.tls = stls;
    REQ(cio_start_server(h_echo, &st, "127.0.0.1", 0, &so, &sv) == 0);

    /* Self-signed: not trusted by the CA we load, nor by the system store. */
    cio_conn_opts_t co = {.tls = trusting, .server_hostname = "localhost"};
    CHECK_RC(cio_open_connection_ex("127.0.0.1", cio_server_port(sv_self), &co, &c), CIO_ETLSVERIFY);
    CHECK(c == NULL);
    CHECK(strstr(cio_tls_last_error(), "verify") != NULL);
    co.tls = plain;
    CHECK_RC(cio_open_connection_ex("127.0.0.1", cio_server_port(sv), &co, &c), CIO_ETLSVERIFY);
    /* Trusted CA, wrong name. */
    co.tls = trusting;
    co.server_hostname = "example.com";
    CHECK_RC(cio_open_connection_ex("127.0.0.1", cio_server_port(sv), &co, &c), CIO_ETLSVERIFY);
    co.server_hostname = "127.0.0.2";
    CHECK_RC(cio_open_connection_ex("127.0.0.1", cio_server_port(sv), &co, &c), CIO_ETLSVERIFY);
    /* Opt-out: anything goes. */
    CHECK_RC(cio_tls_set_verify(plain, 0), 0);
    co.tls = plain;
    co.server_hostname = "example.com";
    CHECK_RC(cio_open_connection_ex("127.0.0.1", cio_server_port(sv_self), &co, &c), 0);
    if (c)
        CHECK_RC(echo_once(c, "unverified\n"), 0);
    /* The loop and other connections are fine after the failures. */
    cio_stream_t *ok = NULL;
    co.tls = trusting;
    co.server_hostname = "localhost";
    CHECK_RC(cio_open_connection_ex("127.0.0.1", cio_server_port(sv), &co, &ok), 0);
    if (ok)
        CHECK_RC(echo_once(ok, "still fine\n"), 0);
    stream_finish(ok);
out:
    stream_finish(c);
    server_finish(sv);
    server_finish(sv_self);
    cio_unref(stls);
    cio_unref(self);
    cio_unref(trusting);
    cio_unref(plain);
    return 0;
}
static void t_verify(void) { RUN(m_verify); }

/* A peer that accepts and never speaks: the handshake times out. */
static int m_handshake_timeout(void *arg, void **result)
{
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    cio_tls_t *ctls = client_ctx(1);
    cio_stream_t *c = NULL;
    REQ(lfd >= 0 && ctls);
    REQ(bind(lfd, (struct sockaddr *)&a, sizeof a) == 0 && listen(lfd, 4) == 0);
    REQ(getsockname(lfd, (struct sockaddr *)&a, &len) == 0);
    cio_conn_opts_t co = {.tls = ctls, .server_hostname = "localhost", .tls_handshake_timeout = 0.2};
    double t0 = now_s();
    CHECK_RC(cio_open_connection_ex("127.0.0.1", ntohs(a.sin_port), &co, &c), -ETIMEDOUT);
    double dt = now_s() - t0;
    CHECK(dt >= 0.15 && dt < 3.0);
    CHECK(c == NULL);
    /* Bad timeouts. */
    co.tls_handshake_timeout = -1;
    CHECK_RC(cio_open_connection_ex("127.0.0.1", ntohs(a.sin_port), &co, &c), -EINVAL);
out:
    if (lfd >= 0)
        close(lfd);
    cio_unref(ctls);
    return 0;
}
static void t_handshake_timeout(void) { RUN(m_handshake_timeout); }

/* start_tls on an open plain connection: a STARTTLS exchange. */
static cio_tls_t *g_stls;
static int h_starttls(cio_stream_t *s, void *arg)
{
    struct srv *st = arg;
    char line[64];
    st->accepted++;
    ssize_t n = cio_stream_readline(s, line, sizeof line);
    if (n != 9 || memcmp(line, "STARTTLS\n", 9) != 0)
        return -EBADMSG;
    int rc = cio_stream_write(s, "GO\n", 3);
    if (rc == 0)
        rc = cio_stream_drain(s);
    if (rc == 0)
        rc = cio_stream_start_tls(s, g_stls, NULL, 5.0);
    if (rc < 0)
        return rc;
    while ((n = cio_stream_readline(s, line, sizeof line)) > 0) {
        if ((rc = cio_stream_write(s, line, (size_t)n)) < 0)
            return rc;
    }
    st->finished++;
    return 0;
}

static int m_start_tls(void *arg, void **result)
{
    struct srv st = {0};
    cio_server_t *sv = NULL;
    cio_stream_t *c = NULL;
    char line[64];
    g_stls = server_ctx();
    cio_tls_t *ctls = client_ctx(1);
    REQ(g_stls && ctls);
    REQ(cio_start_server(h_starttls, &st, "127.0.0.1", 0, NULL, &sv) == 0);
    REQ(cio_open_connection("127.0.0.1", cio_server_port(sv), &c) == 0);
    CHECK_RC(cio_stream_start_tls(c, NULL, "localhost", 0), -EINVAL);
    CHECK_RC(cio_stream_write(c, "STARTTLS\n", 9), 0);
    ssize_t n = cio_stream_readline(c, line, sizeof line);
    CHECK_INT(n, 3);
    cio_tls_cipher_t ci;
    CHECK_RC(cio_stream_tls_cipher(c, &ci), -ENOTSUP); /* plain so far */
    CHECK(cio_stream_tls_ssl_object(c) == NULL);
    CHECK_RC(cio_stream_start_tls(c, ctls, "localhost", 5.0), 0);
    CHECK_RC(cio_stream_start_tls(c, ctls, "localhost", 5.0), CIO_EINVALSTATE);
    CHECK_RC(cio_stream_tls_cipher(c, &ci), 0);
    CHECK(ci.bits > 0);
    CHECK(cio_stream_tls_ssl_object(c) != NULL);
    CHECK_RC(echo_once(c, "secret 1\n"), 0);
    CHECK_RC(echo_once(c, "secret 2\n"), 0);
out:
    stream_finish(c);
    server_finish(sv);
    CHECK_INT(st.finished, 1);
    cio_unref(g_stls);
    cio_unref(ctls);
    return 0;
}
static void t_start_tls(void) { RUN(m_start_tls); }

/* 4 MiB each way through TLS, more than the socket buffers hold: partial
 * TLS writes, WANT_WRITE, records split across reads; nothing lost.  The server
 * takes all of it, then sends it back (so neither side's drain waits on the
 * other's). */
#define BULK (4u << 20)
static int h_bulk(cio_stream_t *s, void *arg)
{
    struct srv *st = arg;
    st->accepted++;
    char *data = malloc(BULK);
    if (!data)
        return -ENOMEM;
    ssize_t n = cio_stream_readexactly(s, data, BULK);
    st->last_rc = n;
    if (n == (ssize_t)BULK) {
        int rc = cio_stream_write(s, data, BULK);
        if (rc == 0)
            rc = cio_stream_drain(s);
        if (rc < 0)
            st->last_rc = rc;
    }
    free(data);
    st->finished++;
    return 0;
}

static int m_bulk(void *arg, void **result)
{
    struct srv st = {0};
    cio_server_t *sv = NULL;
    cio_stream_t *c = NULL;
    char *out = malloc(BULK), *in = malloc(BULK);
    cio_tls_t *stls = server_ctx(), *ctls = client_ctx(1);
    REQ(out && in && stls && ctls);
    for (size_t i = 0; i < BULK; i++)
        out[i] = (char)((i * 2654435761u) >> 13);
    cio_server_opts_t so = {.tls = stls};
    REQ(cio_start_server(h_bulk, &st, "127.0.0.1", 0, &so, &sv) == 0);
    cio_conn_opts_t co = {.tls = ctls, .server_hostname = "localhost"};
    REQ(cio_open_connection_ex("127.0.0.1", cio_server_port(sv), &co, &c) == 0);
    for (size_t off = 0; off < BULK; off += 100000) {
        size_t n = BULK - off < 100000 ? BULK - off : 100000;
        CHECK_RC(cio_stream_write(c, out + off, n), 0);
        CHECK_RC(cio_stream_drain(c), 0);
    }
    ssize_t n = cio_stream_readexactly(c, in, BULK);
    CHECK_INT(n, (ssize_t)BULK);
    CHECK(n == (ssize_t)BULK && memcmp(in, out, BULK) == 0);
out:
    stream_finish(c);
    server_finish(sv);
    CHECK_INT(st.last_rc, (ssize_t)BULK);
    free(out);
    free(in);
    cio_unref(stls);
    cio_unref(ctls);
    return 0;
}
static void t_bulk(void) { RUN(m_bulk); }

/* Transports and protocols over TLS. */
struct pst {
    int made, lost, lost_err;
    size_t got;
    char buf[64];
};

static void p_made(cio_transport_t *t, void *ud) { ((struct pst *)ud)->made++; }
static void p_data(cio_transport_t *t, const void *data, size_t n, void *ud)
{
    struct pst *p = ud;
    if (p->got + n < sizeof p->buf) {
        memcpy(p->buf + p->got, data, n);
        p->got += n;
    }
}
static void p_lost(cio_transport_t *t, int err, void *ud)
{
    struct pst *p = ud;
    p->lost++;
    p->lost_err = err;
}
static void p_echo(cio_transport_t *t, const void *data, size_t n, void *ud) { cio_transport_write(t, data, n); }

static const cio_protocol_t client_proto = {.connection_made = p_made, .data_received = p_data,
                                            .connection_lost = p_lost};
static const cio_protocol_t echo_proto = {.data_received = p_echo};

static int m_transport(void *arg, void **result)
{
    struct pst p = {0};
    cio_server_t *sv = NULL;
    cio_transport_t *t = NULL;
    cio_tls_t *stls = server_ctx(), *ctls = client_ctx(1);
    REQ(stls && ctls);
    cio_server_opts_t so = {.tls = stls};
    REQ(cio_create_server(&echo_proto, NULL, "127.0.0.1", 0, &so, &sv) == 0);
    cio_conn_opts_t co = {.tls = ctls, .server_hostname = "localhost"};
    REQ(cio_create_connection(&client_proto, &p, "127.0.0.1", cio_server_port(sv), &co, &t) == 0);
    CHECK_INT(p.made, 1);
    CHECK_RC(cio_transport_write(t, "ping over tls", 13), 0);
    for (int i = 0; i < 500 && p.got < 13 && !p.lost; i++) /* lost: failed (out of memory), no more comes */
        cio_sleep(0.005);
    CHECK_INT(p.lost, 0);
    CHECK_RC(p.lost_err, 0);
    CHECK_INT(p.got, 13);
    CHECK(memcmp(p.buf, "ping over tls", 13) == 0);
    CHECK_RC(cio_transport_close(t), 0);
    for (int i = 0; i < 200 && !p.lost; i++)
        cio_sleep(0.005);
    CHECK_INT(p.lost, 1);
    CHECK_RC(p.lost_err, 0);
out:
    cio_unref(t);
    if (sv) {
        cio_server_close(sv);
        cio_server_close_clients(sv);
        cio_timeout_t to;
        if (cio_timeout_enter(&to, 5.0) == 0)
            CHECK_RC(cio_timeout_exit(&to, cio_server_wait_closed(sv)), 0);
        cio_unref(sv);
    }
    cio_unref(stls);
    cio_unref(ctls);
    return 0;
}
static void t_transport(void) { RUN(m_transport); }

/* A blocking TCP socket connected to 127.0.0.1:port. */
static int connected_tcp(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* asyncio's sock= with ssl=: a TLS server on a listener the test made, a
 * TLS stream and a TLS transport on sockets the test connected.  Without
 * server_hostname there is no name to verify: -EINVAL.  A failed handshake
 * leaves the socket open and the caller's. */
static int m_sock(void *arg, void **result)
{
    struct srv st = {0};
    struct pst p = {0};
    cio_server_t *sv = NULL, *sv_self = NULL;
    cio_stream_t *c = NULL;
    cio_transport_t *t = NULL;
    cio_tls_t *stls = server_ctx(), *ctls = client_ctx(1), *self = NULL;
    int lfd = -1, cfd = -1, port = 0;
    REQ(stls && ctls);
    REQ(cio_tls_server_new(self_pem, self_key_pem, &self) == 0);
    lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    REQ(lfd >= 0 && bind(lfd, (struct sockaddr *)&a, sizeof a) == 0 && listen(lfd, 8) == 0);
    REQ(getsockname(lfd, (struct sockaddr *)&a, &len) == 0);
    port = ntohs(a.sin_port);
    cio_server_opts_t so = {.tls = stls, .has_sock = 1, .sock = lfd};
    REQ_OK(cio_start_server(h_echo, &st, NULL, 0, &so, &sv));
    lfd = -1;

    cfd = connected_tcp(port);
    REQ(cfd >= 0);
    cio_conn_opts_t co = {.tls = ctls, .has_sock = 1, .sock = cfd};
    CHECK_RC(cio_open_connection_ex(NULL, 0, &co, &c), -EINVAL); /* no server_hostname */
    co.server_hostname = "localhost";
    int rc = cio_open_connection_ex(NULL, 0, &co, &c);
    CHECK_RC(rc, 0);
    REQ(rc == 0);
    cfd = -1;
    CHECK_RC(echo_once(c, "TLS over an adopted socket\n"), 0);
    stream_finish(c);
    c = NULL;

    cfd = connected_tcp(port);
    REQ(cfd >= 0);
    co.sock = cfd;
    rc = cio_create_connection(&client_proto, &p, NULL, 0, &co, &t);
    CHECK_RC(rc, 0);
    REQ(rc == 0);
    cfd = -1;
    CHECK_INT(p.made, 1);
    CHECK_RC(cio_transport_write(t, "tls ping\n", 9), 0);
    for (int i = 0; i < 500 && p.got < 9 && !p.lost; i++)
        cio_sleep(0.005);
    CHECK_INT(p.got, 9);
    CHECK(memcmp(p.buf, "tls ping\n", 9) == 0);
    CHECK_RC(cio_transport_close(t), 0);
    for (int i = 0; i < 200 && !p.lost; i++)
        cio_sleep(0.005);
    CHECK_INT(p.lost, 1);
    CHECK_RC(p.lost_err, 0);

    /* A certificate nobody trusts: the handshake fails, the fd stays ours. */
    cio_server_opts_t so2 = {.tls = self};
    REQ_OK(cio_start_server(h_echo, &st, "127.0.0.1", 0, &so2, &sv_self));
    cfd = connected_tcp(cio_server_port(sv_self));
    REQ(cfd >= 0);
    co.sock = cfd;
    CHECK_RC(cio_open_connection_ex(NULL, 0, &co, &c), CIO_ETLSVERIFY);
    CHECK(c == NULL);
    CHECK(fcntl(cfd, F_GETFD) >= 0);
    close(cfd);
    cfd = connected_tcp(cio_server_port(sv_self));
    REQ(cfd >= 0);
    co.sock = cfd;
    cio_transport_t *t2 = NULL;
    struct pst p2 = {0};
    CHECK_RC(cio_create_connection(&client_proto, &p2, NULL, 0, &co, &t2), CIO_ETLSVERIFY);
    CHECK(t2 == NULL);
    CHECK_INT(p2.made, 0);
    CHECK(fcntl(cfd, F_GETFD) >= 0);
out:
    stream_finish(c);
    cio_unref(t);
    server_finish(sv);
    if (sv_self) {
        cio_server_close(sv_self);
        cio_server_abort_clients(sv_self);
        server_finish(sv_self);
    }
    if (lfd >= 0)
        close(lfd);
    if (cfd >= 0)
        close(cfd);
    cio_unref(stls);
    cio_unref(ctls);
    cio_unref(self);
    return 0;
}
static void t_sock(void) { RUN(m_sock); }

/* A server's clients aborted while one of them is in its TLS handshake (a
 * plain TCP client that never sends a ClientHello): the handshake ends
 * with an error instead of going on with the freed TLS state, the handler
 * never runs, the client sees the end and the server closes. */
static int m_abort_in_handshake(void *arg, void **result)
{
    struct srv st = {0};
    cio_server_t *sv = NULL;
    cio_stream_t *c = NULL;
    cio_tls_t *stls = server_ctx();
    REQ(stls);
    cio_server_opts_t so = {.tls = stls};
    REQ_OK(cio_start_server(h_echo, &st, "127.0.0.1", 0, &so, &sv));
    REQ_OK(cio_open_connection("127.0.0.1", cio_server_port(sv), &c));
    for (int i = 0; i < 20; i++) /* the server accepts and waits in its handshake */
        cio_sleep(0.005);
    CHECK_RC(cio_server_abort_clients(sv), 0);
    char buf[8];
    cio_timeout_t to;
    REQ_OK(cio_timeout_enter(&to, 5.0));
    ssize_t got = cio_stream_read(c, buf, sizeof buf);
    CHECK(cio_timeout_exit(&to, got < 0 ? (int)got : 0) != -ETIMEDOUT); /* EOF or a reset */
    CHECK(got <= 0);
    CHECK_INT(st.accepted, 0);
out:
    stream_finish(c);
    server_finish(sv);
    cio_unref(stls);
    return 0;
}
static void t_abort_in_handshake(void) { RUN(m_abort_in_handshake); }

/* A protocol server's TLS handshake task cancelled before its first step:
 * the connection it was given is still released (the peer's read ends) and
 * the server's wait_closed returns, as after a handshake that ran. */
static int m_handshake_task_never_runs(void *arg, void **result)
{
    (void)arg;
    (void)result;
    cio_server_t *sv = NULL;
    cio_stream_t *c = NULL;
    cio_loop_t *loop = NULL;
    cio_get_running_loop(&loop);
    cio_tls_t *stls = server_ctx();
    REQ(stls);
    cio_server_opts_t so = {.tls = stls};
    REQ(cio_create_server(&echo_proto, NULL, "127.0.0.1", 0, &so, &sv) == 0);
    REQ(cio_open_connection("127.0.0.1", cio_server_port(sv), &c) == 0); /* plain TCP: no handshake from us */
    /* The accept queues the handshake task's first step after this task's
     * next one: it is seen here before it starts. */
    cio_task_t *me = cio_current_task(), *all[8];
    int cancelled = 0;
    for (int i = 0; i < 2000 && !cancelled; i++) {
        int n = cio_all_tasks(loop, all, 8);
        for (int k = 0; k < n && k < 8; k++)
            if (all[k] != me && cio_task_cancel(all[k], NULL) == 1)
                cancelled++;
        if (!cancelled)
            cio_sleep(0);
    }
    CHECK_INT(cancelled, 1);
    char buf[8];
    cio_timeout_t to;
    REQ(cio_timeout_enter(&to, 5.0) == 0);
    ssize_t got = cio_stream_read(c, buf, sizeof buf);
    int rc = cio_timeout_exit(&to, got < 0 ? (int)got : 0);
    CHECK(rc != -ETIMEDOUT); /* EOF or a reset: the server let it go */
    CHECK(got <= 0);
out:
    if (c) {
        cio_stream_close(c);
        cio_unref(c);
    }
    if (sv) {
        cio_server_close(sv);
        cio_timeout_t to2;
        if (cio_timeout_enter(&to2, 5.0) == 0)
            CHECK_RC(cio_timeout_exit(&to2, cio_server_wait_closed(sv)), 0);
        cio_unref(sv);
    }
    cio_unref(stls);
    return 0;
}
static void t_handshake_task_never_runs(void) { RUN(m_handshake_task_never_runs); }

/* ------------------------------------------- get_extra_info: the TLS keys */

/* The DER of the certificate in a PEM file (what the server sends): its
 * length, the bytes in *der (OPENSSL_free). */
static int file_der(const char *path, unsigned char **der)
{
    FILE *f = fopen(path, "r");
    X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    *der = NULL;
    int n = x ? i2d_X509(x, der) : -1;
    X509_free(x);
    return n;
}

/* What the server's end of a connection saw, through cio and through
 * OpenSSL's own SSL object. */
struct side {
    struct srv srv;
    int seen, cipher_rc, cert_rc, subject_rc;
    size_t cert_len, subject_len;
    char name[80], version[16];
    int bits;
    char ssl_name[80], ssl_version[16];
};

static void side_record(struct side *sd, int cipher_rc, const cio_tls_cipher_t *ci, SSL *ssl)
{
    sd->seen++;
    sd->cipher_rc = cipher_rc;
    snprintf(sd->name, sizeof sd->name, "%s", ci->name ? ci->name : "(null)");
    snprintf(sd->version, sizeof sd->version, "%s", ci->version ? ci->version : "(null)");
    sd->bits = ci->bits;
    if (ssl) {
        snprintf(sd->ssl_name, sizeof sd->ssl_name, "%s", SSL_CIPHER_get_name(SSL_get_current_cipher(ssl)));
        snprintf(sd->ssl_version, sizeof sd->ssl_version, "%s", SSL_get_version(ssl));
    }
}

static int h_info(cio_stream_t *s, void *arg)
{
    struct side *sd = arg;
    cio_tls_cipher_t ci;
    int rc = cio_stream_tls_cipher(s, &ci);
    side_record(sd, rc, &ci, cio_stream_tls_ssl_object(s));
    unsigned char der[16];
    char subject[16];
    sd->cert_len = sizeof der;
    sd->cert_rc = cio_stream_tls_peercert(s, der, &sd->cert_len);
    sd->subject_len = sizeof subject;
    sd->subject_rc = cio_stream_tls_peer_subject(s, subject, &sd->subject_len);
    return h_echo(s, &sd->srv);
}

/* The client's end agrees with the server's and with OpenSSL. */
static void check_cipher_matches(const cio_tls_cipher_t *ci, SSL *ssl, const struct side *sd)
{
    REQUIRE(ci->name && ci->version && ssl);
    CHECK(strlen(ci->name) > 0);
    CHECK(strncmp(ci->version, "TLSv1.", 6) == 0);
    CHECK(ci->bits > 0);
    const SSL_CIPHER *own = SSL_get_current_cipher(ssl);
    REQUIRE(own != NULL);
    CHECK_STR(ci->name, SSL_CIPHER_get_name(own));
    CHECK_STR(ci->version, SSL_get_version(ssl));
    CHECK_INT(ci->bits, SSL_CIPHER_get_bits(own, NULL));
    CHECK_INT(sd->seen, 1);
    CHECK_RC(sd->cipher_rc, 0);
    CHECK_STR(sd->name, ci->name);
    CHECK_STR(sd->version, ci->version);
    CHECK_INT(sd->bits, ci->bits);
    CHECK_STR(sd->ssl_name, ci->name); /* what OpenSSL says at the other end */
    CHECK_STR(sd->ssl_version, ci->version);
    /* The server asked for no certificate: none, asyncio's None. */
    CHECK_RC(sd->cert_rc, -ENODATA);
    CHECK_INT(sd->cert_len, 0);
    CHECK_RC(sd->subject_rc, -ENODATA);
    CHECK_INT(sd->subject_len, 0);
}

typedef int peer_fn(void *conn, void *buf, size_t *len);
static int stream_peercert(void *c, void *buf, size_t *len) { return cio_stream_tls_peercert(c, buf, len); }
static int stream_subject(void *c, void *buf, size_t *len) { return cio_stream_tls_peer_subject(c, buf, len); }
static int transport_peercert(void *c, void *buf, size_t *len) { return cio_transport_tls_peercert(c, buf, len); }
static int transport_subject(void *c, void *buf, size_t *len) { return cio_transport_tls_peer_subject(c, buf, len); }

/* The server's certificate as the client sees it: the file's DER, its
 * subject; buffers too small leave them untouched and tell the size. */
static void check_peer(void *conn, peer_fn *cert, peer_fn *subject)
{
    unsigned char *want = NULL, buf[4096];
    int n = file_der(cert_pem, &want);
    REQUIRE(n > 0 && (size_t)n < sizeof buf);
    size_t len = 0;
    CHECK_RC(cert(conn, NULL, &len), -ENOBUFS); /* how much? */
    CHECK_INT(len, n);
    memset(buf, 0xa5, sizeof buf);
    len = (size_t)n - 1;
    CHECK_RC(cert(conn, buf, &len), -ENOBUFS);
    CHECK_INT(len, n);
    size_t untouched = 0;
    while (untouched < sizeof buf && buf[untouched] == 0xa5)
        untouched++;
    CHECK_INT(untouched, sizeof buf);
    len = (size_t)n;
    CHECK_RC(cert(conn, buf, &len), 0);
    CHECK_INT(len, n);
    CHECK(memcmp(buf, want, (size_t)n) == 0);
    CHECK(buf[n] == 0xa5);
    OPENSSL_free(want);

    char text[64];
    len = sizeof text;
    CHECK_RC(subject(conn, text, &len), 0);
    CHECK_STR(text, "CN=localhost");
    CHECK_INT(len, strlen("CN=localhost"));
    len = 0;
    CHECK_RC(subject(conn, NULL, &len), -ENOBUFS);
    CHECK_INT(len, 12);
    memset(text, 'x', sizeof text);
    len = 12; /* no room for the NUL */
    CHECK_RC(subject(conn, text, &len), -ENOBUFS);
    CHECK_INT(len, 12);
    CHECK(text[0] == 'x' && text[12] == 'x');
    len = 13;
    CHECK_RC(subject(conn, text, &len), 0);
    CHECK_STR(text, "CN=localhost");
    /* NULL arguments. */
    CHECK_RC(cert(conn, buf, NULL), -EINVAL);
    len = 5;
    CHECK_RC(cert(conn, NULL, &len), -EINVAL);
    CHECK_RC(subject(conn, text, NULL), -EINVAL);
    CHECK_RC(subject(conn, NULL, &len), -EINVAL);
    len = sizeof buf;
    CHECK_RC(cert(NULL, buf, &len), -EINVAL);
    CHECK_RC(subject(NULL, text, &len), -EINVAL);
}

/* asyncio's get_extra_info("cipher"), ("peercert") and ("ssl_object") on
 * streams: a TLS client, the TLS server's end (no client certificate), a
 * plain stream; the information outlives an abort. */
static int m_extra_info_stream(void *arg, void **result)
{
    struct side sd = {0};
    struct srv pst = {0};
    cio_server_t *sv = NULL, *psv = NULL;
    cio_stream_t *c = NULL, *plain = NULL;
    cio_tls_t *stls = server_ctx(), *ctls = client_ctx(1);
    REQ(stls && ctls);
    cio_server_opts_t so = {.tls = stls};
    REQ_OK(cio_start_server(h_info, &sd, "127.0.0.1", 0, &so, &sv));
    cio_conn_opts_t co = {.tls = ctls, .server_hostname = "localhost"};
    REQ_OK(cio_open_connection_ex("127.0.0.1", cio_server_port(sv), &co, &c));
    REQ_OK(echo_once(c, "info\n")); /* the server's end has looked by now */

    cio_tls_cipher_t ci;
    CHECK_RC(cio_stream_tls_cipher(c, &ci), 0);
    SSL *ssl = cio_stream_tls_ssl_object(c);
    CHECK(ssl != NULL);
    check_cipher_matches(&ci, ssl, &sd);
    check_peer(c, stream_peercert, stream_subject);
    CHECK_RC(cio_stream_tls_cipher(NULL, &ci), -EINVAL);
    CHECK_RC(cio_stream_tls_cipher(c, NULL), -EINVAL);
    CHECK(cio_stream_tls_ssl_object(NULL) == NULL);
    /* A stream is not a transport. */
    CHECK_RC(cio_transport_tls_cipher((cio_transport_t *)c, &ci), -EINVAL);
    CHECK(cio_transport_tls_ssl_object((cio_transport_t *)c) == NULL);

    /* Aborted: the information stays until the stream is freed. */
    CHECK_RC(cio_stream_abort(c), 0);
    memset(&ci, 0, sizeof ci);
    CHECK_RC(cio_stream_tls_cipher(c, &ci), 0);
    CHECK(ci.bits > 0 && ci.name && *ci.name);
    CHECK(cio_stream_tls_ssl_object(c) == ssl);
    size_t len = 0;
    CHECK_RC(cio_stream_tls_peercert(c, NULL, &len), -ENOBUFS);
    CHECK(len > 0);

    /* A plain stream: -ENOTSUP (asyncio's None) and nothing filled. */
    REQ_OK(cio_start_server(h_echo, &pst, "127.0.0.1", 0, NULL, &psv));
    REQ_OK(cio_open_connection("127.0.0.1", cio_server_port(psv), &plain));
    REQ_OK(echo_once(plain, "plain\n"));
    ci.name = "stale";
    ci.version = "stale";
    ci.bits = 7;
    CHECK_RC(cio_stream_tls_cipher(plain, &ci), -ENOTSUP);
    CHECK(ci.name == NULL && ci.version == NULL && ci.bits == 0);
    unsigned char der[64];
    len = sizeof der;
    CHECK_RC(cio_stream_tls_peercert(plain, der, &len), -ENOTSUP);
    CHECK_INT(len, 0);
    char text[64];
    len = sizeof text;
    CHECK_RC(cio_stream_tls_peer_subject(plain, text, &len), -ENOTSUP);
    CHECK_INT(len, 0);
    CHECK(cio_stream_tls_ssl_object(plain) == NULL);
    CHECK_RC(cio_stream_tls_cipher(plain, NULL), -EINVAL); /* a bad argument first */
out:
    stream_finish(c);
    stream_finish(plain);
    server_finish(sv);
    server_finish(psv);
    cio_unref(stls);
    cio_unref(ctls);
    return 0;
}
static void t_extra_info_stream(void) { RUN(m_extra_info_stream); }

/* A TLS server's transport records what it sees when it is made. */
static void p_info_made(cio_transport_t *t, void *ud)
{
    struct side *sd = ud;
    cio_tls_cipher_t ci;
    int rc = cio_transport_tls_cipher(t, &ci);
    side_record(sd, rc, &ci, cio_transport_tls_ssl_object(t));
    unsigned char der[16];
    char subject[16];
    sd->cert_len = sizeof der;
    sd->cert_rc = cio_transport_tls_peercert(t, der, &sd->cert_len);
    sd->subject_len = sizeof subject;
    sd->subject_rc = cio_transport_tls_peer_subject(t, subject, &sd->subject_len);
}
static const cio_protocol_t info_proto = {.connection_made = p_info_made, .data_received = p_echo};

static int wait_echo(cio_transport_t *t, struct pst *p, const char *msg)
{
    size_t n = strlen(msg), before = p->got;
    int rc = cio_transport_write(t, msg, n);
    for (int i = 0; rc == 0 && i < 1000 && p->got < before + n && !p->lost; i++)
        rc = cio_sleep(0.005);
    return rc < 0 ? rc : p->got == before + n ? 0 : -EIO;
}

/* The same for transports: a TLS client, a TLS server's transport, a plain
 * one, a datagram endpoint; the information outlives connection_lost. */
static int m_extra_info_transport(void *arg, void **result)
{
    struct side sd = {0};
    struct pst p = {0}, pp = {0}, dp = {0};
    cio_server_t *sv = NULL, *psv = NULL;
    cio_transport_t *t = NULL, *plain = NULL, *dg = NULL;
    cio_tls_t *stls = server_ctx(), *ctls = client_ctx(1);
    REQ(stls && ctls);
    const char *sp[] = {"h2", "http/1.1"}, *cp[] = {"http/1.1"};
    REQ_OK(cio_tls_set_alpn(stls, sp, 2));
    REQ_OK(cio_tls_set_alpn(ctls, cp, 1));
    cio_server_opts_t so = {.tls = stls};
    REQ_OK(cio_create_server(&info_proto, &sd, "127.0.0.1", 0, &so, &sv));
    cio_conn_opts_t co = {.tls = ctls, .server_hostname = "localhost"};
    REQ_OK(cio_create_connection(&client_proto, &p, "127.0.0.1", cio_server_port(sv), &co, &t));
    REQ_OK(wait_echo(t, &p, "ping")); /* the server's connection_made has run */

    cio_tls_cipher_t ci;
    CHECK_RC(cio_transport_tls_cipher(t, &ci), 0);
    SSL *ssl = cio_transport_tls_ssl_object(t);
    CHECK(ssl != NULL);
    check_cipher_matches(&ci, ssl, &sd);
    check_peer(t, transport_peercert, transport_subject);
    const char *alpn = cio_transport_tls_alpn(t);
    CHECK_STR(alpn ? alpn : "(none)", "http/1.1");
    CHECK(cio_transport_tls_alpn(NULL) == NULL);
    CHECK_RC(cio_transport_tls_cipher(NULL, &ci), -EINVAL);
    CHECK_RC(cio_transport_tls_cipher(t, NULL), -EINVAL);
    CHECK(cio_transport_tls_ssl_object(NULL) == NULL);

    /* Closed, connection_lost run: still there while we hold it. */
    CHECK_RC(cio_transport_close(t), 0);
    for (int i = 0; i < 1000 && !p.lost; i++)
        cio_sleep(0.005);
    CHECK_INT(p.lost, 1);
    memset(&ci, 0, sizeof ci);
    CHECK_RC(cio_transport_tls_cipher(t, &ci), 0);
    CHECK(ci.bits > 0 && ci.name && *ci.name);
    CHECK(cio_transport_tls_ssl_object(t) == ssl);

    /* Plain TCP and a datagram endpoint: -ENOTSUP. */
    REQ_OK(cio_create_server(&echo_proto, NULL, "127.0.0.1", 0, NULL, &psv));
    REQ_OK(cio_create_connection(&client_proto, &pp, "127.0.0.1", cio_server_port(psv), NULL, &plain));
    ci.name = "stale";
    ci.bits = 7;
    CHECK_RC(cio_transport_tls_cipher(plain, &ci), -ENOTSUP);
    CHECK(ci.name == NULL && ci.bits == 0);
    unsigned char der[64];
    size_t len = sizeof der;
    CHECK_RC(cio_transport_tls_peercert(plain, der, &len), -ENOTSUP);
    CHECK_INT(len, 0);
    char text[64];
    len = sizeof text;
    CHECK_RC(cio_transport_tls_peer_subject(plain, text, &len), -ENOTSUP);
    CHECK_INT(len, 0);
    CHECK(cio_transport_tls_ssl_object(plain) == NULL);
    CHECK(cio_transport_tls_alpn(plain) == NULL);
    cio_dgram_opts_t dop = {.local_host = "127.0.0.1"};
    REQ_OK(cio_create_datagram_endpoint(&client_proto, &dp, &dop, &dg));
    CHECK_RC(cio_transport_tls_cipher(dg, &ci), -ENOTSUP);
    CHECK(cio_transport_tls_ssl_object(dg) == NULL);
out:
    if (t) {
        cio_transport_abort(t);
        cio_unref(t);
    }
    if (plain) {
        cio_transport_abort(plain);
        cio_unref(plain);
    }
    if (dg) {
        cio_transport_close(dg);
        cio_unref(dg);
    }
    cio_sleep(0); /* connection_lost of the aborted ones */
    if (sv) {
        cio_server_close(sv);
        cio_server_close_clients(sv);
        cio_timeout_t to;
        if (cio_timeout_enter(&to, 5.0) == 0)
            CHECK_RC(cio_timeout_exit(&to, cio_server_wait_closed(sv)), 0);
        cio_unref(sv);
    }
    if (psv) {
        cio_server_close(psv);
        cio_server_close_clients(psv);
        cio_timeout_t to;
        if (cio_timeout_enter(&to, 5.0) == 0)
            CHECK_RC(cio_timeout_exit(&to, cio_server_wait_closed(psv)), 0);
        cio_unref(psv);
    }
    cio_unref(stls);
    cio_unref(ctls);
    return 0;
}
static void t_extra_info_transport(void) { RUN(m_extra_info_transport); }

/* Bad input: missing or mismatched files, wrong kinds of contexts. */
static int m_bad_input(void *arg, void **result)
{
    cio_tls_t *t = NULL, *cl = client_ctx(1);
    cio_server_t *sv = NULL;
    REQ(cl != NULL); /* without it the server below would start, in plain TCP */
    CHECK_INT(cio_tls_available(), 1);
    CHECK_RC(cio_tls_server_new("/nonexistent/cert.pem", key_pem, &t), CIO_ETLS);
    CHECK(t == NULL);
    CHECK(strlen(cio_tls_last_error()) > 0);
    CHECK_RC(cio_tls_server_new(cert_pem, "/nonexistent/key.pem", &t), CIO_ETLS);
    CHECK_RC(cio_tls_server_new(cert_pem, other_key_pem, &t), CIO_ETLS); /* key does not match */
    CHECK_RC(cio_tls_server_new(key_pem, cert_pem, &t), CIO_ETLS);       /* swapped */
    CHECK_RC(cio_tls_server_new(NULL, key_pem, &t), -EINVAL);
    CHECK_RC(cio_tls_server_new(cert_pem, key_pem, NULL), -EINVAL);
    CHECK_RC(cio_tls_client_new(NULL), -EINVAL);
    CHECK_RC(cio_tls_load_verify_locations(cl, "/nonexistent/ca.pem", NULL), CIO_ETLS);
    CHECK_RC(cio_tls_load_verify_locations(cl, NULL, NULL), -EINVAL);
    CHECK_RC(cio_tls_load_verify_locations(NULL, ca_pem, NULL), -EINVAL);
    const char *bad[] = {""};
    CHECK_RC(cio_tls_set_alpn(cl, bad, 1), -EINVAL);
    CHECK_RC(cio_tls_set_alpn(cl, NULL, 1), -EINVAL);
    CHECK_RC(cio_tls_set_verify(NULL, 1), -EINVAL);
    /* A client context where a server's is needed. */
    cio_server_opts_t so = {.tls = cl};
    CHECK_RC(cio_start_server(h_echo, NULL, "127.0.0.1", 0, &so, &sv), -EINVAL);
    CHECK(sv == NULL);
out:
    cio_unref(cl);
    return 0;
}
static void t_bad_input(void) { RUN(m_bad_input); }

/* A graceful close waits for the peer's close_notify (asyncio's SSL
 * shutdown): the server reads the client's close as a clean EOF, lingers,
 * then closes; the client's wait_closed returns only after that. */
struct lazy {
    double linger;
    int eof_clean;
};

static int h_lazy_close(cio_stream_t *s, void *arg)
{
    struct lazy *lz = arg;
    char buf[64];
    ssize_t n;
    while ((n = cio_stream_read(s, buf, sizeof buf)) > 0)
        ;
    lz->eof_clean = n == 0;
    log_event("server-eof");
    cio_sleep(lz->linger);
    log_event("server-close");
    return 0;
}

static int m_close_waits_for_peer(void *arg, void **result)
{
    struct lazy lz = {.linger = 0.3};
    cio_server_t *sv = NULL;
    cio_stream_t *c = NULL;
    cio_tls_t *stls = server_ctx(), *ctls = client_ctx(1);
    REQ(stls && ctls);
    cio_server_opts_t so = {.tls = stls};
    REQ(cio_start_server(h_lazy_close, &lz, "127.0.0.1", 0, &so, &sv) == 0);
    cio_conn_opts_t co = {.tls = ctls, .server_hostname = "localhost"};
    REQ(cio_open_connection_ex("127.0.0.1", cio_server_port(sv), &co, &c) == 0);
    CHECK_RC(cio_stream_write(c, "bye", 3), 0);
    CHECK_RC(cio_stream_drain(c), 0);
    double t0 = now_s();
    CHECK_RC(cio_stream_close(c), 0);
    CHECK_INT(cio_stream_is_closing(c), 1);
    CHECK_RC(cio_stream_wait_closed(c), 0);
    double dt = now_s() - t0;
    log_event("client-closed");
    CHECK(dt >= 0.25 && dt < 10.0);
    CHECK_INT(lz.eof_clean, 1);
out:
    if (c)
        cio_unref(c);
    server_finish(sv);
    CHECK_ORDER("server-eof server-close client-closed");
    cio_unref(stls);
    cio_unref(ctls);
    return 0;
}
static void t_close_waits_for_peer(void) { RUN(m_close_waits_for_peer); }

/* A peer that never answers: the close gives up after tls_shutdown_timeout
 * with -ETIMEDOUT, for a stream (wait_closed) and a transport
 * (connection_lost). */
static int m_close_timeout(void *arg, void **result)
{
    struct lazy lz = {.linger = 1.5};
    struct pst p = {0};
    cio_server_t *sv = NULL;
    cio_stream_t *c = NULL;
    cio_transport_t *t = NULL;
    cio_tls_t *stls = server_ctx(), *ctls = client_ctx(1);
    REQ(stls && ctls);
    cio_server_opts_t so = {.tls = stls};
    REQ(cio_start_server(h_lazy_close, &lz, "127.0.0.1", 0, &so, &sv) == 0);
    cio_conn_opts_t co = {.tls = ctls, .server_hostname = "localhost", .tls_shutdown_timeout = 0.2};
    REQ(cio_open_connection_ex("127.0.0.1", cio_server_port(sv), &co, &c) == 0);
    double t0 = now_s();
    CHECK_RC(cio_stream_close(c), 0);
    CHECK_RC(cio_stream_wait_closed(c), -ETIMEDOUT);
    double dt = now_s() - t0;
    CHECK(dt >= 0.19 && dt < 1.4); /* before the server's own close */
    log_event("client-timed-out");

    REQ(cio_create_connection(&client_proto, &p, "127.0.0.1", cio_server_port(sv), &co, &t) == 0);
    t0 = now_s();
    CHECK_RC(cio_transport_close(t), 0);
    for (int i = 0; i < 2000 && !p.lost; i++)
        cio_sleep(0.005);
    dt = now_s() - t0;
    CHECK_INT(p.lost, 1);
    CHECK_RC(p.lost_err, -ETIMEDOUT);
    CHECK(dt >= 0.19);
out:
    if (c)
        cio_unref(c);
    if (t)
        cio_unref(t);
    server_finish(sv);
    CHECK_ORDER("server-eof client-timed-out server-eof server-close server-close");
    cio_unref(stls);
    cio_unref(ctls);
    return 0;
}
static void t_close_timeout(void) { RUN(m_close_timeout); }

/* A negative or NaN shutdown timeout is refused. */
static int m_close_timeout_bad(void *arg, void **result)
{
    cio_server_t *sv = NULL;
    cio_stream_t *c = NULL;
    cio_tls_t *stls = server_ctx(), *ctls = client_ctx(1);
    REQ(stls && ctls);
    cio_server_opts_t so = {.tls = stls, .tls_shutdown_timeout = -1};
    CHECK_RC(cio_start_server(h_lazy_close, NULL, "127.0.0.1", 0, &so, &sv), -EINVAL);
    so.tls_shutdown_timeout = NAN;
    CHECK_RC(cio_start_server(h_lazy_close, NULL, "127.0.0.1", 0, &so, &sv), -EINVAL);
    CHECK(sv == NULL);
    so.tls_shutdown_timeout = 0;
    struct lazy lz = {.linger = 0};
    REQ(cio_start_server(h_lazy_close, &lz, "127.0.0.1", 0, &so, &sv) == 0);
    cio_conn_opts_t co = {.tls = ctls, .server_hostname = "localhost", .tls_shutdown_timeout = -0.5};
    CHECK_RC(cio_open_connection_ex("127.0.0.1", cio_server_port(sv), &co, &c), -EINVAL);
    CHECK(c == NULL);
out:
    server_finish(sv);
    cio_unref(stls);
    cio_unref(ctls);
    return 0;
}
static void t_close_timeout_bad(void) { RUN(m_close_timeout_bad); }

/* ------------------------------------------------- fairness under a flood */

/* A TLS client on a loop of its own (another thread) pipelines 1 KiB lines
 * and reads the echoes as fast as it can; meanwhile a probe on the
 * server's loop makes small round trips and sleeps 10 ms between them: each
 * round trip and each sleep stay within a generous bound, and every byte of
 * the flood comes back, in order. */
static char tls_flood_byte(uint64_t k) { return k % 1024 == 1023 ? '\n' : (char)('A' + (k / 1024 + k) % 26); }

struct tls_flood {
    int port;
    double secs;
    atomic_long echoed;
    atomic_int done;
    uint64_t sent;
    atomic_int writing;
    int failed, mismatch;
    cio_stream_t *c;
};

static int tls_flood_writer(void *arg, void **result)
{
    (void)result;
    struct tls_flood *f = arg;
    char line[1024];
    double end = now_s() + f->secs;
    while (now_s() < end) {
        for (int i = 0; i < 1024; i++)
            line[i] = tls_flood_byte(f->sent + (uint64_t)i);
        if (cio_stream_write(f->c, line, sizeof line) < 0 || cio_stream_drain(f->c) < 0) {
            f->failed = 1;
            break;
        }
        f->sent += sizeof line;
        if (f->sent - (uint64_t)atomic_load(&f->echoed) > 512 * 1024 && cio_sleep(0.0005) < 0)
            break;
    }
    atomic_store(&f->writing, 0);
    return 0;
}

static int tls_flood_main(void *arg, void **result)
{
    (void)result;
    struct tls_flood *f = arg;
    cio_tls_t *ctls = client_ctx(1);
    if (!ctls) {
        f->failed = 2;
        return 0;
    }
    cio_conn_opts_t co = {.tls = ctls, .server_hostname = "localhost"};
    if (cio_open_connection_ex("127.0.0.1", f->port, &co, &f->c) < 0) {
        f->failed = 3;
        cio_unref(ctls);
        return 0;
    }
    atomic_store(&f->writing, 1);
    cio_task_t *w = cio_create_task(tls_flood_writer, f);
    uint64_t got = 0;
    const char *line;
    ssize_t n;
    while (w && (atomic_load(&f->writing) || got < f->sent) && (n = cio_stream_readline_ref(f->c, &line)) > 0) {
        for (ssize_t i = 0; i < n; i++)
            if (line[i] != tls_flood_byte(got + (uint64_t)i))
                f->mismatch = 1;
        got += (uint64_t)n;
        atomic_store(&f->echoed, (long)got);
    }
    if (!w || got != f->sent)
        f->failed = f->failed ? f->failed : 4;
    if (w) {
        cio_await(w, NULL);
        cio_unref(w);
    }
    stream_finish(f->c);
    cio_unref(ctls);
    return 0;
}

static void *tls_flood_thread(void *arg)
{
    struct tls_flood *f = arg;
    int rc = cio_run(tls_flood_main, f, NULL);
    if (rc < 0 && !f->failed)
        f->failed = 5;
    atomic_store(&f->done, 1);
    return NULL;
}

static int h_line_echo(cio_stream_t *s, void *arg)
{
    (void)arg;
    const char *line;
    ssize_t n;
    while ((n = cio_stream_readline_ref(s, &line)) > 0)
        if (cio_stream_write(s, line, (size_t)n) < 0 || cio_stream_drain(s) < 0)
            break;
    return 0;
}

static int m_fair_under_flood(void *arg, void **result)
{
    cio_server_t *sv = NULL;
    cio_stream_t *probe = NULL;
    cio_tls_t *stls = server_ctx(), *ctls = client_ctx(1);
    struct tls_flood f = {.secs = 1.5};
    pthread_t th;
    int started = 0;
    REQ(stls && ctls);
    cio_server_opts_t so = {.tls = stls};
    REQ(cio_start_server(h_line_echo, NULL, "127.0.0.1", 0, &so, &sv) == 0);
    f.port = cio_server_port(sv);
    REQ(pthread_create(&th, NULL, tls_flood_thread, &f) == 0);
    started = 1;
    while (atomic_load(&f.echoed) < 64 * 1024 && !atomic_load(&f.done))
        if (cio_sleep(0.001) < 0)
            break;
    cio_conn_opts_t co = {.tls = ctls, .server_hostname = "localhost"};
    int rc = cio_open_connection_ex("127.0.0.1", f.port, &co, &probe);
    CHECK_RC(rc, 0);
    double max_rtt = 0, max_late = 0, bound = 1.0;
    int trips = 0;
    double stop = now_s() + 0.8;
    while (rc == 0 && now_s() < stop) {
        double t0 = now_s();
        if ((rc = cio_sleep(0.01)) < 0)
            break;
        double late = now_s() - t0 - 0.01;
        max_late = late > max_late ? late : max_late;
        t0 = now_s();
        if ((rc = echo_once(probe, "probe: a small round trip\n")) < 0)
            break;
        double rtt = now_s() - t0;
        max_rtt = rtt > max_rtt ? rtt : max_rtt;
        trips++;
    }
    CHECK_RC(rc, 0);
    CHECK(trips >= 10);
    if (max_rtt >= bound || max_late >= bound)
        FAILF("TLS flood: probe round trip up to %.1f ms, timer late by %.1f ms", max_rtt * 1e3, max_late * 1e3);
    fprintf(stderr, "  TLS: %d probes, max rtt %.2f ms, max lateness %.2f ms\n", trips, max_rtt * 1e3,
            max_late * 1e3);
out:
    while (started && !atomic_load(&f.done))
        cio_sleep(0.01);
    if (started) {
        pthread_join(th, NULL);
        CHECK_INT(f.failed, 0);
        CHECK_INT(f.mismatch, 0);
        CHECK(atomic_load(&f.echoed) > 256 * 1024);
    }
    stream_finish(probe);
    if (sv) {
        cio_server_close(sv);
        cio_server_close_clients(sv);
        server_finish(sv);
    }
    cio_unref(stls);
    cio_unref(ctls);
    return 0;
}
static void t_fair_under_flood(void) { RUN(m_fair_under_flood); }

static const struct test_case cases[] = {
    TEST(t_echo), TEST(t_verify), TEST(t_handshake_timeout), TEST(t_start_tls),
    TEST(t_bulk), TEST(t_transport), TEST(t_handshake_task_never_runs),
    TEST(t_bad_input), TEST(t_close_waits_for_peer),
    TEST(t_close_timeout), TEST(t_close_timeout_bad), TEST(t_extra_info_stream),
    TEST(t_extra_info_transport),
    TEST(t_close_timeout), TEST(t_close_timeout_bad), TEST(t_sock),
    TEST(t_abort_in_handshake), TEST(t_fair_under_flood),
};

int main(int argc, char **argv)
{
    if (make_pki() < 0) {
        fprintf(stderr, "cannot make the test certificates\n");
        return 1;
    }
    int rc = run_tests(argc, argv, cases, NCASES(cases));
    remove_pki();
    return rc;
}
