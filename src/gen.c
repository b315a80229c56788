/* Async generators.
 *
 * A generator is a coroutine on a stack of its own (from the loop's pool,
 * taken at the first next and given back when it ends) that runs inside its
 * consumer's task: next switches from the consumer's stack to the
 * generator's and makes the generator's stack the task's current one
 * (t->stack), so an await inside the generator suspends the whole task and
 * the loop resumes it there; yield switches back and restores the
 * consumer's stack.  The consumer may change from one next to the other, as
 * any task may drive an asyncio generator.
 *
 * An eager task's "return to the creator" context lives in the header of
 * the current stack; it moves with the switch so that a first suspension
 * inside a generator still returns to the creator.
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum { G_CREATED, G_SUSPENDED, G_RUNNING, G_FINISHED };
#define CIO__MAGIC_GEN 0x47656e21u /* "Gen!" */

struct cio_gen_s {
    struct cio__obj obj;
    cio_loop_t *loop;
    cio_coro_fn *fn;
    void *arg;
    struct cio__stack *stack;  /* from the first next to the end */
    size_t stack_size;
    struct cio__stack *caller; /* the consumer's stack while running */
    struct cio__task *task;    /* the consumer while running */
    cio_gen_t *live_prev, *live_next; /* loop->gens */
    cio_gen_t *all_prev, *all_next;   /* loop->all_gens: every one not freed */
    void *value;               /* yielded out, or sent in */
    int in_rc;                 /* for the pending yield: 0, thrown error, GENEXIT */
    int out_rc;                /* the function's outcome once finished */
    uint8_t state;
    uint8_t closing;           /* close() asked: a further yield is refused */
    uint8_t ignored_exit;      /* it yielded after close() */
};

static int gen_check(const cio_gen_t *g)
{
    return g && g->obj.magic == CIO__MAGIC_GEN ? 0 : -EINVAL;
}

int cio_gen_new_ex(cio_loop_t *loop, cio_coro_fn *fn, void *arg, size_t stack_size, cio_gen_t **out)
{
    if (out)
        *out = NULL;
    if (cio__loop_check(loop) || !fn || !out)
        return -EINVAL;
    if (stack_size && (stack_size < 16 * 1024 || stack_size > ((size_t)1 << 30)))
        return -EINVAL;
    if (loop->closed)
        return CIO_ELOOPCLOSED;
    cio_gen_t *g = cio__calloc(sizeof *g);
    if (!g)
        return -ENOMEM;
    g->obj.magic = CIO__MAGIC_GEN;
    g->obj.refs = 1;
    g->loop = loop;
    g->fn = fn;
    g->arg = arg;
    g->stack_size = stack_size;
    g->state = G_CREATED;
    loop->nobjs++;
    g->all_next = loop->all_gens;
    if (loop->all_gens)
        loop->all_gens->all_prev = g;
    loop->all_gens = g;
    *out = g;
    return 0;
}

int cio_gen_new(cio_coro_fn *fn, void *arg, cio_gen_t **out)
{
    if (out)
        *out = NULL;
    if (!cio__tls.running)
        return CIO_ENOLOOP;
    return cio_gen_new_ex(cio__tls.running, fn, arg, 0, out);
}

static void live_remove(cio_gen_t *g)
{
    if (g->live_prev)
        g->live_prev->live_next = g->live_next;
    else
        g->loop->gens = g->live_next;
    if (g->live_next)
        g->live_next->live_prev = g->live_prev;
    g->live_prev = g->live_next = NULL;
}

/* Leave the generator's stack for the consumer's, handing back the task's
 * current stack and the eager return context. */
static inline void switch_out(cio_gen_t *g, bool dying)
{
    struct cio__stack *cs = g->caller, *gs = g->stack;
    struct cio__task *t = g->task;
    cs->ret = gs->ret;
    cs->ret_stack = gs->ret_stack;
    gs->ret = NULL;
    gs->ret_stack = NULL;
    t->stack = cs;
    cio__ctx_switch(&gs->ctx, &cs->ctx, cs, dying);
}

static void gen_entry(void)
{
    cio__ctx_started();
    cio_gen_t *g = cio__tls.task->stack->gen;
    void *unused = NULL;
    int rc = g->fn(g->arg, &unused);
    g->out_rc = rc;
    g->state = G_FINISHED;
    switch_out(g, true);
    abort(); /* a finished generator is never resumed */
}

