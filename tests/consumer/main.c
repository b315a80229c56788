/* Consumer check: links against an installed cio and runs a task. */
#include <cio.h>
#include <stdio.h>

static int hello(void *arg, void **result)
{
    int rc = cio_sleep(0.01);
    if (rc < 0)
        return rc;
    *result = arg;
    return 0;
}

int main(void)
{
    void *r = NULL;
    int rc = cio_run(hello, "consumer ok", &r);
    if (rc < 0) {
        fprintf(stderr, "cio_run: %s\n", cio_strerror(rc));
        return 1;
    }
    printf("%s (cio %s)\n", (const char *)r, cio_version());
    return 0;
}
