/* TLS through OpenSSL (built when CIO_HAVE_OPENSSL): contexts (asyncio's
 * SSLContext) and the per-connection SSL object that src/net/conn.c reads
 * and writes through instead of the socket.
 *
 * The SSL object works on the connection's non-blocking fd directly;
 * WANT_READ / WANT_WRITE become waits for the socket's next edge.  A client
 * context verifies the peer's chain against the system's CA store and its
 * name against server_hostname unless verification is turned off.  A
 * graceful close sends close_notify and then waits for the peer's (src/net/
 * conn.c, cio__tls_close_step), at most tls_shutdown_timeout (30 s), as
 * asyncio's SSL transport does; abort sends nothing. */
#include "net/net.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char last_error[256];

const char *cio_tls_last_error(void)
{
    return last_error;
}

#if defined(CIO_HAVE_OPENSSL)

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

struct cio_tls_s {
    struct cio__obj obj;
    SSL_CTX *ctx;
    int server;
    int verify;
    unsigned char *alpn; /* wire format */
    unsigned alpnlen;
};

static int tls_error(const char *what)
{
    unsigned long e = ERR_peek_last_error();
    char buf[200] = "";
    if (e)
        ERR_error_string_n(e, buf, sizeof buf);
    snprintf(last_error, sizeof last_error, "%s%s%s", what, *buf ? ": " : "", buf);
    ERR_clear_error();
    return CIO_ETLS;
}

int cio_tls_available(void)
{
    return 1;
}

static int tls_check(cio_tls_t *t)
{
    return t && t->obj.magic == CIO__MAGIC_TLS && t->obj.refs ? 0 : -EINVAL;
}

static int tls_new(int server, cio_tls_t **out)
{
    if (!out)
        return -EINVAL;
    *out = NULL;
    cio_tls_t *t = cio__calloc(sizeof *t);
    if (!t)
        return -ENOMEM;
    t->ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
    if (!t->ctx) {
        cio__free(t);
        return tls_error("SSL_CTX_new");
    }
    t->obj.magic = CIO__MAGIC_TLS;
    t->obj.refs = 1;
    t->server = server;
    SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
    SSL_CTX_set_mode(t->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                                 SSL_MODE_RELEASE_BUFFERS);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
    SSL_CTX_set_options(t->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
    if (!server) {
        t->verify = 1;
        SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
        if (SSL_CTX_set_default_verify_paths(t->ctx) != 1)
            ERR_clear_error(); /* no system store: every verification fails, loudly */
    }
    *out = t;
    return 0;
}

int cio_tls_client_new(cio_tls_t **out)
{
    return tls_new(0, out);
}

int cio_tls_server_new(const char *cert_file, const char *key_file, cio_tls_t **out)
{
    if (!cert_file || !key_file || !out)
        return -EINVAL;
    int rc = tls_new(1, out);
    if (rc < 0)
        return rc;
    cio_tls_t *t = *out;
    if (SSL_CTX_use_certificate_chain_file(t->ctx, cert_file) != 1)
        rc = tls_error("cannot load the certificate");
    else if (SSL_CTX_use_PrivateKey_file(t->ctx, key_file, SSL_FILETYPE_PEM) != 1)
        rc = tls_error("cannot load the private key");
    else if (SSL_CTX_check_private_key(t->ctx) != 1)
        rc = tls_error("the private key does not match the certificate");
    if (rc < 0) {
        cio__tls_unref(t);
        *out = NULL;
    }
    return rc;
}

int cio_tls_load_verify_locations(cio_tls_t *tls, const char *cafile, const char *capath)
{
    if (tls_check(tls) || (!cafile && !capath))
        return -EINVAL;
    if (SSL_CTX_load_verify_locations(tls->ctx, cafile, capath) != 1)
        return tls_error("cannot load the CA locations");
    return 0;
}

int cio_tls_set_verify(cio_tls_t *tls, int verify)
{
    if (tls_check(tls))
        return -EINVAL;
    tls->verify = !!verify;
    int mode = SSL_VERIFY_NONE;
    if (verify)
        mode = tls->server ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT : SSL_VERIFY_PEER;
    SSL_CTX_set_verify(tls->ctx, mode, NULL);
    return 0;
}

static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
                       unsigned inlen, void *arg)
{
    (void)ssl;
    cio_tls_t *t = arg;
    unsigned char *o;
    if (SSL_select_next_proto(&o, outlen, t->alpn, t->alpnlen, in, inlen) != OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_NOACK;
    *out = o;
    return SSL_TLSEXT_ERR_OK;
}

int cio_tls_set_alpn(cio_tls_t *tls, const char *const *protocols, size_t n)
{
    if (tls_check(tls) || !protocols || !n)
        return -EINVAL;
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        size_t l = protocols[i] ? strlen(protocols[i]) : 0;
        if (l == 0 || l > 255)
            return -EINVAL;
        len += l + 1;
    }
    if (len > 65535)
        return -EINVAL;
    unsigned char *w = cio__malloc(len), *p = w;
    if (!w)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(protocols[i]);
        *p++ = (unsigned char)l;
        memcpy(p, protocols[i], l);
        p += l;
    }
    cio__free(tls->alpn);
    tls->alpn = w;
    tls->alpnlen = (unsigned)len;
    if (tls->server)
        SSL_CTX_set_alpn_select_cb(tls->ctx, alpn_select, tls);
    else if (SSL_CTX_set_alpn_protos(tls->ctx, w, (unsigned)len) != 0)
        return tls_error("SSL_CTX_set_alpn_protos");
    return 0;
}