/* Run g until it yields or ends, delivering (in_rc, in) to its pending
 * yield.  Returns 0 with *value, or the end's code (before mapping). */
static int resume(cio_gen_t *g, int in_rc, void *in, void **value, bool *ended)
{
    struct cio__task *t = cio__tls.task;
    *ended = false;
    if (!t)
        return CIO_ENOTASK;
    if (g->state == G_FINISHED) { /* also one its runner's shutdown let go of (loop NULL) */
        *ended = true;
        return CIO_ESTOPITERATION;
    }
    if (t->fut.loop != g->loop)
        return CIO_EWRONGLOOP;
    if (g->state == G_RUNNING)
        return -EBUSY;
    if (g->state == G_FINISHED) {
        *ended = true;
        return CIO_ESTOPITERATION;
    }
    if (g->state == G_CREATED) {
        g->stack = cio__stack_get(&g->loop->stacks, g->stack_size);
        if (!g->stack)
            return -ENOMEM;
        g->stack->gen = g;
        cio__ctx_make(g->stack, gen_entry);
        g->live_prev = NULL;
        g->live_next = g->loop->gens;
        if (g->loop->gens)
            g->loop->gens->live_prev = g;
        g->loop->gens = g;
    }
    g->in_rc = in_rc;
    g->value = in;
    g->state = G_RUNNING;
    g->task = t;
    struct cio__stack *cs = t->stack, *gs = g->stack;
    g->caller = cs;
    gs->ret = cs->ret;
    gs->ret_stack = cs->ret_stack;
    cs->ret = NULL;
    cs->ret_stack = NULL;
    t->stack = gs;
    cio__ctx_switch(&cs->ctx, &gs->ctx, gs, false);
    /* Back on the consumer's stack: it yielded or ended. */
    g->task = NULL;
    g->caller = NULL;
    if (g->state == G_FINISHED) {
        g->stack->gen = NULL;
        cio__stack_put(&g->loop->stacks, g->stack);
        g->stack = NULL;
        live_remove(g);
        *ended = true;
        return g->out_rc;
    }
    if (value)
        *value = g->value;
    return 0;
}

/* next/send/throw: the end of the iteration is CIO_ESTOPITERATION. */
static int step(cio_gen_t *g, int in_rc, void *in, void **value)
{
    if (value)
        *value = NULL;
    if (gen_check(g))
        return -EINVAL;
    bool ended;
    int rc = resume(g, in_rc, in, value, &ended);
    if (ended && rc == 0)
        rc = CIO_ESTOPITERATION;
    return rc;
}

int cio_gen_next(cio_gen_t *g, void **value)
{
    return step(g, 0, NULL, value);
}

int cio_gen_send(cio_gen_t *g, void *in, void **value)
{
    if (value)
        *value = NULL;
    if (gen_check(g))
        return -EINVAL;
    if (in && g->state == G_CREATED)
        return -EINVAL; /* "can't send non-None value to a just-started async generator" */
    return step(g, 0, in, value);
}

int cio_gen_throw(cio_gen_t *g, int err, void **value)
{
    if (value)
        *value = NULL;
    if (gen_check(g) || err >= 0)
        return -EINVAL;
    if (g->state == G_CREATED) {
        /* Thrown in before the first line: it ends with err unrun. */
        if (!cio__tls.task)
            return CIO_ENOTASK;
        g->state = G_FINISHED;
        return err;
    }
    return step(g, err, NULL, value);
}

static int gen_close(cio_gen_t *g)
{
    if (g->state == G_CREATED) {
        g->state = G_FINISHED;
        return 0;
    }
    if (g->state == G_FINISHED)
        return 0;
    if (g->state == G_RUNNING)
        return -EBUSY;
    g->closing = 1;
    bool ended;
    int rc = resume(g, CIO_EGENEXIT, NULL, NULL, &ended);
    if (!ended)
        return rc; /* could not run it: ENOTASK, EWRONGLOOP, ENOMEM */
    if (g->ignored_exit)
        return CIO_EINVALSTATE;
    return rc == CIO_EGENEXIT || rc == CIO_ESTOPITERATION ? 0 : rc;
}

int cio_gen_close(cio_gen_t *g)
{
    return gen_check(g) ? -EINVAL : gen_close(g);
}

