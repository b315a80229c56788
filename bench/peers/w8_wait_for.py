"""W8 wait_for: N tasks each await asyncio.wait_for(asyncio.sleep(1), 10)
concurrently (inside one TaskGroup, as W3): the timeout is set and cancelled
without firing.  With WAVES > 1 the same is done again, one wave after the
other, in the same process, as cio's w8_wait_for does; their times are
reported as waveK_*.
usage: w8_wait_for.py [--uvloop] [N [WAVES]]   (default 100k, 1; N=0
measures the baseline RSS)"""
import asyncio
import time
from _common import parse, run


async def sleeper():
    await asyncio.wait_for(asyncio.sleep(1.0), 10.0)


async def main(n, waves):
    parts = []
    for w in range(1, waves + 1):
        t0 = time.perf_counter()
        async with asyncio.TaskGroup() as tg:
            create = tg.create_task
            for _ in range(n):
                create(sleeper())
        dt = time.perf_counter() - t0
        over = (dt - 1.0) * 1e3 if n else 0.0
        per = over * 1e6 / n if n else 0.0
        p = "" if w == 1 else f"wave{w}_"
        parts.append(f"{p}secs={dt:.3f} {p}overhead_ms={over:.1f} {p}overhead_ns_per_task={per:.1f}")
    print(f"tasks={n} " + " ".join(parts))


if __name__ == "__main__":
    _, args = parse()
    run(main, int(args[0]) if args else 100_000, max(1, int(args[1])) if len(args) > 1 else 1)
