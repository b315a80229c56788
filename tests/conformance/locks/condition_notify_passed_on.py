# from: test_locks.py::ConditionTests::test_cancelled_wakeup / test_cancelled_error_wakeup (3.13: a notified waiter that is cancelled passes the notification on)
# requires: 3.13
import asyncio

async def main():
    cond = asyncio.Condition()
    async def waiter(name):
        async with cond:
            try:
                await cond.wait()
                print(name, "woke")
            except asyncio.CancelledError:
                print(name, "cancelled")
                raise
    a = asyncio.create_task(waiter("a"))
    b = asyncio.create_task(waiter("b"))
    await asyncio.sleep(0)
    async with cond:
        cond.notify(1)   # chooses a
        a.cancel()       # ... which is cancelled before it runs
    await asyncio.wait([a, b], timeout=1)
    print("b done", b.done())
    if not b.done():
        b.cancel()

asyncio.run(main())
