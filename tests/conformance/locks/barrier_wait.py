# from: test_locks.py::BarrierTests::test_barrier / test_wait_index (every party gets a distinct index; the barrier cycles)
import asyncio

async def party(b, i, out):
    idx = await b.wait()
    out.append(idx)
    print("party", i, "passed")

async def main():
    b = asyncio.Barrier(3)
    print("parties", b.parties, "n_waiting", b.n_waiting, "broken", b.broken)
    out = []
    ts = [asyncio.create_task(party(b, i, out)) for i in range(2)]
    await asyncio.sleep(0)
    print("n_waiting", b.n_waiting)
    ts.append(asyncio.create_task(party(b, 2, out)))
    await asyncio.gather(*ts)
    print("indices", sorted(out), "n_waiting", b.n_waiting)
    out.clear()
    await asyncio.gather(*(party(b, i, out) for i in range(3, 6)))
    print("second cycle indices", sorted(out))
    try:
        asyncio.Barrier(0)
    except ValueError:
        print("Barrier(0): ValueError")

asyncio.run(main())
