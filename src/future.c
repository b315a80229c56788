/* Futures.  A future moves once from PENDING to RESULT, ERROR or CANCELLED
 * (cio__future_complete is the only transition).  Its done callbacks are
 * then put on the ready queue in registration order: a user callback as its
 * own entry, a task waiting in cio_await() as that task's next step.  Nothing
 * runs inside set_result. */
#include "internal.h"

#include <errno.h>
#include <string.h>

int cio__future_check(const cio_future_t *f)
{
    return f && (f->obj.magic == CIO__MAGIC_FUTURE || f->obj.magic == CIO__MAGIC_TASK) ? 0 : -EINVAL;
}

int cio__future_init(cio_future_t *f, cio_loop_t *loop, uint32_t magic)
{
    f->obj.magic = magic;
    f->obj.refs = 1;
    f->loop = loop;
    f->state = CIO__PENDING;
    f->retrieved = 0;
    f->kind = magic == CIO__MAGIC_TASK ? CIO__KIND_TASK : CIO__KIND_FUTURE;
    f->tflags = 0;
    f->rc = 0;
    f->result = NULL;
    f->message = NULL;
    f->cbs = NULL;
    loop->nobjs++;
    return 0;
}

int cio__future_unref(cio_future_t *f)
{
    if (f->obj.refs == 0)
        return -EINVAL;
    if (--f->obj.refs)
        return 0;
    if (f->state == CIO__ERROR && !f->retrieved && !f->loop->closed)
        cio__loop_report(f->loop, f->kind == CIO__KIND_TASK ? "Task exception was never retrieved" : "Future exception was never retrieved",
                         f->rc, f->message, f, NULL);
    f->loop->nobjs--;
    cio__free(f->message);
    if (f->kind == CIO__KIND_TASK)
        cio__task_free_parts(f);
    else if (f->kind == CIO__KIND_GATHER)
        cio__gather_free_parts(f);
    f->obj.magic = CIO__MAGIC_DEAD;
    if (f->kind == CIO__KIND_TASK)
        cio__pool_put(&f->loop->task_pool, cio__task_of(f));
    else
        cio__free(f);
    return 0;
}

int cio_loop_create_future(cio_loop_t *loop, cio_future_t **out)
{
    if (!out)
        return -EINVAL;
    *out = NULL;
    if (cio__loop_check(loop))
        return -EINVAL;
    if (loop->closed)
        return CIO_ELOOPCLOSED;
    cio_future_t *f = cio__malloc(sizeof *f);
    if (!f)
        return -ENOMEM;
    cio__future_init(f, loop, CIO__MAGIC_FUTURE);
    *out = f;
    return 0;
}

cio_future_t *cio_create_future(void)
{
    cio_future_t *f = NULL;
    if (cio__tls.running)
        cio_loop_create_future(cio__tls.running, &f);
    return f;
}

/* User done callbacks: the entry holds a reference to the future. */
static void fcb_run(struct cio__cb *cb)
{
    struct cio__fcb *r = cio__container_of(cb, struct cio__fcb, cb);
    cio_future_t *f = r->fut;
    if (!f->loop->closed) {
        int rc = r->fn(f, r->arg);
        if (rc < 0)
            cio__loop_report(f->loop, "Exception in done callback", rc, NULL, f, NULL);
    }
    cio__free(r);
    cio__future_unref(f);
}

static void schedule_reg(cio_future_t *f, struct cio__reg *r)
{
    if (r->notify)
        r->notify(r);
    else
        cio__loop_schedule(f->loop, &CIO__FCB(r)->cb);
}

void cio__future_complete(cio_future_t *f, uint8_t state, int rc, void *result, char *message)
{
    /* PENDING is the only state a future leaves. */
    if (f->state != CIO__PENDING) {
        cio__free(message);
        return;
    }
    f->state = state;
    f->rc = rc;
    f->result = result;
    cio__free(f->message);
    f->message = message;
    struct cio__reg *r = f->cbs;
    f->cbs = NULL;
    while (r) {
        struct cio__reg *next = r->next;
        schedule_reg(f, r);
        r = next;
    }
}

void cio__future_add_reg(cio_future_t *f, struct cio__reg *r)
{
    struct cio__reg **pp = &f->cbs;
    while (*pp)
        pp = &(*pp)->next;
    r->next = NULL;
    *pp = r;
}

void cio__future_del_reg(cio_future_t *f, struct cio__reg *r)
{
    for (struct cio__reg **pp = &f->cbs; *pp; pp = &(*pp)->next)
        if (*pp == r) {
            *pp = r->next;
            return;
        }
}

static char *dup_msg(const char *msg, int *err)
{
    *err = 0;
    if (!msg)
        return NULL;
    char *m = cio__strdup(msg);
    if (!m)
        *err = -ENOMEM;
    return m;
}

