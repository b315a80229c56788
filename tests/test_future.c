/* Futures: states, results, errors, done callbacks, awaiting. */
#include "harness.h"

static void t_states_and_result(void)
{
    cio_loop_t *loop = new_loop();
    cio_future_t *f;
    CHECK_RC(cio_loop_create_future(loop, &f), 0);
    void *v = (void *)1;
    CHECK_INT(cio_future_done(f), 0);
    CHECK_INT(cio_future_cancelled(f), 0);
    CHECK_RC(cio_future_result(f, &v), CIO_EINVALSTATE);
    CHECK(v == NULL);
    CHECK_RC(cio_future_exception(f), CIO_EINVALSTATE);
    CHECK_RC(cio_future_set_result(f, (void *)42), 0);
    CHECK_INT(cio_future_done(f), 1);
    CHECK_RC(cio_future_result(f, &v), 0);
    CHECK(v == (void *)42);
    CHECK_RC(cio_future_exception(f), 0);
    CHECK_RC(cio_future_set_result(f, NULL), CIO_EINVALSTATE);
    CHECK_RC(cio_future_set_exception(f, -EIO, NULL), CIO_EINVALSTATE);
    CHECK_INT(cio_future_cancel(f, NULL), 0);
    CHECK(cio_future_get_loop(f) == loop);
    cio_unref(f);
    free_loop(loop);
}

static int noop_coro(void *arg, void **result)
{
    return 0;
}

/* asyncio's isinstance(x, Task): a task and a future share one type. */
static void t_is_task(void)
{
    cio_loop_t *loop = new_loop();
    cio_future_t *f = NULL;
    cio_task_t *t = NULL;
    int junk[8] = {0};
    REQ_OK(cio_loop_create_future(loop, &f));
    REQ_OK(cio_loop_create_task(loop, noop_coro, NULL, NULL, &t));
    CHECK_RC(cio_is_task(f), 0);
    CHECK_RC(cio_is_task(t), 1);
    CHECK_RC(cio_is_task(NULL), -EINVAL);
    CHECK_RC(cio_is_task((cio_future_t *)junk), -EINVAL);
    CHECK_RC(cio_loop_run_until_complete(loop, t, NULL), 0);
    CHECK_RC(cio_is_task(t), 1); /* done, still a task */
out:
    cio_unref(f);
    loop_reap_task(loop, t);
    free_loop(loop);
}

static void t_exception_and_message(void)
{
    cio_loop_t *loop = new_loop();
    cio_future_t *f;
    CHECK_RC(cio_loop_create_future(loop, &f), 0);
    CHECK_RC(cio_future_set_exception(f, 5, NULL), -EINVAL);
    CHECK_RC(cio_future_set_exception(f, -ECANCELED, NULL), -EINVAL);
    CHECK_RC(cio_future_set_exception(f, -EPIPE, "broken pipe to peer"), 0);
    CHECK_RC(cio_future_exception(f), -EPIPE);
    CHECK_RC(cio_future_result(f, NULL), -EPIPE);
    CHECK_STR(cio_future_message(f), "broken pipe to peer");
    cio_unref(f);
    free_loop(loop);
}

static void t_cancel(void)
{
    cio_loop_t *loop = new_loop();
    cio_future_t *f;
    CHECK_RC(cio_loop_create_future(loop, &f), 0);
    CHECK_RC(cio_future_cancel(f, "stop it"), 1);
    CHECK_INT(cio_future_cancel(f, NULL), 0);
    CHECK_INT(cio_future_cancelled(f), 1);
    CHECK_INT(cio_future_done(f), 1);
    CHECK_RC(cio_future_result(f, NULL), -ECANCELED);
    CHECK_RC(cio_future_exception(f), -ECANCELED);
    CHECK_STR(cio_future_message(f), "stop it");
    CHECK_RC(cio_future_set_result(f, NULL), CIO_EINVALSTATE);
    cio_unref(f);
    free_loop(loop);
}

static int done_log(cio_future_t *f, void *arg)
{
    (void)f;
    log_event(arg);
    return 0;
}

static int stop_cb(void *arg)
{
    return cio_loop_stop(arg);
}

/* Run the loop until a stop scheduled now; when the stop cannot be
 * scheduled, its error, without running (cio_loop_free drops what is
 * pending). */
static int run_until_stopped(cio_loop_t *loop)
{
    int rc = cio_call_soon(loop, stop_cb, loop, NULL);
    return rc < 0 ? rc : cio_loop_run_forever(loop);
}

/* Done callbacks run through call_soon, in registration order, never inside
 * set_result; one added to a done future is scheduled, not run at once. */
static void t_done_callbacks_order(void)
{
    cio_loop_t *loop = new_loop();
    cio_future_t *f;
    CHECK_RC(cio_loop_create_future(loop, &f), 0);
    CHECK_RC(cio_future_add_done_callback(f, done_log, "1"), 0);
    CHECK_RC(cio_future_add_done_callback(f, done_log, "2"), 0);
    CHECK_RC(cio_future_add_done_callback(f, done_log, "x"), 0);
    CHECK_RC(cio_future_add_done_callback(f, done_log, "3"), 0);
    CHECK_RC(cio_future_add_done_callback(f, done_log, "x"), 0);
    CHECK_INT(cio_future_remove_done_callback(f, done_log, "x"), 2);
    CHECK_INT(cio_future_remove_done_callback(f, done_log, "nope"), 0);
    CHECK_RC(cio_future_set_result(f, NULL), 0);
    CHECK_ORDER(""); /* not inside set_result */
    CHECK_RC(cio_future_add_done_callback(f, done_log, "late"), 0);
    CHECK_ORDER("");
    CHECK_RC(run_until_stopped(loop), 0);
    CHECK_ORDER("1 2 3 late");
    cio_unref(f);
    free_loop(loop);
}

