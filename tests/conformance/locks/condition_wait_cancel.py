# from: test_locks.py::ConditionTests::test_wait_cancel_contested (a cancelled wait re-acquires the lock before raising)
import asyncio

async def main():
    cond = asyncio.Condition()
    async def waiter():
        async with cond:
            try:
                await cond.wait()
            except asyncio.CancelledError:
                print("waiter: CancelledError, holds lock", cond.locked())
                raise
    t = asyncio.create_task(waiter())
    await asyncio.sleep(0)
    await cond.acquire()
    t.cancel()
    await asyncio.sleep(0)
    print("main still holds; waiter done?", t.done())
    cond.release()
    try:
        await t
    except asyncio.CancelledError:
        print("task: CancelledError")
    print("locked", cond.locked())

asyncio.run(main())
