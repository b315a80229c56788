# from: test_locks.py::ConditionTests::test_notify / test_notify_all (waiters woken in order, n at a time)
import asyncio

async def waiter(cond, i):
    async with cond:
        await cond.wait()
        print("waiter", i, "woke, holds lock", cond.locked())

async def main():
    cond = asyncio.Condition()
    ts = [asyncio.create_task(waiter(cond, i)) for i in range(4)]
    await asyncio.sleep(0)
    async with cond:
        cond.notify(1)
    await asyncio.sleep(0)
    print("after notify(1)")
    async with cond:
        cond.notify(2)
    await asyncio.sleep(0)
    print("after notify(2)")
    async with cond:
        cond.notify_all()
    await asyncio.gather(*ts)
    print("all done")

asyncio.run(main())