static int done_fail(cio_future_t *f, void *arg)
{
    (void)f;
    (void)arg;
    return -EIO;
}

static int handler_calls;
static void count_handler(cio_loop_t *loop, const cio_exc_context_t *ctx, void *ud)
{
    (void)loop;
    (void)ud;
    CHECK_RC(ctx->error, -EIO);
    handler_calls++;
}

static void t_done_callback_error_to_handler(void)
{
    cio_loop_t *loop = new_loop();
    handler_calls = 0;
    cio_loop_set_exception_handler(loop, count_handler, NULL);
    cio_future_t *f;
    CHECK_RC(cio_loop_create_future(loop, &f), 0);
    CHECK_RC(cio_future_add_done_callback(f, done_fail, NULL), 0);
    CHECK_RC(cio_future_add_done_callback(f, done_log, "next"), 0);
    CHECK_RC(cio_future_cancel(f, NULL), 1);
    CHECK_RC(run_until_stopped(loop), 0);
    CHECK_INT(handler_calls, 1);
    CHECK_ORDER("next");
    cio_unref(f);
    free_loop(loop);
}

static int set_later(void *arg)
{
    return cio_future_set_result(arg, (void *)7);
}

static void t_run_until_complete_future(void)
{
    cio_loop_t *loop = new_loop();
    cio_future_t *f = NULL;
    cio_handle_t *h = NULL;
    REQ_RC(cio_loop_create_future(loop, &f));
    REQ_RC(cio_call_later(loop, 0.01, set_later, f, &h));
    void *v = NULL;
    CHECK_RC(cio_loop_run_until_complete(loop, f, &v), 0);
    CHECK(v == (void *)7);
    cio_handle_cancel(h); /* in case it did not run: it refers to f */
    cio_unref(h);
    h = NULL;
    cio_unref(f);
    f = NULL;
    /* Stopped before the future completes. */
    REQ_RC(cio_loop_create_future(loop, &f));
    REQ_RC(cio_call_soon(loop, stop_cb, loop, NULL));
    CHECK_RC(cio_loop_run_until_complete(loop, f, &v), CIO_ESTOPPED);
out:
    if (h) {
        cio_handle_cancel(h);
        cio_unref(h);
    }
    if (f)
        cio_unref(f);
    free_loop(loop);
}

/* Error never retrieved: reported to the handler when the future is freed. */
static int never_calls;
static void never_handler(cio_loop_t *loop, const cio_exc_context_t *ctx, void *ud)
{
    (void)loop;
    (void)ud;
    if (ctx->message && strstr(ctx->message, "never retrieved"))
        never_calls++;
}

static void t_exception_never_retrieved(void)
{
    cio_loop_t *loop = new_loop();
    never_calls = 0;
    cio_loop_set_exception_handler(loop, never_handler, NULL);
    cio_future_t *f, *g;
    CHECK_RC(cio_loop_create_future(loop, &f), 0);
    CHECK_RC(cio_loop_create_future(loop, &g), 0);
    cio_future_set_exception(f, -EIO, NULL);
    cio_future_set_exception(g, -EIO, NULL);
    CHECK_RC(cio_future_exception(g), -EIO); /* retrieved */
    cio_unref(f);
    cio_unref(g);
    CHECK_INT(never_calls, 1);
    free_loop(loop);
}

static void t_bad_arguments(void)
{
    int junk[16] = {0};
    cio_future_t *f = NULL;
    CHECK_RC(cio_loop_create_future(NULL, &f), -EINVAL);
    CHECK_RC(cio_loop_create_future(NULL, NULL), -EINVAL);
    CHECK(cio_create_future() == NULL); /* no running loop */
    CHECK_RC(cio_future_set_result(NULL, NULL), -EINVAL);
    CHECK_RC(cio_future_set_result((cio_future_t *)junk, NULL), -EINVAL);
    CHECK_RC(cio_future_set_exception(NULL, -EIO, NULL), -EINVAL);
    CHECK_RC(cio_future_cancel(NULL, NULL), -EINVAL);
    CHECK_RC(cio_future_done(NULL), -EINVAL);
    CHECK_RC(cio_future_cancelled(NULL), -EINVAL);
    CHECK_RC(cio_future_result(NULL, NULL), -EINVAL);
    CHECK_RC(cio_future_exception(NULL), -EINVAL);
    CHECK(cio_future_message(NULL) == NULL);
    CHECK(cio_future_get_loop(NULL) == NULL);
    CHECK_RC(cio_future_add_done_callback(NULL, done_log, NULL), -EINVAL);
    CHECK_RC(cio_future_remove_done_callback(NULL, done_log, NULL), -EINVAL);
    CHECK_RC(cio_await(NULL, NULL), -EINVAL);
    cio_loop_t *loop = new_loop();
    CHECK_RC(cio_loop_create_future(loop, &f), 0);
    CHECK_RC(cio_future_add_done_callback(f, NULL, NULL), -EINVAL);
    CHECK_RC(cio_await(f, NULL), CIO_ENOTASK); /* outside a task */
    cio_unref(f);
    CHECK_RC(cio_unref(NULL), 0);
    free_loop(loop);
}

static const struct test_case cases[] = {
    TEST(t_states_and_result),
    TEST(t_exception_and_message),
    TEST(t_cancel),
    TEST(t_done_callbacks_order),
    TEST(t_done_callback_error_to_handler),
    TEST(t_run_until_complete_future),
    TEST(t_exception_never_retrieved),
    TEST(t_bad_arguments),
    TEST(t_is_task),
};

int main(int argc, char **argv)
{
    return run_tests(argc, argv, cases, NCASES(cases));
}
