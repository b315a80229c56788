# from: test_locks.py::BarrierTests::test_abort / test_reset (waiters get BrokenBarrierError)
import asyncio

async def party(b, i):
    try:
        await b.wait()
        print("party", i, "passed")
    except asyncio.BrokenBarrierError:
        print("party", i, "BrokenBarrierError")

async def main():
    b = asyncio.Barrier(3)
    ts = [asyncio.create_task(party(b, i)) for i in range(2)]
    await asyncio.sleep(0)
    await b.abort()
    await asyncio.gather(*ts)
    print("broken", b.broken)
    await party(b, 9)
    await b.reset()
    print("after reset broken", b.broken)
    ts = [asyncio.create_task(party(b, i)) for i in range(2)]
    await asyncio.sleep(0)
    await b.reset()
    await asyncio.gather(*ts)
    print("broken", b.broken, "n_waiting", b.n_waiting)

asyncio.run(main())
