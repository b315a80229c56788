"""W8 wait_for: N tasks each await asyncio.wait_for(asyncio.sleep(1), 10)
concurrently (inside one TaskGroup, as W3): the timeout is set and cancelled
without firing.
usage: w8_wait_for.py [--uvloop] [N]   (default 100k; N=0 measures the baseline RSS)"""
import asyncio
import time
from _common import parse, run


async def sleeper():
    await asyncio.wait_for(asyncio.sleep(1.0), 10.0)


async def main(n):
    t0 = time.perf_counter()
    async with asyncio.TaskGroup() as tg:
        create = tg.create_task
        for _ in range(n):
            create(sleeper())
    dt = time.perf_counter() - t0
    over = (dt - 1.0) * 1e3 if n else 0.0
    print(f"tasks={n} secs={dt:.3f} overhead_ms={over:.1f} "
          f"overhead_ns_per_task={over * 1e6 / n if n else 0:.1f}")


if __name__ == "__main__":
    _, args = parse()
    run(main, int(args[0]) if args else 100_000)
