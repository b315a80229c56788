/* Error codes, the replaceable allocator and the version. */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *cio_version(void)
{
#define CIO__STR2(x) #x
#define CIO__STR(x) CIO__STR2(x)
    return CIO__STR(CIO_VERSION_MAJOR) "." CIO__STR(CIO_VERSION_MINOR) "." CIO__STR(CIO_VERSION_PATCH);
}

const char *cio_strerror(int err)
{
    switch (err) {
#define CIO__ERR_STR(name, num, text) \
    case -(num): return text;
        CIO_ERRNO_MAP(CIO__ERR_STR)
#undef CIO__ERR_STR
    case 0: return "success";
    case -ECANCELED: return "cancelled";
    case -ETIMEDOUT: return "timed out";
    default: break;
    }
    if (err < 0 && err > -4000)
        return strerror(-err); /* glibc's table is static and thread-safe */
    return "unknown error";
}

const char *cio_err_name(int err)
{
    switch (err) {
#define CIO__ERR_NAME(name, num, text) \
    case -(num): return "CIO_E" #name;
        CIO_ERRNO_MAP(CIO__ERR_NAME)
#undef CIO__ERR_NAME
    case 0: return "0";
#define CIO__E(x) \
    case -x: return #x;
        CIO__E(EPERM) CIO__E(ENOENT) CIO__E(EINTR) CIO__E(EIO) CIO__E(EBADF) CIO__E(EAGAIN) CIO__E(ENOMEM)
        CIO__E(EACCES) CIO__E(EFAULT) CIO__E(EBUSY) CIO__E(EEXIST) CIO__E(EINVAL) CIO__E(EMFILE) CIO__E(ENOSPC)
        CIO__E(EPIPE) CIO__E(ERANGE) CIO__E(ENOSYS) CIO__E(ECANCELED) CIO__E(ETIMEDOUT) CIO__E(ECONNREFUSED)
        CIO__E(ECONNRESET) CIO__E(EADDRINUSE) CIO__E(ENOTCONN) CIO__E(EOVERFLOW) CIO__E(ESRCH) CIO__E(EDEADLK)
        CIO__E(ENOEXEC) CIO__E(ECHILD) CIO__E(EPROTO) CIO__E(ENOTSUP) CIO__E(ENOBUFS) CIO__E(EMSGSIZE)
        CIO__E(EDESTADDRREQ) CIO__E(EADDRNOTAVAIL) CIO__E(ENETUNREACH) CIO__E(EHOSTUNREACH) CIO__E(ENOTSOCK)
        CIO__E(EISCONN) CIO__E(ENAMETOOLONG) CIO__E(EAFNOSUPPORT) CIO__E(ECONNABORTED) CIO__E(EBADMSG)
        CIO__E(ENFILE) CIO__E(ENOTDIR) CIO__E(EISDIR) CIO__E(EPROTONOSUPPORT)
#undef CIO__E
    default: return err < 0 ? "E?" : "positive";
    }
}

/* ---------------------------------------------------------------- memory */

static void *std_malloc(void *ud, size_t n)
{
    (void)ud;
    return malloc(n);
}
static void *std_realloc(void *ud, void *p, size_t n)
{
    (void)ud;
    return realloc(p, n);
}
static void std_free(void *ud, void *p)
{
    (void)ud;
    free(p);
}

static cio_allocator_t cio__alloc = {std_malloc, std_realloc, std_free, NULL};

int cio_set_allocator(const cio_allocator_t *a)
{
    if (!a) {
        cio__alloc = (cio_allocator_t){std_malloc, std_realloc, std_free, NULL};
        return 0;
    }
    if (!a->malloc || !a->realloc || !a->free)
        return -EINVAL;
    cio__alloc = *a;
    return 0;
}

void *cio__malloc(size_t n)
{
    return cio__alloc.malloc(cio__alloc.ud, n ? n : 1);
}

void *cio__calloc(size_t n)
{
    void *p = cio__malloc(n);
    if (p)
        memset(p, 0, n);
    return p;
}

void *cio__realloc(void *p, size_t n)
{
    return cio__alloc.realloc(cio__alloc.ud, p, n ? n : 1);
}

void cio__free_nonnull(void *p)
{
    cio__alloc.free(cio__alloc.ud, p);
}

char *cio__strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = cio__malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}
