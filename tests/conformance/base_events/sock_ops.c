/* from: test_sock_lowlevel.py::test_sock_client_ops / test_sock_accept (sock_connect, sock_accept, sock_sendall, sock_recv) */
#include "conf.h"
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>

static int srv;

static int acceptor(void *arg, void **result)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int fd = cio_sock_accept(srv, (struct sockaddr *)&a, &len);
    if (fd < 0)
        return fd;
    *(int *)arg = a.sin_addr.s_addr == htonl(INADDR_LOOPBACK);
    *result = IV(fd);
    return 0;
}

static int amain(void *arg, void **result)
{
    srv = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    bind(srv, (struct sockaddr *)&a, sizeof a);
    listen(srv, 8);
    getsockname(srv, (struct sockaddr *)&a, &len);
    int cli = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int local = 0;
    cio_task_t *acc = cio_create_task(acceptor, &local);
    cio_sock_connect(cli, (struct sockaddr *)&a, sizeof a);
    void *v;
    cio_await(acc, &v);
    int conn = VI(v);
    P("accepted from 127.0.0.1: %s", B(local));
    char buf[100];
    cio_sock_sendall(cli, "ping", 4, NULL);
    ssize_t n = cio_sock_recv(conn, buf, sizeof buf);
    P("server got b'%.*s'", (int)n, buf);
    cio_sock_sendall(conn, "pong", 4, NULL);
    n = cio_sock_recv(cli, buf, sizeof buf);
    P("client got b'%.*s'", (int)n, buf);
    close(cli);
    n = cio_sock_recv(conn, buf, sizeof buf);
    P("after peer close: b'%.*s'", (int)n, buf);
    close(conn);
    close(srv);
    cio_unref(acc);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
