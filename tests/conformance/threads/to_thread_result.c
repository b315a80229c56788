/* from: test_threads.py::ToThreadTests::test_to_thread / test_to_thread_exception */
#include "conf.h"
#include <pthread.h>

static pthread_t main_thread;

static int work(void *arg, void **result)
{
    *result = IV(VI(arg) * 2 + (pthread_equal(pthread_self(), main_thread) ? 0 : 1000));
    return 0;
}
static int fail(void *arg, void **result) { return EMYERR; }

static int amain(void *arg, void **result)
{
    void *v;
    cio_to_thread(work, IV(21), &v);
    P("to_thread returned %d ran in another thread: %s", VI(v) % 1000, B(VI(v) >= 1000));
    int rc = cio_to_thread(fail, NULL, &v);
    P("to_thread raised %s", EXC(rc));
    return 0;
}

int main(void)
{
    main_thread = pthread_self();
    return cio_run(amain, NULL, NULL) < 0;
}
