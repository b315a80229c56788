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

/* Every errno of Linux, by value; ENOTSUP is named before EOPNOTSUPP, its
 * alias, as EAGAIN before EWOULDBLOCK. */
static const struct {
    int num;
    const char *name;
} cio__errnames[] = {
#define CIO__E(x) {x, #x},
    CIO__E(ENOTSUP) CIO__E(EPERM) CIO__E(ENOENT) CIO__E(ESRCH) CIO__E(EINTR) CIO__E(EIO) CIO__E(ENXIO)
    CIO__E(E2BIG) CIO__E(ENOEXEC) CIO__E(EBADF) CIO__E(ECHILD) CIO__E(EAGAIN) CIO__E(ENOMEM) CIO__E(EACCES)
    CIO__E(EFAULT) CIO__E(ENOTBLK) CIO__E(EBUSY) CIO__E(EEXIST) CIO__E(EXDEV) CIO__E(ENODEV) CIO__E(ENOTDIR)
    CIO__E(EISDIR) CIO__E(EINVAL) CIO__E(ENFILE) CIO__E(EMFILE) CIO__E(ENOTTY) CIO__E(ETXTBSY) CIO__E(EFBIG)
    CIO__E(ENOSPC) CIO__E(ESPIPE) CIO__E(EROFS) CIO__E(EMLINK) CIO__E(EPIPE) CIO__E(EDOM) CIO__E(ERANGE)
    CIO__E(EDEADLK) CIO__E(ENAMETOOLONG) CIO__E(ENOLCK) CIO__E(ENOSYS) CIO__E(ENOTEMPTY) CIO__E(ELOOP)
    CIO__E(ENOMSG) CIO__E(EIDRM) CIO__E(ECHRNG) CIO__E(EL2NSYNC) CIO__E(EL3HLT) CIO__E(EL3RST) CIO__E(ELNRNG)
    CIO__E(EUNATCH) CIO__E(ENOCSI) CIO__E(EL2HLT) CIO__E(EBADE) CIO__E(EBADR) CIO__E(EXFULL) CIO__E(ENOANO)
    CIO__E(EBADRQC) CIO__E(EBADSLT) CIO__E(EBFONT) CIO__E(ENOSTR) CIO__E(ENODATA) CIO__E(ETIME) CIO__E(ENOSR)
    CIO__E(ENONET) CIO__E(ENOPKG) CIO__E(EREMOTE) CIO__E(ENOLINK) CIO__E(EADV) CIO__E(ESRMNT) CIO__E(ECOMM)
    CIO__E(EPROTO) CIO__E(EMULTIHOP) CIO__E(EDOTDOT) CIO__E(EBADMSG) CIO__E(EOVERFLOW) CIO__E(ENOTUNIQ)
    CIO__E(EBADFD) CIO__E(EREMCHG) CIO__E(ELIBACC) CIO__E(ELIBBAD) CIO__E(ELIBSCN) CIO__E(ELIBMAX)
    CIO__E(ELIBEXEC) CIO__E(EILSEQ) CIO__E(ERESTART) CIO__E(ESTRPIPE) CIO__E(EUSERS) CIO__E(ENOTSOCK)
    CIO__E(EDESTADDRREQ) CIO__E(EMSGSIZE) CIO__E(EPROTOTYPE) CIO__E(ENOPROTOOPT) CIO__E(EPROTONOSUPPORT)
    CIO__E(ESOCKTNOSUPPORT) CIO__E(EOPNOTSUPP) CIO__E(EPFNOSUPPORT) CIO__E(EAFNOSUPPORT) CIO__E(EADDRINUSE)
    CIO__E(EADDRNOTAVAIL) CIO__E(ENETDOWN) CIO__E(ENETUNREACH) CIO__E(ENETRESET) CIO__E(ECONNABORTED)
    CIO__E(ECONNRESET) CIO__E(ENOBUFS) CIO__E(EISCONN) CIO__E(ENOTCONN) CIO__E(ESHUTDOWN) CIO__E(ETOOMANYREFS)
    CIO__E(ETIMEDOUT) CIO__E(ECONNREFUSED) CIO__E(EHOSTDOWN) CIO__E(EHOSTUNREACH) CIO__E(EALREADY)
    CIO__E(EINPROGRESS) CIO__E(ESTALE) CIO__E(EUCLEAN) CIO__E(ENOTNAM) CIO__E(ENAVAIL) CIO__E(EISNAM)
    CIO__E(EREMOTEIO) CIO__E(EDQUOT) CIO__E(ENOMEDIUM) CIO__E(EMEDIUMTYPE) CIO__E(ECANCELED) CIO__E(ENOKEY)
    CIO__E(EKEYEXPIRED) CIO__E(EKEYREVOKED) CIO__E(EKEYREJECTED) CIO__E(EOWNERDEAD) CIO__E(ENOTRECOVERABLE)
    CIO__E(ERFKILL) CIO__E(EHWPOISON)
#undef CIO__E
};

const char *cio_err_name(int err)
{
    switch (err) {
#define CIO__ERR_NAME(name, num, text) \
    case -(num): return "CIO_E" #name;
        CIO_ERRNO_MAP(CIO__ERR_NAME)
#undef CIO__ERR_NAME
    case 0: return "0";
    default: break;
    }
    if (err > 0)
        return "positive";
    for (size_t i = 0; i < sizeof cio__errnames / sizeof cio__errnames[0]; i++)
        if (-err == cio__errnames[i].num)
            return cio__errnames[i].name;
    return "E?";
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
