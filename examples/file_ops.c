/* file_ops: file operations beside everything else the loop runs (seed 002:
 * asyncio is for "network requests, database interactions, or file
 * operations").  Five tasks write a report file each, at the same time,
 * while a ticker task shows that the loop never stops for the disk; then
 * the five are read back by gather, one is read line by line, renamed,
 * and everything is removed.  The Python it mirrors (with aiofiles):
 *
 *     import asyncio, aiofiles, aiofiles.os, os
 *
 *     async def write_report(folder, n):
 *         async with aiofiles.open(f"{folder}/report-{n}.txt", "w") as f:
 *             for i in range(1, 4):
 *                 await f.write(f"report {n}: line {i}\n")
 *             await f.flush(); os.fsync(f.fileno())
 *
 *     async def read_report(folder, n):
 *         async with aiofiles.open(f"{folder}/report-{n}.txt") as f:
 *             return await f.read()
 *
 *     async def main():
 *         folder = f"/tmp/file_ops-{os.getpid()}"
 *         await aiofiles.os.mkdir(folder)
 *         await asyncio.gather(*(write_report(folder, n) for n in range(1, 6)))
 *         texts = await asyncio.gather(*(read_report(folder, n) for n in range(1, 6)))
 *         async with aiofiles.open(f"{folder}/report-3.txt") as f:
 *             async for line in f:
 *                 print(line, end="")
 *         await aiofiles.os.rename(f"{folder}/report-3.txt", f"{folder}/final.txt")
 *         ...
 *
 *     asyncio.run(main())
 *
 * Expected: the backend in use (io_uring or threadpool), five "wrote"
 * lines, each report's size and line count, report 3's three lines, the
 * rename, and "removed".  Exit status 0. */
#include <cio.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define NREPORTS 5

static char folder[64];
static int ticks, writing = 1;

static const char *report_path(char *buf, size_t cap, intptr_t n)
{
    snprintf(buf, cap, "%s/report-%d.txt", folder, (int)n);
    return buf;
}

/* Runs while the files are written: the loop is free between operations. */
static int ticker(void *arg, void **result)
{
    (void)arg, (void)result;
    while (writing) {
        ticks++;
        int rc = cio_sleep(0.001);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int write_report(void *arg, void **result)
{
    (void)result;
    intptr_t n = (intptr_t)arg;
    char path[128], line[64];
    cio_file_t *f;
    int rc = cio_file_open(report_path(path, sizeof path, n), O_WRONLY | O_CREAT | O_TRUNC, 0644, &f);
    if (rc < 0)
        return rc;
    for (int i = 1; i <= 3 && rc == 0; i++) {
        int len = snprintf(line, sizeof line, "report %d: line %d\n", (int)n, i);
        ssize_t w = cio_file_write(f, line, (size_t)len);
        rc = w < 0 ? (int)w : 0;
    }
    if (rc == 0)
        rc = cio_file_fsync(f); /* on the disk before we say so */
    int crc = cio_file_close(f);
    cio_file_free(f);
    if (rc == 0 && crc < 0)
        rc = crc;
    if (rc == 0)
        printf("wrote %s\n", path);
    return rc;
}

static int read_report(void *arg, void **result)
{
    char path[128], *text;
    ssize_t len = cio_file_read_all(report_path(path, sizeof path, (intptr_t)arg), &text);
    if (len < 0)
        return (int)len;
    *result = text; /* freed by main with cio_free */
    return 0;
}

static int file_ops(void *arg, void **result)
{
    (void)arg, (void)result;
    cio_loop_t *loop;
    const char *backend;
    cio_get_running_loop(&loop);
    cio_file_backend(loop, &backend);
    printf("file backend: %s\n", backend);
    snprintf(folder, sizeof folder, "/tmp/file_ops-%d", (int)getpid());
    int rc = cio_file_mkdir(folder, 0755);
    if (rc < 0) {
        fprintf(stderr, "mkdir %s: %s\n", folder, cio_strerror(rc));
        return rc;
    }

    /* Write the reports concurrently, the ticker beside them. */
    cio_task_t *tick = cio_create_task(ticker, NULL);
    cio_call_t calls[NREPORTS];
    for (intptr_t i = 0; i < NREPORTS; i++)
        calls[i] = (cio_call_t){write_report, (void *)(i + 1)};
    rc = cio_gather_calls(calls, NREPORTS, NULL, NULL, 0);
    writing = 0;
    if (tick) {
        cio_await(tick, NULL);
        cio_unref(tick);
    }
    printf("the ticker ran %s while the files were written\n", ticks > 0 ? "on" : "(not at all)");

    /* Read them back concurrently: results in argument order. */
    void *texts[NREPORTS] = {0};
    for (intptr_t i = 0; i < NREPORTS; i++)
        calls[i] = (cio_call_t){read_report, (void *)(i + 1)};
    if (rc == 0)
        rc = cio_gather_calls(calls, NREPORTS, texts, NULL, 0);
    for (int i = 0; i < NREPORTS; i++) {
        if (texts[i]) {
            int lines = 0;
            for (const char *p = texts[i]; *p; p++)
                lines += *p == '\n';
            printf("report-%d.txt: %zu bytes, %d lines\n", i + 1, strlen(texts[i]), lines);
        }
        cio_free(texts[i]);
    }

    /* One report line by line: asyncio's readline, over a file. */
    char path[128], final[128], line[128];
    cio_file_t *f;
    if (rc == 0 && (rc = cio_file_open(report_path(path, sizeof path, 3), O_RDONLY, 0, &f)) == 0) {
        ssize_t n;
        while ((n = cio_file_readline(f, line, sizeof line)) > 0)
            printf("  | %.*s", (int)n, line);
        if (n < 0)
            rc = (int)n;
        cio_file_free(f);
    }
    snprintf(final, sizeof final, "%s/final.txt", folder);
    if (rc == 0 && (rc = cio_file_rename(path, final)) == 0)
        printf("renamed report-3.txt to final.txt\n");

    /* Clean up whatever exists. */
    cio_file_unlink(final);
    for (intptr_t i = 1; i <= NREPORTS; i++)
        cio_file_unlink(report_path(path, sizeof path, i));
    int rrc = cio_file_rmdir(folder);
    if (rrc == 0)
        printf("removed %s\n", folder);
    if (rc < 0)
        fprintf(stderr, "file_ops: %s\n", cio_strerror(rc));
    return rc < 0 ? rc : rrc;
}

int main(void)
{
    return cio_run(file_ops, NULL, NULL) < 0;
}
