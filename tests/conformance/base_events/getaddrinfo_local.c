/* from: test_base_events.py::test_getaddrinfo / test_getnameinfo (resolved in the executor) */
#include "conf.h"
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

static int amain(void *arg, void **result)
{
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res;
    int rc = cio_getaddrinfo("127.0.0.1", "80", &hints, &res);
    if (rc < 0)
        return rc;
    struct sockaddr_in *sin = (struct sockaddr_in *)res->ai_addr;
    char ip[32];
    inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof ip);
    P("addresses: [('%s', %d)]", ip, ntohs(sin->sin_port));
    char host[64], serv[16];
    cio_getnameinfo(res->ai_addr, res->ai_addrlen, host, sizeof host, serv, sizeof serv, NI_NUMERICHOST | NI_NUMERICSERV);
    P("nameinfo: %s %s", host, serv);
    freeaddrinfo(res);
    rc = cio_getaddrinfo("no-such-host.invalid", "80", NULL, &res);
    if (rc == CIO_ENONAME || rc == CIO_EDNSAGAIN || rc == CIO_EDNSFAIL)
        P("unknown host: gaierror");
    else if (rc == 0)
        freeaddrinfo(res);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