int cio__tls_is_server(cio_tls_t *ctx)
{
    return tls_check(ctx) == 0 && ctx->server;
}

/* Atomic: one context may serve the servers of several loops (a group's). */
cio_tls_t *cio__tls_ref(cio_tls_t *ctx)
{
    __atomic_add_fetch(&ctx->obj.refs, 1, __ATOMIC_RELAXED);
    return ctx;
}

int cio__tls_unref(cio_tls_t *ctx)
{
    if (tls_check(ctx))
        return -EINVAL;
    if (__atomic_sub_fetch(&ctx->obj.refs, 1, __ATOMIC_ACQ_REL) > 0)
        return 0;
    SSL_CTX_free(ctx->ctx);
    cio__free(ctx->alpn);
    ctx->obj.magic = CIO__MAGIC_DEAD;
    cio__free(ctx);
    return 0;
}

static int is_ip(const char *h)
{
    unsigned char b[16];
    return inet_pton(AF_INET, h, b) == 1 || inet_pton(AF_INET6, h, b) == 1;
}

/* The handshake failed: why. */
static int handshake_error(SSL *ssl, int r)
{
    int e = SSL_get_error(ssl, r);
    long vr = SSL_get_verify_result(ssl);
    if (vr != X509_V_OK) {
        snprintf(last_error, sizeof last_error, "certificate verify failed: %s",
                 X509_verify_cert_error_string(vr));
        ERR_clear_error();
        return CIO_ETLSVERIFY;
    }
    if (e == SSL_ERROR_SYSCALL && !ERR_peek_error()) {
        int err = errno;
        snprintf(last_error, sizeof last_error, "handshake: connection closed (%s)", err ? strerror(err) : "EOF");
        return err ? -err : -ECONNRESET;
    }
    return tls_error("handshake failed");
}

