/* from: test_tasks.py::test_task_set_name / test_task_default_name */
#include "conf.h"

static int child(void *arg, void **result)
{
    *result = (void *)cio_task_get_name(cio_current_task());
    return 0;
}

static int amain(void *arg, void **result)
{
    void *v;
    cio_task_t *t = cio_create_task_named(child, NULL, "worker");
    cio_await(t, &v);
    P("named: %s", (char *)v);
    cio_task_t *t2 = cio_create_task(child, NULL);
    cio_task_set_name(t2, "renamed");
    cio_await(t2, &v);
    P("renamed: %s", (char *)v);
    cio_task_t *t3 = cio_create_task(child, NULL);
    P("info: default %s", cio_task_get_name(t3));
    P("default starts with Task-: %s", B(strncmp(cio_task_get_name(t3), "Task-", 5) == 0));
    cio_await(t3, NULL);
    cio_unref(t);
    cio_unref(t2);
    cio_unref(t3);
    return 0;
}

int main(void) { return cio_run(amain, NULL, NULL) < 0; }
