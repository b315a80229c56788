"""W11 spawn: N children of /bin/true (1000), at most CONC (50) at a time:
one coroutine per child, each holding a unit of an asyncio.Semaphore(CONC)
around asyncio.create_subprocess_exec("/bin/true") and proc.wait(), all
awaited by one asyncio.gather.  The children inherit the standard streams.
Time from before the first coroutine is created until the gather ends.
Every child's returncode must be 0, else the script fails (exit 1).
usage: w11_spawn.py [--uvloop] [N [CONC]]   (defaults 1000, 50)"""
import asyncio
import sys
import time
from _common import parse, run


async def main(n, conc):
    sem = asyncio.Semaphore(conc)
    bad = []

    async def one():
        async with sem:
            proc = await asyncio.create_subprocess_exec("/bin/true")
            rc = await proc.wait()
        if rc != 0:
            bad.append(rc)

    t0 = time.perf_counter()
    await asyncio.gather(*[one() for _ in range(n)])
    dt = time.perf_counter() - t0
    if bad:
        print(f"w11_spawn.py: {len(bad)} of {n} children of /bin/true ended with a returncode "
              f"other than 0 (the first: {bad[0]})", file=sys.stderr)
        sys.exit(1)
    print(f"children={n} concurrency={conc} total_s={dt:.3f} us_per_child={dt * 1e6 / max(n, 1):.1f} "
          f"children_per_s={n / dt if dt > 0 else 0:.0f}")


if __name__ == "__main__":
    _, args = parse()
    a = [int(x) for x in args] + [1000, 50][len(args):]
    run(main, a[0], a[1])
