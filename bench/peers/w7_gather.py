"""W7 gather: create N tasks that return immediately (all created before any
runs), then await them all with one asyncio.gather(*tasks).
usage: w7_gather.py [--uvloop] [N]   (default 100k; N=0 measures the baseline RSS)"""
import asyncio
import time
from _common import parse, run


async def noop():
    return None


async def main(n):
    create = asyncio.get_running_loop().create_task
    t0 = time.perf_counter()
    tasks = [create(noop()) for _ in range(n)]
    await asyncio.gather(*tasks)
    dt = time.perf_counter() - t0
    print(f"tasks={n} ns_per_task={dt * 1e9 / max(n, 1):.1f} secs={dt:.3f}")


if __name__ == "__main__":
    _, args = parse()
    run(main, int(args[0]) if args else 100_000)
