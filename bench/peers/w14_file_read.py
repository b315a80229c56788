"""W14's Python peer: TASKS coroutines each reading 4 KiB blocks at random
offsets of PATH (made by w14_file_read, in the page cache) for SECS seconds,
through aiofiles: os.pread wrapped by aiofiles.os.wrap (one hop to the
loop's default executor per read, as aiofiles' own calls make; aiofiles'
file objects have no pread, and seek + read would race between tasks).
usage: w14_file_read.py [--uvloop] PATH [SECS [TASKS [FILE_MB]]]
prints ops_per_s=... ops=... secs=... tasks=..."""
import os
import time

import aiofiles.os
from _common import parse, run

pread = aiofiles.os.wrap(os.pread)


async def main(path, secs, tasks, mb):
    fd = os.open(path, os.O_RDONLY)
    nblocks = mb * 256
    stop = False
    ops = 0

    async def reader(x):
        nonlocal ops
        m = (1 << 64) - 1
        n = 0
        while not stop:
            x ^= (x << 13) & m
            x ^= x >> 7
            x ^= (x << 17) & m
            b = await pread(fd, 4096, (x % nblocks) * 4096)
            if len(b) != 4096:
                raise OSError("short read")
            n += 1
        ops += n

    import asyncio

    def halt():
        nonlocal stop
        stop = True

    t0 = time.perf_counter()
    asyncio.get_running_loop().call_later(secs, halt)
    await asyncio.gather(*[reader(((i + 1) * 0x9E3779B97F4A7C15 + 1) & ((1 << 64) - 1)) for i in range(tasks)])
    el = time.perf_counter() - t0
    os.close(fd)
    print(f"ops_per_s={ops / el:.0f} ops={ops} secs={el:.2f} tasks={tasks}")


if __name__ == "__main__":
    _, a = parse()
    run(main, a[0], int(a[1]) if len(a) > 1 else 5, int(a[2]) if len(a) > 2 else 64,
        int(a[3]) if len(a) > 3 else 256)
