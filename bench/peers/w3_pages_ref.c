/* W3 and W8 cold, reference floor for stackful tasks: what a design that
 * gives every sleeping task a stack of its own cannot beat on this machine.
 * N fresh 4 KiB pages, one per task, spaced as cio's stacks are (64 KiB of
 * stack and a guard page), each mapped and then written once; mapped as
 * cio's stack slabs map the top pages of their stacks (process_madvise with
 * MADV_POPULATE_WRITE, 64 pages per call), falling back to plain faults
 * where the kernel refuses.  No event loop, no timers, no switching: the
 * time is the kernel's alone.  Built by bench/run.sh as the "ref-c-pages"
 * row of W3 and W8.
 * usage: w3_pages_ref [N]   (default 100k)
 * prints: tasks= overhead_ms= overhead_ns_per_task= populate=1|0 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 100000;
    if (n < 0)
        return 2;
    const size_t ps = 4096, stride = 64 * 1024 + ps;
    char *m = mmap(NULL, stride * (size_t)(n ? n : 1), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    double t0 = now_ms();
    int populate = 0;
#if defined(SYS_process_madvise) && defined(SYS_pidfd_open)
    int pfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
    if (pfd >= 0) {
        populate = 1;
        struct iovec iov[64];
        for (long i = 0; i < n && populate;) {
            size_t k = 0;
            for (; k < 64 && i < n; k++, i++) {
                iov[k].iov_base = m + stride * (size_t)(i + 1) - ps;
                iov[k].iov_len = ps;
            }
            if (syscall(SYS_process_madvise, pfd, iov, k, MADV_POPULATE_WRITE, 0) < 0)
                populate = 0;
        }
        close(pfd);
    }
#endif
    for (long i = 0; i < n; i++) /* each page written once, as a task's first frames are */
        m[stride * (size_t)(i + 1) - 64] = 1;
    double dt = now_ms() - t0;
    printf("tasks=%ld overhead_ms=%.1f overhead_ns_per_task=%.1f populate=%d\n", n, dt,
           n ? dt * 1e6 / (double)n : 0.0, populate);
    return 0;
}