int cio__tls_start(cio_transport_t *c, cio_tls_t *ctx, const char *hostname, double timeout,
                   double shutdown_timeout)
{
    if (tls_check(ctx))
        return -EINVAL;
    if (!cio__tls.task)
        return CIO_ENOTASK;
    if (timeout < 0 || timeout != timeout || shutdown_timeout < 0 || shutdown_timeout != shutdown_timeout)
        return -EINVAL;
    c->tls_shutdown_timeout = shutdown_timeout;
    if (timeout == 0)
        timeout = 60.0;
    cio__ignore_sigpipe(); /* OpenSSL writes with write(2) */
    SSL *ssl = SSL_new(ctx->ctx);
    if (!ssl)
        return tls_error("SSL_new");
    if (SSL_set_fd(ssl, c->fd) != 1) {
        SSL_free(ssl);
        return tls_error("SSL_set_fd");
    }
    if (ctx->server) {
        SSL_set_accept_state(ssl);
    } else {
        SSL_set_connect_state(ssl);
        if (hostname && *hostname) {
            if (!is_ip(hostname))
                SSL_set_tlsext_host_name(ssl, hostname);
            if (ctx->verify) {
                X509_VERIFY_PARAM *vp = SSL_get0_param(ssl);
                X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
                int ok = is_ip(hostname) ? X509_VERIFY_PARAM_set1_ip_asc(vp, hostname)
                                         : X509_VERIFY_PARAM_set1_host(vp, hostname, 0);
                if (ok != 1) {
                    SSL_free(ssl);
                    return tls_error("cannot set the host name to verify");
                }
            }
        }
    }
    c->ssl = ssl;
    c->tlsctx = cio__tls_ref(ctx);
    cio_timeout_t to;
    int rc = cio_timeout_enter(&to, timeout);
    if (rc < 0)
        return rc;
    for (;;) {
        ERR_clear_error();
        errno = 0;
        int r = SSL_do_handshake(ssl);
        if (r == 1) {
            rc = 0;
            break;
        }
        int e = SSL_get_error(ssl, r);
        if (e == SSL_ERROR_WANT_READ)
            rc = cio__conn_wait(c, 0);
        else if (e == SSL_ERROR_WANT_WRITE)
            rc = cio__conn_wait(c, 1);
        else
            rc = handshake_error(ssl, r);
        if (rc == 0 && (c->state == CIO__CLOSED || c->ssl != ssl))
            rc = c->err ? c->err : CIO_ECLOSED; /* closed or aborted (ssl freed) while it waited */
        if (rc < 0)
            break;
    }
    rc = cio_timeout_exit(&to, rc);
    if (rc == -ETIMEDOUT)
        snprintf(last_error, sizeof last_error, "handshake timed out");
    if (rc < 0)
        return rc;
    c->readable = 1; /* records may already sit in the SSL object */
    c->tls_up = 1;
    const unsigned char *p;
    unsigned len;
    SSL_get0_alpn_selected(ssl, &p, &len);
    if (len && (c->alpn = cio__malloc(len + 1))) {
        memcpy(c->alpn, p, len);
        c->alpn[len] = 0;
    }
    return 0;
}

static ssize_t io_result(cio_transport_t *c, int r)
{
    int e = SSL_get_error(c->ssl, r);
    switch (e) {
    case SSL_ERROR_WANT_READ:
        return CIO__WANT_READ;
    case SSL_ERROR_WANT_WRITE:
        return CIO__WANT_WRITE;
    case SSL_ERROR_ZERO_RETURN:
        return 0;
    case SSL_ERROR_SYSCALL:
        if (!ERR_peek_error())
            return errno ? -errno : 0; /* EOF without close_notify: EOF */
        /* fall through */
    default:
        return tls_error("TLS I/O");
    }
}

ssize_t cio__tls_read(cio_transport_t *c, void *buf, size_t n)
{
    if (!n)
        return 0;
    ERR_clear_error();
    errno = 0;
    int r = SSL_read(c->ssl, buf, n > INT32_MAX ? INT32_MAX : (int)n);
    return r > 0 ? r : io_result(c, r);
}

ssize_t cio__tls_write(cio_transport_t *c, const void *buf, size_t n)
{
    if (!n)
        return 0;
    ERR_clear_error();
    errno = 0;
    int r = SSL_write(c->ssl, buf, n > INT32_MAX ? INT32_MAX : (int)n);
    if (r > 0)
        return r;
    ssize_t rc = io_result(c, r);
    return rc == 0 ? -EPIPE : rc;
}

void cio__tls_shutdown(cio_transport_t *c)
{
    if (c->ssl && SSL_is_init_finished(c->ssl)) {
        ERR_clear_error();
        SSL_shutdown(c->ssl); /* close_notify, best effort: the socket is closed next */
        ERR_clear_error();
    }
}

int cio__tls_close_step(cio_transport_t *c)
{
    if (!c->ssl || !SSL_is_init_finished(c->ssl))
        return 1;
    if (!(SSL_get_shutdown(c->ssl) & SSL_RECEIVED_SHUTDOWN)) {
        char *buf = cio__loop_scratch(c->loop);
        if (!buf)
            return -ENOMEM;
        /* What the peer sent before its close_notify is dropped unread, as
         * asyncio drops it once close() was called. */
        for (;;) {
            ERR_clear_error();
            errno = 0;
            int n = SSL_read(c->ssl, buf, CIO__SCRATCH);
            if (n > 0)
                continue;
            int e = SSL_get_error(c->ssl, n);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
                break; /* nothing more yet: our close_notify goes out meanwhile */
            if (e != SSL_ERROR_ZERO_RETURN) {
                ERR_clear_error();
                return 1; /* the peer's EOF or an error: nothing left to wait for */
            }
            break; /* the peer's close_notify */
        }
    }
    ERR_clear_error();
    int r = SSL_shutdown(c->ssl);
    if (r == 1)
        return 1; /* both close_notify alerts exchanged */
    if (r == 0)
        return 0; /* ours is out; the peer's is awaited */
    int e = SSL_get_error(c->ssl, r);
    ERR_clear_error();
    return e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ ? 0 : 1;
}

