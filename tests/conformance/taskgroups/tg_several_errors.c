/* from: test_taskgroups.py::test_taskgroup_08 (every error that happened is listed) */
#include "conf.h"

static int bad(void *arg, void **result) { cio_sleep(0.01); return cio_fail(EMYERR, "err %d", VI(arg)); }

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int amain(void *arg, void **result)
{
    cio_taskgroup_t *tg = cio_taskgroup_new();
    for (int i = 0; i < 3; i++)
        cio_taskgroup_create_task(tg, bad, IV(i));
    int rc = cio_taskgroup_exit(tg, 0);
    if (rc == CIO_ETASKGROUP) {
        int n = cio_taskgroup_error_count(tg);
        const char *msgs[8];
        for (int i = 0; i < n && i < 8; i++)
            cio_taskgroup_error(tg, i, NULL, NULL, &msgs[i]);
        qsort(msgs, n, sizeof msgs[0], cmp);
        char line[256] = "errors: [";
        for (int i = 0; i < n; i++)
            snprintf(line + strlen(line), sizeof line - strlen(line), "%s'%s'", i ? ", " : "", msgs[i]);
        P("%s]", line);
    }
    cio_taskgroup_free(tg);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
