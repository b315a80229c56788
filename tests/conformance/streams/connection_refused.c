/* from: test_streams.py::StreamTests::test_open_connection_error / connecting to a closed port */
#include "conf.h"
#include <netinet/in.h>

static int amain(void *arg, void **result)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    bind(fd, (struct sockaddr *)&a, sizeof a);
    getsockname(fd, (struct sockaddr *)&a, &len);
    close(fd);
    cio_stream_t *s = NULL;
    P("%s", EXC(cio_open_connection("127.0.0.1", ntohs(a.sin_port), &s)));
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
