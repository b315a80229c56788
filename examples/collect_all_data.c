/* collect_all_data: seed 002, the step-by-step walkthrough: fetch_data for
 * items 1..5 as tasks awaited by gather, then the same work done
 * synchronously for comparison.
 *
 *     async def fetch_data(item_id):
 *         print(f"Fetching data for item {item_id}...")
 *         await asyncio.sleep(abs(5 - item_id))   # Variable sleep times
 *         print(f"Finished fetching data for item {item_id}.")
 *         return f"Data for item {item_id}"
 *
 *     async def collect_all_data(item_ids):
 *         print("Starting data collection...")
 *         tasks = []
 *         for item_id in item_ids:
 *             task = asyncio.create_task(fetch_data(item_id))
 *             tasks.append(task)
 *         results = await asyncio.gather(*tasks)
 *         print("Finished data collection.")
 *         return results
 *
 *     def fetch_data_sync(item_id):
 *         print(f"Sync: Fetching data for item {item_id}...")
 *         time.sleep(abs(5 - item_id))
 *         print(f"Sync: Finished fetching data for item {item_id}.")
 *         return f"Sync Data for item {item_id}"
 *
 *     def collect_all_data_sync(item_ids):
 *         print("Sync: Starting data collection...")
 *         results = []
 *         for item_id in item_ids:
 *             results.append(fetch_data_sync(item_id))  # Blocking call
 *         print("Sync: Finished data collection.")
 *         return results
 *
 *     if __name__ == "__main__":
 *         item_list = [1, 2, 3, 4, 5]
 *         print("--- Running Asyncio Version ---")
 *         start_time_async = time.time()
 *         asyncio_results = asyncio.run(collect_all_data(item_list))
 *         end_time_async = time.time()
 *         print(f"Asyncio Results: {asyncio_results}")
 *         print(f"Asyncio Total time: {end_time_async - start_time_async:.2f} seconds")
 *         print("\n--- Running Synchronous Version ---")
 *         start_time_sync = time.time()
 *         sync_results = collect_all_data_sync(item_list)
 *         end_time_sync = time.time()
 *         print(f"Sync Results: {sync_results}")
 *         print(f"Synchronous Total time: {end_time_sync - start_time_sync:.2f} seconds")
 *
 * The fetches sleep 4, 3, 2, 1 and 0 s.  Item 5 finishes first and item 1
 * last, yet gather hands the results back in argument order.  Expected:
 * asyncio ~4 s (the longest sleep), synchronous ~10 s (the sum), elapsed
 * ~14 s in all.
 */
#include <cio.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NITEMS 5

static double perf_counter(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One item to fetch; data receives the fetched string. */
struct item {
    int id;
    char data[32];
};

static int fetch_data(void *arg, void **result)
{
    struct item *item = arg;
    printf("Fetching data for item %d...\n", item->id);
    int rc = cio_sleep(abs(5 - item->id)); /* a network or database call */
    if (rc < 0) return rc;
    printf("Finished fetching data for item %d.\n", item->id);
    snprintf(item->data, sizeof item->data, "Data for item %d", item->id);
    *result = item->data;
    return 0;
}

struct collection {
    struct item *items; /* owned by main: a task may outlive a failed gather */
    size_t n;
    void **results; /* n entries */
};

static int collect_all_data(void *arg, void **result)
{
    struct collection *c = arg;
    puts("Starting data collection...");
    cio_task_t **tasks = calloc(c->n, sizeof *tasks);
    if (!tasks) return -ENOMEM;
    int rc = 0;
    for (size_t i = 0; i < c->n && rc == 0; i++) {
        tasks[i] = cio_create_task(fetch_data, &c->items[i]);
        if (!tasks[i]) rc = -ENOMEM;
    }
    /* results in the order of tasks[], whatever order they finish in */
    if (rc == 0) rc = cio_gather(tasks, c->n, c->results, NULL, 0);
    for (size_t i = 0; i < c->n; i++) cio_unref(tasks[i]);
    free(tasks);
    if (rc < 0) return rc;
    puts("Finished data collection.");
    *result = c->results;
    return 0;
}

/* time.sleep: blocks the whole program */
static int sleep_seconds(time_t seconds)
{
    struct timespec left = {seconds, 0};
    while (nanosleep(&left, &left) < 0)
        if (errno != EINTR) return -errno;
    return 0;
}

static int fetch_data_sync(struct item *item)
{
    printf("Sync: Fetching data for item %d...\n", item->id);
    int rc = sleep_seconds(abs(5 - item->id));
    if (rc < 0) return rc;
    printf("Sync: Finished fetching data for item %d.\n", item->id);
    snprintf(item->data, sizeof item->data, "Sync Data for item %d", item->id);
    return 0;
}

static int collect_all_data_sync(struct item *items, size_t n)
{
    puts("Sync: Starting data collection...");
    for (size_t i = 0; i < n; i++) {
        int rc = fetch_data_sync(&items[i]); /* blocking call */
        if (rc < 0) return rc;
    }
    puts("Sync: Finished data collection.");
    return 0;
}

/* A list of strings as Python prints it: ['a', 'b'] */
static void print_list(const char *label, void *const *strs, size_t n)
{
    printf("%s: [", label);
    for (size_t i = 0; i < n; i++) printf("%s'%s'", i ? ", " : "", (const char *)strs[i]);
    puts("]");
}

int main(void)
{
    static const int item_list[NITEMS] = {1, 2, 3, 4, 5};
    struct item items[NITEMS];
    for (size_t i = 0; i < NITEMS; i++) items[i] = (struct item){.id = item_list[i]};
    void *results[NITEMS];
    struct collection c = {items, NITEMS, results};
    void *asyncio_results;

    double start = perf_counter();
    puts("--- Running Asyncio Version ---");
    double start_time_async = perf_counter();
    int rc = cio_run(collect_all_data, &c, &asyncio_results);
    double end_time_async = perf_counter();
    if (rc < 0) {
        fprintf(stderr, "collect_all_data: %s\n", cio_strerror(rc));
        return 1;
    }
    print_list("Asyncio Results", asyncio_results, NITEMS);
    printf("Asyncio Total time: %.2f seconds\n", end_time_async - start_time_async);

    puts("\n--- Running Synchronous Version ---");
    double start_time_sync = perf_counter();
    rc = collect_all_data_sync(items, NITEMS);
    double end_time_sync = perf_counter();
    if (rc < 0) {
        fprintf(stderr, "collect_all_data_sync: %s\n", strerror(-rc));
        return 1;
    }
    void *sync_results[NITEMS];
    for (size_t i = 0; i < NITEMS; i++) sync_results[i] = items[i].data;
    print_list("Sync Results", sync_results, NITEMS);
    printf("Synchronous Total time: %.2f seconds\n", end_time_sync - start_time_sync);
    printf("elapsed: %.2f s\n", perf_counter() - start);
    return 0;
}
