/* loop.start_tls on a protocol transport (asyncio's base_events.start_tls):
 * the same transport object is upgraded in place, its protocol kept and
 * not told connection_made again.  While the handshake runs the protocol
 * gets no data (reading paused, as asyncio pauses the transport) and the
 * user's writes are refused; a failed handshake closes the transport, as
 * asyncio's does. */
#include "net.h"

#include <errno.h>

int cio_transport_start_tls(cio_transport_t *t, cio_tls_t *tls, const char *server_hostname, double handshake_timeout)
{
    int rc = cio__conn_check(t, CIO__CONN_PROTO);
    if (rc < 0)
        return rc;
    if (!cio__tls.task)
        return CIO_ENOTASK;
    if (!tls)
        return -EINVAL;
    if (t->kind == CIO__CONN_DGRAM || t->is_pipe)
        return -ENOTSUP;
    if (t->user_closed || t->state != CIO__OPEN)
        return t->err ? t->err : CIO_ECLOSED;
    if (t->ssl || t->wr_busy)
        return CIO_EINVALSTATE; /* already TLS, or a sendfile or start_tls runs */
    uint8_t paused = t->rpaused;
    t->rpaused = 1;
    t->wr_busy = 1;
    t->obj.refs++;
    rc = cio__conn_flush_all(t); /* what was written in plain goes first */
    if (rc == 0)
        rc = cio__tls_start(t, tls, server_hostname, handshake_timeout, 0);
    t->wr_busy = 0;
    if (rc < 0) {
        if (t->state != CIO__CLOSED)
            cio__conn_fail(t, rc); /* connection_lost(rc) follows */
    } else if (!paused) {
        cio__conn_resume_reading(t); /* records that came with the handshake are read */
    }
    cio__conn_unref(t);
    return rc;
}
