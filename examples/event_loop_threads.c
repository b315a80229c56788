/* event_loop_threads: seed 003, "1. Event loops": two threads, each running
 * an event loop of its own.
 *
 *     async def do_something_important(sleep_for):
 *         print(colors[1] + f"Is event loop running in thread {current_thread().getName()} = "
 *               f"{asyncio.get_event_loop().is_running()}" + colors[0])
 *         await asyncio.sleep(sleep_for)
 *
 *     def launch_event_loops():
 *         loop = asyncio.new_event_loop()           # get a new event loop
 *         asyncio.set_event_loop(loop)              # set the event loop for the current thread
 *         loop.run_until_complete(do_something_important(random.randint(1, 5)))
 *         loop.close()                              # remember to close the loop
 *
 *     if __name__ == "__main__":
 *         thread_1 = Thread(target=launch_event_loops)
 *         thread_2 = Thread(target=launch_event_loops)
 *         start_time = time.perf_counter()
 *         thread_1.start()
 *         thread_2.start()
 *         print(colors[2] + f"Is event loop running in thread {current_thread().getName()} = "
 *               f"{asyncio.get_event_loop().is_running()}" + colors[0])
 *         thread_1.join()
 *         thread_2.join()
 *         end_time = time.perf_counter()
 *         execution_time = end_time - start_time
 *         print(colors[3] + f"Event Loop Start Time: {start_time}\nEvent Loop End Time: {end_time}\n"
 *               f"Event Loop Execution Time: {execution_time:0.2f} seconds." + colors[0])
 *
 * (The seed's text lost the lines that set, start and join; they are
 * restored here.)  Each thread sleeps 1 to 5 s at random, at the same time.
 * Expected: elapsed = the longer of the two sleeps, 1 to 5 s.
 */
#include <cio.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ANSI colors */
#define END "\033[0m"
#define RED "\033[31m"
#define GREEN "\033[32m"
#define BLUE "\033[34m"

static double perf_counter(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* asyncio.get_event_loop().is_running(), as Python prints it.  A thread with
 * no loop set has none (Python would make one, not running). */
static const char *event_loop_is_running(void)
{
    cio_loop_t *loop;
    return cio_get_event_loop(&loop) == 0 && cio_loop_is_running(loop) == 1 ? "True" : "False";
}

struct thread_job {
    const char *name; /* current_thread().getName() */
    int sleep_for;    /* random.randint(1, 5) */
    int rc;           /* the thread's outcome */
};

static int do_something_important(void *arg, void **result)
{
    struct thread_job *job = arg;
    printf(RED "Is event loop running in thread %s = %s" END "\n", job->name, event_loop_is_running());
    return cio_sleep(job->sleep_for);
}

static int run_in_new_loop(struct thread_job *job)
{
    cio_loop_t *loop;
    int rc = cio_loop_new(&loop); /* get a new event loop */
    if (rc < 0) return rc;
    rc = cio_set_event_loop(loop); /* set the event loop for the current thread */
    cio_task_t *task = NULL;
    if (rc == 0) rc = cio_loop_create_task(loop, do_something_important, job, NULL, &task);
    if (rc == 0) rc = cio_loop_run_until_complete(loop, task, NULL); /* run a coroutine on it */
    cio_unref(task);
    cio_set_event_loop(NULL);
    int close_rc = cio_loop_free(loop); /* remember to close the loop */
    return rc < 0 ? rc : close_rc;
}

static void *launch_event_loops(void *arg)
{
    struct thread_job *job = arg;
    job->rc = run_in_new_loop(job);
    return NULL;
}

int main(void)
{
    srand((unsigned)time(NULL));
    struct thread_job jobs[2] = {
        {"Thread-1", 1 + rand() % 5, 0},
        {"Thread-2", 1 + rand() % 5, 0},
    };
    pthread_t threads[2];
    int started = 0, failed = 0;

    double start_time = perf_counter();
    for (; started < 2; started++) {
        int err = pthread_create(&threads[started], NULL, launch_event_loops, &jobs[started]);
        if (err) {
            fprintf(stderr, "event_loop_threads: pthread_create: %s\n", strerror(err));
            failed = 1;
            break;
        }
    }
    printf(GREEN "Is event loop running in thread MainThread = %s" END "\n", event_loop_is_running());
    for (int i = 0; i < started; i++) {
        pthread_join(threads[i], NULL);
        if (jobs[i].rc < 0) {
            fprintf(stderr, "event_loop_threads: %s: %s\n", jobs[i].name, cio_strerror(jobs[i].rc));
            failed = 1;
        }
    }
    double end_time = perf_counter();
    if (failed) return 1;

    double execution_time = end_time - start_time;
    printf(BLUE "Event Loop Start Time: %.9f\nEvent Loop End Time: %.9f\nEvent Loop Execution Time: %.2f seconds." END
                "\n",
           start_time, end_time, execution_time);
    printf("elapsed: %.2f s\n", execution_time);
    return 0;
}
