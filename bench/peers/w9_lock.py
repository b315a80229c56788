"""W9 lock: TASKS tasks (100) contend for one asyncio.Lock, N acquisitions
(1M) in all, split evenly (the first N % TASKS tasks do one more).  One
acquisition is exactly what bench/w9_lock.c does:

    async with lock:        # cio_lock_acquire; counter++; cio_lock_release
        counter += 1
    await asyncio.sleep(0)  # cio_yield

With HOLD=0 the lock is never held across a suspension, so no acquire ever
waits.  With HOLD=1, the default, the sleep(0) moves inside the `async with`:
every acquisition is then a hand-over to a waiting task, as in w9_lock.c.
The tasks are created, then
awaited by one gather; time from before the first creation to its end.
usage: w9_lock.py [--uvloop] [N [HOLD [TASKS]]]   (defaults 1M, 1, 100)"""
import asyncio
import sys
import time
from _common import parse, run


async def main(n, hold, ntasks):
    lock = asyncio.Lock()
    counter = 0
    inside = 0
    overlaps = 0
    sleep = asyncio.sleep

    async def worker(k):
        nonlocal counter, inside, overlaps
        for _ in range(k):
            async with lock:
                if inside:
                    overlaps += 1
                inside += 1
                counter += 1
                if hold:
                    await sleep(0)
                inside -= 1
            if not hold:
                await sleep(0)

    create = asyncio.get_running_loop().create_task
    t0 = time.perf_counter()
    tasks = [create(worker(n // ntasks + (i < n % ntasks))) for i in range(ntasks)]
    await asyncio.gather(*tasks)
    dt = time.perf_counter() - t0
    if counter != n or overlaps:
        print(f"w9_lock.py: counter={counter} of {n}, {overlaps} acquisitions while the lock was held",
              file=sys.stderr)
        sys.exit(1)
    print(f"tasks={ntasks} acquisitions={n} hold={int(bool(hold))} "
          f"ns_per_acquire={dt * 1e9 / max(n, 1):.1f} secs={dt:.3f}")


if __name__ == "__main__":
    _, args = parse()
    a = [int(x) for x in args] + [1_000_000, 1, 100][len(args):]
    run(main, a[0], a[1], a[2])
