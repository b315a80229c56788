# from: test_locks.py::EventTests::test_wait / test_clear / test_wait_on_set
import asyncio

async def waiter(ev, i):
    r = await ev.wait()
    print("waiter", i, "woke:", r)

async def main():
    ev = asyncio.Event()
    print("is_set", ev.is_set())
    ts = [asyncio.create_task(waiter(ev, i)) for i in range(3)]
    await asyncio.sleep(0)
    print("setting")
    ev.set()
    print("is_set", ev.is_set())
    await asyncio.gather(*ts)
    print("wait on set event:", await ev.wait())
    ev.clear()
    print("after clear is_set", ev.is_set())
    t = asyncio.create_task(waiter(ev, 9))
    await asyncio.sleep(0)
    ev.set(); ev.clear()
    await t

asyncio.run(main())
