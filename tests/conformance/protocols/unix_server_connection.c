/* from: test_events.py::test_create_unix_connection / test_create_unix_server */
#include "conf.h"

static cio_future_t *done;

static void e_data(cio_transport_t *t, const void *d, size_t n, void *ud)
{
    char rev[64];
    for (size_t i = 0; i < n && i < sizeof rev; i++)
        rev[i] = ((const char *)d)[n - 1 - i];
    cio_transport_write(t, rev, n);
    cio_transport_close(t);
}
static void c_data(cio_transport_t *t, const void *d, size_t n, void *ud) { P("client got b'%.*s'", (int)n, (const char *)d); }
static void c_lost(cio_transport_t *t, int err, void *ud)
{
    P("client connection_lost %s", err ? EXC(err) : "None");
    cio_future_set_result(done, NULL);
}

static int amain(void *arg, void **result)
{
    done = cio_create_future();
    char dir[] = "/tmp/cioconfXXXXXX", path[64];
    if (!mkdtemp(dir))
        return -errno;
    snprintf(path, sizeof path, "%s/p.sock", dir);
    static const cio_protocol_t ep = {.data_received = e_data}, cp = {.data_received = c_data, .connection_lost = c_lost};
    cio_server_t *srv;
    int rc = cio_create_unix_server(&ep, NULL, path, NULL, &srv);
    if (rc < 0)
        return rc;
    cio_transport_t *t;
    cio_create_unix_connection(&cp, NULL, path, NULL, &t);
    cio_transport_write(t, "stressed", 8);
    cio_await(done, NULL);
    cio_server_close(srv);
    cio_server_wait_closed(srv);
    unlink(path);
    rmdir(dir);
    cio_unref(srv);
    cio_unref(t);
    cio_unref(done);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