int cio_future_set_result(cio_future_t *f, void *value)
{
    if (cio__future_check(f) || f->kind != CIO__KIND_FUTURE)
        return -EINVAL;
    if (f->state != CIO__PENDING)
        return cio__refuse(f->loop, "cio_future_set_result", CIO_EINVALSTATE, "invalid state: the future is done");
    int rc = cio__debug_thread_check(f->loop, "cio_future_set_result");
    if (rc < 0)
        return rc;
    cio__future_complete(f, CIO__RESULT, 0, value, NULL);
    return 0;
}

int cio_future_set_exception(cio_future_t *f, int err, const char *msg)
{
    if (cio__future_check(f) || f->kind != CIO__KIND_FUTURE || err >= 0 || err == -ECANCELED)
        return -EINVAL;
    if (f->state != CIO__PENDING)
        return cio__refuse(f->loop, "cio_future_set_exception", CIO_EINVALSTATE, "invalid state: the future is done");
    int rc = cio__debug_thread_check(f->loop, "cio_future_set_exception");
    if (rc < 0)
        return rc;
    char *m = dup_msg(msg, &rc);
    if (rc < 0)
        return rc;
    cio__future_complete(f, CIO__ERROR, err, NULL, m);
    return 0;
}

int cio_future_cancel(cio_future_t *f, const char *msg)
{
    if (cio__future_check(f))
        return -EINVAL;
    if (f->kind == CIO__KIND_TASK)
        return cio_task_cancel(f, msg);
    if (f->kind == CIO__KIND_GATHER)
        return cio__gather_cancel(f, msg);
    if (f->state != CIO__PENDING)
        return 0;
    int rc;
    char *m = dup_msg(msg, &rc);
    if (rc < 0)
        return rc;
    cio__future_complete(f, CIO__CANCELLED, -ECANCELED, NULL, m);
    return 1;
}

int cio_future_done(cio_future_t *f)
{
    return cio__future_check(f) ? -EINVAL : f->state != CIO__PENDING;
}

int cio_future_cancelled(cio_future_t *f)
{
    return cio__future_check(f) ? -EINVAL : f->state == CIO__CANCELLED;
}

int cio_future_result(cio_future_t *f, void **value)
{
    if (value)
        *value = NULL;
    if (cio__future_check(f))
        return -EINVAL;
    switch (f->state) {
    case CIO__PENDING: return cio__refuse(f->loop, "cio_future_result", CIO_EINVALSTATE, "Result is not set.");
    case CIO__CANCELLED: return -ECANCELED;
    case CIO__ERROR: f->retrieved = 1; return f->rc;
    default:
        if (value)
            *value = f->result;
        return 0;
    }
}

int cio_future_exception(cio_future_t *f)
{
    if (cio__future_check(f))
        return -EINVAL;
    switch (f->state) {
    case CIO__PENDING: return CIO_EINVALSTATE;
    case CIO__CANCELLED: return -ECANCELED;
    case CIO__ERROR: f->retrieved = 1; return f->rc;
    default: return 0;
    }
}

const char *cio_future_message(cio_future_t *f)
{
    return cio__future_check(f) ? NULL : f->message;
}

cio_loop_t *cio_future_get_loop(cio_future_t *f)
{
    return cio__future_check(f) ? NULL : f->loop;
}

int cio_future_add_done_callback(cio_future_t *f, cio_done_fn *fn, void *arg)
{
    if (cio__future_check(f) || !fn)
        return -EINVAL;
    struct cio__fcb *r = cio__malloc(sizeof *r);
    if (!r)
        return -ENOMEM;
    r->cb.run = fcb_run;
    r->reg.notify = NULL;
    r->task = NULL;
    r->fn = fn;
    r->arg = arg;
    r->fut = f;
    f->obj.refs++;
    if (f->state != CIO__PENDING)
        cio__loop_schedule(f->loop, &r->cb);
    else
        cio__future_add_reg(f, &r->reg);
    return 0;
}

int cio_future_remove_done_callback(cio_future_t *f, cio_done_fn *fn, void *arg)
{
    if (cio__future_check(f) || !fn)
        return -EINVAL;
    int n = 0;
    struct cio__reg **pp = &f->cbs;
    while (*pp) {
        struct cio__reg *r = *pp;
        if (!r->notify && CIO__FCB(r)->fn == fn && CIO__FCB(r)->arg == arg) {
            *pp = r->next;
            cio__free(CIO__FCB(r));
            n++;
        } else
            pp = &r->next;
    }
    for (int i = 0; i < n; i++)
        cio__future_unref(f); /* the removed entries' references */
    return n;
}