void cio__tls_free_conn(cio_transport_t *c)
{
    if (c->ssl) {
        SSL_free(c->ssl);
        c->ssl = NULL;
    }
    if (c->tlsctx) {
        cio__tls_unref(c->tlsctx);
        c->tlsctx = NULL;
    }
    cio__free(c->alpn);
    c->alpn = NULL;
}

const char *cio_stream_tls_alpn(cio_stream_t *s)
{
    if (cio__conn_check(s, CIO__CONN_STREAM) < 0)
        return NULL;
    return s->t.alpn;
}

const char *cio_transport_tls_alpn(cio_transport_t *t)
{
    if (cio__conn_check(t, CIO__CONN_PROTO) < 0)
        return NULL;
    return t->alpn;
}

static int ssl_cipher(SSL *ssl, cio_tls_cipher_t *out)
{
    const SSL_CIPHER *ci = SSL_get_current_cipher(ssl);
    if (!ci)
        return -ENOTSUP;
    out->name = SSL_CIPHER_get_name(ci);
    out->version = SSL_get_version(ssl);
    out->bits = SSL_CIPHER_get_bits(ci, NULL);
    return 0;
}

/* The DER of the peer's certificate (what = 0) or its subject on one line
 * (what = 1), NUL-terminated, into buf of *len bytes. */
