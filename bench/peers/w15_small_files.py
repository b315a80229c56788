"""W15's Python peer: N files in a fresh folder under DIR, CONC coroutines
each taking the next index, through aiofiles: aiofiles.open(path, "wb"),
write 4 KiB, flush, fsync (os.fsync wrapped by aiofiles.os.wrap: aiofiles
has none of its own), close.
usage: w15_small_files.py [--uvloop] DIR [N [CONC]]
prints files_per_s=... total_s=... n=... conc=..."""
import asyncio
import os
import shutil
import tempfile
import time

import aiofiles
import aiofiles.os
from _common import parse, run

fsync = aiofiles.os.wrap(os.fsync)


async def main(base, n, conc):
    folder = tempfile.mkdtemp(prefix="py-w15-", dir=base)
    data = b"x" * 4096
    nxt = 0

    async def writer():
        nonlocal nxt
        while nxt < n:
            i = nxt
            nxt += 1
            async with aiofiles.open(os.path.join(folder, f"f{i}"), "wb") as f:
                await f.write(data)
                await f.flush()
                await fsync(f.fileno())

    t0 = time.perf_counter()
    await asyncio.gather(*[writer() for _ in range(conc)])
    el = time.perf_counter() - t0
    shutil.rmtree(folder)
    print(f"files_per_s={n / el:.0f} total_s={el:.3f} n={n} conc={conc}")


if __name__ == "__main__":
    _, a = parse()
    run(main, a[0], int(a[1]) if len(a) > 1 else 10000, int(a[2]) if len(a) > 2 else 64)
