/* from: the exceptions map: OSError subclasses and errno names (cio_err_name names every errno)
   xfail: cio_err_name prints "E?" for errno values outside a short list (EDOM, ENODATA, ...) (issue 19, fixed by 19a) */
#include "conf.h"

int main(void)
{
    struct { const char *name; int code; } e[] = {
        {"EPIPE", EPIPE}, {"ECONNRESET", ECONNRESET}, {"ETIMEDOUT", ETIMEDOUT}, {"EDOM", EDOM}, {"ENODATA", ENODATA},
        {"EOVERFLOW", EOVERFLOW}, {"EILSEQ", EILSEQ}, {"ESTALE", ESTALE},
    };
    for (size_t i = 0; i < sizeof e / sizeof e[0]; i++)
        P("%s -> %s", e[i].name, cio_err_name(-e[i].code));
    return 0;
}