static int ssl_peer(SSL *ssl, int what, void *buf, size_t *len)
{
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
    X509 *x = SSL_get0_peer_certificate(ssl);
#else
    X509 *x = SSL_get_peer_certificate(ssl);
    X509_free(x); /* the SSL object keeps its own reference */
#endif
    if (!x) {
        *len = 0;
        return -ENODATA;
    }
    if (what == 0) {
        int n = i2d_X509(x, NULL);
        if (n <= 0)
            return tls_error("cannot encode the peer's certificate");
        if ((size_t)n > *len) {
            *len = (size_t)n;
            return -ENOBUFS;
        }
        unsigned char *p = buf;
        if (i2d_X509(x, &p) != n)
            return tls_error("cannot encode the peer's certificate");
        *len = (size_t)n;
        return 0;
    }
    BIO *b = BIO_new(BIO_s_mem());
    if (!b)
        return -ENOMEM;
    int rc = 0;
    char *text;
    if (X509_NAME_print_ex(b, X509_get_subject_name(x), 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0) {
        rc = tls_error("cannot print the peer's subject");
    } else {
        long n = BIO_get_mem_data(b, &text);
        if (n < 0 || (size_t)n >= *len) {
            rc = -ENOBUFS;
        } else {
            memcpy(buf, text, (size_t)n);
            ((char *)buf)[n] = 0;
        }
        *len = n < 0 ? 0 : (size_t)n;
    }
    BIO_free(b);
    return rc;
}

#else /* no OpenSSL */

struct cio_tls_s {
    struct cio__obj obj;
};

static int none(void)
{
    snprintf(last_error, sizeof last_error, "cio was built without TLS (OpenSSL)");
    return -ENOTSUP;
}

int cio_tls_available(void) { return 0; }
int cio_tls_client_new(cio_tls_t **out)
{
    if (out)
        *out = NULL;
    return none();
}
int cio_tls_server_new(const char *cert_file, const char *key_file, cio_tls_t **out)
{
    (void)cert_file;
    (void)key_file;
    if (out)
        *out = NULL;
    return none();
}
int cio_tls_load_verify_locations(cio_tls_t *tls, const char *cafile, const char *capath)
{
    (void)tls;
    (void)cafile;
    (void)capath;
    return none();
}
int cio_tls_set_verify(cio_tls_t *tls, int verify)
{
    (void)tls;
    (void)verify;
    return none();
}
int cio_tls_set_alpn(cio_tls_t *tls, const char *const *protocols, size_t n)
{
    (void)tls;
    (void)protocols;
    (void)n;
    return none();
}
int cio__tls_is_server(cio_tls_t *ctx) { (void)ctx; return 0; }
cio_tls_t *cio__tls_ref(cio_tls_t *ctx) { return ctx; }
int cio__tls_unref(cio_tls_t *ctx) { (void)ctx; return -EINVAL; }
int cio__tls_start(cio_transport_t *c, cio_tls_t *ctx, const char *hostname, double timeout,
                   double shutdown_timeout)
{
    (void)c;
    (void)ctx;
    (void)hostname;
    (void)timeout;
    (void)shutdown_timeout;
    return none();
}
ssize_t cio__tls_read(cio_transport_t *c, void *buf, size_t n)
{
    (void)c;
    (void)buf;
    (void)n;
    return -ENOTSUP;
}
ssize_t cio__tls_write(cio_transport_t *c, const void *buf, size_t n)
{
    (void)c;
    (void)buf;
    (void)n;
    return -ENOTSUP;
}
void cio__tls_shutdown(cio_transport_t *c) { (void)c; }
int cio__tls_close_step(cio_transport_t *c) { (void)c; return 1; }
void cio__tls_free_conn(cio_transport_t *c) { (void)c; }
const char *cio_stream_tls_alpn(cio_stream_t *s)
{
    (void)s;
    return NULL;
}
const char *cio_transport_tls_alpn(cio_transport_t *t)
{
    (void)t;
    return NULL;
}
/* Never called: without OpenSSL no connection is TLS. */
static int ssl_cipher(SSL *ssl, cio_tls_cipher_t *out)
{
    (void)ssl;
    (void)out;
    return -ENOTSUP;
}
static int ssl_peer(SSL *ssl, int what, void *buf, size_t *len)
{
    (void)ssl;
    (void)what;
    (void)buf;
    *len = 0;
    return -ENOTSUP;
}

#endif

/* ------------------------------------------------ TLS extra info */

/* The extra info needs a TLS connection whose handshake completed (never,
 * without OpenSSL); the other calls get -ENOTSUP.  The SSL object stays
 * until the connection is freed, so it outlives a close or an abort. */
static int tls_ready(const cio_transport_t *c)
{
    return c->ssl && c->tls_up;
}

static int conn_cipher(void *p, int kind, cio_tls_cipher_t *out)
{
    cio_transport_t *c = p; /* a stream begins with its connection */
    int rc = cio__conn_check(c, kind);
    if (rc == 0 && !out)
        rc = -EINVAL;
    if (rc < 0)
        return rc;
    memset(out, 0, sizeof *out);
    if (!tls_ready(c))
        return -ENOTSUP;
    rc = ssl_cipher(c->ssl, out);
    if (rc < 0)
        memset(out, 0, sizeof *out);
    return rc;
}

static int conn_peer(void *p, int kind, int what, void *buf, size_t *len)
{
    cio_transport_t *c = p;
    int rc = cio__conn_check(c, kind);
    if (rc == 0 && (!len || (!buf && *len)))
        rc = -EINVAL;
    if (rc < 0)
        return rc;
    if (!tls_ready(c)) {
        *len = 0;
        return -ENOTSUP;
    }
    return ssl_peer(c->ssl, what, buf, len);
}

static void *conn_ssl(void *p, int kind)
{
    cio_transport_t *c = p;
    return cio__conn_check(c, kind) == 0 && tls_ready(c) ? (void *)c->ssl : NULL;
}

int cio_stream_tls_cipher(cio_stream_t *s, cio_tls_cipher_t *out)
{
    return conn_cipher(s, CIO__CONN_STREAM, out);
}

int cio_stream_tls_peercert(cio_stream_t *s, void *der, size_t *len)
{
    return conn_peer(s, CIO__CONN_STREAM, 0, der, len);
}

int cio_stream_tls_peer_subject(cio_stream_t *s, char *buf, size_t *len)
{
    return conn_peer(s, CIO__CONN_STREAM, 1, buf, len);
}

void *cio_stream_tls_ssl_object(cio_stream_t *s)
{
    return conn_ssl(s, CIO__CONN_STREAM);
}

int cio_transport_tls_cipher(cio_transport_t *t, cio_tls_cipher_t *out)
{
    return conn_cipher(t, CIO__CONN_PROTO, out);
}

int cio_transport_tls_peercert(cio_transport_t *t, void *der, size_t *len)
{
    return conn_peer(t, CIO__CONN_PROTO, 0, der, len);
}

int cio_transport_tls_peer_subject(cio_transport_t *t, char *buf, size_t *len)
{
    return conn_peer(t, CIO__CONN_PROTO, 1, buf, len);
}

void *cio_transport_tls_ssl_object(cio_transport_t *t)
{
    return conn_ssl(t, CIO__CONN_PROTO);
}