int cio_gen_yield(void *value, void **sent)
{
    if (sent)
        *sent = NULL;
    struct cio__task *t = cio__tls.task;
    cio_gen_t *g = t ? t->stack->gen : NULL;
    if (!g || g->task != t || g->state != G_RUNNING)
        return CIO_EINVALSTATE;
    if (g->closing) {
        /* asyncio: "async generator ignored GeneratorExit".  It must end. */
        g->ignored_exit = 1;
        return CIO_EGENEXIT;
    }
    g->value = value;
    g->state = G_SUSPENDED;
    switch_out(g, false);
    /* Resumed by next, send, throw or close. */
    if (sent)
        *sent = g->value;
    return g->in_rc;
}

static void all_remove(cio_gen_t *g)
{
    if (g->all_prev)
        g->all_prev->all_next = g->all_next;
    else
        g->loop->all_gens = g->all_next;
    if (g->all_next)
        g->all_next->all_prev = g->all_prev;
    g->all_prev = g->all_next = NULL;
}

static void gen_destroy(cio_gen_t *g)
{
    if (!g->loop) { /* let go of by its runner's shutdown: finished, no stack */
        g->obj.magic = CIO__MAGIC_DEAD;
        cio__free(g);
        return;
    }
    if (g->stack) { /* suspended and never closed: discard its frames */
        g->stack->gen = NULL;
        cio__stack_put(&g->loop->stacks, g->stack);
        live_remove(g);
    }
    all_remove(g);
    g->loop->nobjs--;
    g->obj.magic = CIO__MAGIC_DEAD;
    cio__free(g);
}

static void report_close(cio_gen_t *g, int rc)
{
    if (rc < 0)
        cio__loop_report(g->loop, "an error occurred during closing of an asynchronous generator", rc, NULL, NULL,
                         NULL);
}

/* asyncio's finalizer hook: close a generator freed outside its loop's
 * tasks, then free it. */
static int finalize_task(void *arg, void **result)
{
    cio_gen_t *g = arg;
    report_close(g, gen_close(g));
    gen_destroy(g);
    return 0;
}

int cio_gen_free(cio_gen_t *g)
{
    if (!g)
        return 0;
    if (gen_check(g))
        return -EINVAL;
    if (g->state == G_RUNNING)
        return -EBUSY;
    if (g->state == G_SUSPENDED) {
        struct cio__task *t = cio__tls.task;
        if (t && t->fut.loop == g->loop) {
            report_close(g, gen_close(g));
        } else if (cio__tls.running == g->loop) {
            /* A callback of its loop: close it in a task started at once. */
            g->obj.magic = CIO__MAGIC_DEAD; /* the user's handle is gone */
            cio_task_opts_t o = {.name = "asyncgen-finalizer", .eager = 1};
            int rc = cio_loop_create_task(g->loop, finalize_task, g, &o, NULL);
            if (rc == 0)
                return 0;
            report_close(g, rc); /* its cleanup cannot run: reported as a failed close */
        }
    }
    gen_destroy(g);
    return 0;
}

int cio_loop_shutdown_asyncgens(void)
{
    struct cio__task *t = cio__tls.task;
    if (!t)
        return CIO_ENOTASK;
    cio_loop_t *loop = t->fut.loop;
    int n = 0;
    /* Closing one may start or end others: take the first suspended one
     * each time. */
    for (;;) {
        cio_gen_t *g = loop->gens;
        while (g && g->state != G_SUSPENDED)
            g = g->live_next;
        if (!g)
            break;
        report_close(g, gen_close(g));
        n++;
    }
    return n;
}

static int shutdown_task(void *arg, void **result)
{
    return cio_loop_shutdown_asyncgens();
}

/* The end of asyncio.run: every generator was finalized (closed), and the
 * loop may close although the user still holds some (asyncio's stay alive,
 * closed, with no loop).  Finished or never started ones leave the loop: it
 * no longer counts them, and a later cio_gen_free frees just the object. */
void cio__gen_release_finished(cio_loop_t *loop)
{
    cio_gen_t *g = loop->all_gens;
    while (g) {
        cio_gen_t *next = g->all_next;
        if (g->state == G_CREATED || g->state == G_FINISHED) {
            g->state = G_FINISHED;
            all_remove(g);
            loop->nobjs--;
            g->loop = NULL;
        }
        g = next;
    }
}

void cio__gen_close_all(cio_loop_t *loop)
{
    if (loop->gens)
        cio_loop_create_task(loop, shutdown_task, NULL, NULL, NULL);
}
