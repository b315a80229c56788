/* The epoll backend: one registration per watcher, level-triggered unless
 * the watcher asks for edges (CIO__IO_EDGE: connections and listeners). */
#include "internal.h"

#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

#define CIO__EPOLL_BATCH 256

static int ep_init(cio_loop_t *loop)
{
    int fd = epoll_create1(EPOLL_CLOEXEC);
    if (fd < 0)
        return -errno;
    loop->backend_fd = fd;
    return 0;
}

static void ep_close(cio_loop_t *loop)
{
    if (loop->backend_fd >= 0)
        close(loop->backend_fd);
    loop->backend_fd = -1;
}

static uint32_t to_epoll(uint32_t ev)
{
    return ((ev & CIO__IO_READ) ? EPOLLIN : 0) | ((ev & CIO__IO_WRITE) ? EPOLLOUT : 0) |
           ((ev & CIO__IO_EDGE) ? EPOLLET | EPOLLRDHUP : 0);
}

static int ep_ctl(cio_loop_t *loop, int op, struct cio__io *io)
{
    struct epoll_event e = {.events = to_epoll(io->events), .data.ptr = io};
    return epoll_ctl(loop->backend_fd, op, io->fd, &e) < 0 ? -errno : 0;
}

static int ep_add(cio_loop_t *loop, struct cio__io *io)
{
    return ep_ctl(loop, EPOLL_CTL_ADD, io);
}

static int ep_mod(cio_loop_t *loop, struct cio__io *io)
{
    return ep_ctl(loop, EPOLL_CTL_MOD, io);
}

static int ep_del(cio_loop_t *loop, struct cio__io *io)
{
    return ep_ctl(loop, EPOLL_CTL_DEL, io);
}

static int ep_poll(cio_loop_t *loop, int64_t timeout_ns)
{
    struct epoll_event ev[CIO__EPOLL_BATCH];
    int ms;
    if (timeout_ns < 0)
        ms = -1;
    else if (timeout_ns == 0)
        ms = 0;
    else {
        int64_t m = (timeout_ns + 999999) / 1000000; /* never wake early */
        ms = m > 0x7fffffff ? 0x7fffffff : (int)m;
    }
    int n = epoll_wait(loop->backend_fd, ev, CIO__EPOLL_BATCH, ms);
    if (n < 0)
        return errno == EINTR ? 0 : -errno;
    for (int i = 0; i < n; i++) {
        struct cio__io *io = ev[i].data.ptr;
        uint32_t e = 0;
        if (ev[i].events & (EPOLLIN | EPOLLHUP | EPOLLRDHUP))
            e |= CIO__IO_READ;
        if (ev[i].events & (EPOLLHUP | EPOLLRDHUP))
            e |= CIO__IO_HUP;
        if (ev[i].events & EPOLLOUT)
            e |= CIO__IO_WRITE;
        if (ev[i].events & EPOLLERR)
            e |= CIO__IO_ERROR | CIO__IO_READ | CIO__IO_WRITE;
        io->cb(io, e);
    }
    return n;
}

const struct cio__backend_ops cio__backend_epoll = {
    "epoll", ep_init, ep_close, ep_add, ep_mod, ep_del, ep_poll,
};
