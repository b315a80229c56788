/* Socket coroutines on the caller's sockets: try the call, and while it
 * would block wait for readiness (src/net/fdwatch.c) and try again.  Waiting
 * comes before the transfer, so a cancelled call has moved no data.  Sends
 * and receives pass MSG_DONTWAIT, so they never block the loop even on a
 * socket left in blocking mode; MSG_NOSIGNAL turns SIGPIPE into -EPIPE. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

static int sock_in_task(void)
{
    if (cio__tls.task)
        return 0;
    return cio__tls.running ? CIO_ENOTASK : CIO_ENOLOOP;
}

static bool would_block(int e)
{
    return e == EAGAIN || e == EWOULDBLOCK;
}

static int nonblocking(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0)
        return -errno;
    return (fl & O_NONBLOCK) ? 0 : -EINVAL; /* asyncio: "the socket must be non-blocking" */
}

ssize_t cio_sock_recv(int fd, void *buf, size_t n)
{
    int rc = sock_in_task();
    if (rc < 0)
        return rc;
    if (fd < 0)
        return -EBADF;
    if (!buf && n)
        return -EINVAL;
    for (;;) {
        ssize_t r = recv(fd, buf, n, MSG_DONTWAIT);
        if (r >= 0)
            return r;
        int e = errno;
        if (e == EINTR)
            continue;
        if (!would_block(e))
            return -e;
        if ((rc = cio__wait_fd(fd, 0, -1)) < 0)
            return rc;
    }
}

ssize_t cio_sock_recvfrom(int fd, void *buf, size_t n, struct sockaddr *addr, socklen_t *addrlen)
{
    int rc = sock_in_task();
    if (rc < 0)
        return rc;
    if (fd < 0)
        return -EBADF;
    if ((!buf && n) || (addr && !addrlen))
        return -EINVAL;
    for (;;) {
        socklen_t len = addrlen ? *addrlen : 0;
        ssize_t r = recvfrom(fd, buf, n, MSG_DONTWAIT, addr, addr ? &len : NULL);
        if (r >= 0) {
            if (addrlen)
                *addrlen = len;
            return r;
        }
        int e = errno;
        if (e == EINTR)
            continue;
        if (!would_block(e))
            return -e;
        if ((rc = cio__wait_fd(fd, 0, -1)) < 0)
            return rc;
    }
}

int cio_sock_sendall(int fd, const void *buf, size_t n, size_t *sent)
{
    size_t done = 0;
    int rc = sock_in_task();
    if (rc == 0 && fd < 0)
        rc = -EBADF;
    if (rc == 0 && !buf && n)
        rc = -EINVAL;
    while (rc == 0 && done < n) {
        ssize_t r = send(fd, (const char *)buf + done, n - done, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (r >= 0) {
            done += (size_t)r;
            continue;
        }
        int e = errno;
        if (e == EINTR)
            continue;
        if (!would_block(e))
            rc = -e;
        else
            rc = cio__wait_fd(fd, 1, -1);
    }
    if (sent)
        *sent = done;
    return rc;
}

ssize_t cio_sock_sendto(int fd, const void *buf, size_t n, const struct sockaddr *addr, socklen_t addrlen)
{
    int rc = sock_in_task();
    if (rc < 0)
        return rc;
    if (fd < 0)
        return -EBADF;
    if ((!buf && n) || (!addr && addrlen))
        return -EINVAL;
    for (;;) {
        ssize_t r = sendto(fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL, addr, addrlen);
        if (r >= 0)
            return r;
        int e = errno;
        if (e == EINTR)
            continue;
        if (!would_block(e))
            return -e;
        if ((rc = cio__wait_fd(fd, 1, -1)) < 0)
            return rc;
    }
}

int cio_sock_connect(int fd, const struct sockaddr *addr, socklen_t addrlen)
{
    int rc = sock_in_task();
    if (rc < 0)
        return rc;
    if (fd < 0)
        return -EBADF;
    if (!addr || !addrlen)
        return -EINVAL;
    if ((rc = nonblocking(fd)) < 0)
        return rc;
    if (connect(fd, addr, addrlen) == 0)
        return 0;
    if (errno != EINPROGRESS && errno != EINTR)
        return -errno;
    if ((rc = cio__wait_fd(fd, 1, -1)) < 0)
        return rc;
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        return -errno;
    return -err;
}

int cio_sock_accept(int fd, struct sockaddr *addr, socklen_t *addrlen)
{
    int rc = sock_in_task();
    if (rc < 0)
        return rc;
    if (fd < 0)
        return -EBADF;
    if (addr && !addrlen)
        return -EINVAL;
    if ((rc = nonblocking(fd)) < 0)
        return rc;
    for (;;) {
        int c = accept4(fd, addr, addr ? addrlen : NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c >= 0)
            return c;
        int e = errno;
        if (e == EINTR || e == ECONNABORTED)
            continue;
        if (!would_block(e))
            return -e;
        if ((rc = cio__wait_fd(fd, 0, -1)) < 0)
            return rc;
    }
}

/* read + send, for files sendfile(2) refuses. */
static int64_t sendfile_fallback(int sock, int file, int64_t *offset, size_t count, int64_t done)
{
    char buf[16384];
    while ((size_t)done < count) {
        size_t want = count - (size_t)done < sizeof buf ? count - (size_t)done : sizeof buf;
        ssize_t r = pread(file, buf, want, (off_t)*offset);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (r == 0)
            break;
        size_t sent = 0;
        int rc = cio_sock_sendall(sock, buf, (size_t)r, &sent);
        *offset += (int64_t)sent;
        done += (int64_t)sent;
        if (rc < 0)
            return rc;
    }
    return done;
}

int64_t cio_sock_sendfile(int sock, int file, int64_t *offset, size_t count)
{
    int rc = sock_in_task();
    if (rc < 0)
        return rc;
    if (sock < 0 || file < 0)
        return -EBADF;
    if (!offset || *offset < 0)
        return -EINVAL;
    int64_t done = 0;
    while ((size_t)done < count) {
        off_t off = (off_t)*offset;
        size_t want = count - (size_t)done;
        if (want > 0x7ffff000)
            want = 0x7ffff000;
        ssize_t r = sendfile(sock, file, &off, want);
        if (r > 0) {
            *offset = off;
            done += r;
            continue;
        }
        if (r == 0)
            break; /* end of file */
        int e = errno;
        if (e == EINTR)
            continue;
        if (would_block(e)) {
            if ((rc = cio__wait_fd(sock, 1, -1)) < 0)
                return rc;
            continue;
        }
        if ((e == EINVAL || e == ENOSYS || e == EOVERFLOW) && done == 0)
            return sendfile_fallback(sock, file, offset, count, done);
        return -e;
    }
    return done;
}
