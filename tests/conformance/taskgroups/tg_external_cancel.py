# from: test_taskgroups.py::test_cancellation_in_body / test_taskgroup_09 (an outside cancel: CancelledError, children cancelled)
import asyncio

async def slow(i):
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        print("info: child", i, "cancelled (the order is a set's)")
        cancelled.append(i)
        raise

cancelled = []

async def runner():
    async with asyncio.TaskGroup() as tg:
        for i in range(2):
            tg.create_task(slow(i))
    print("not reached")

async def main():
    t = asyncio.create_task(runner())
    await asyncio.sleep(0.01)
    t.cancel()
    try:
        await t
    except asyncio.CancelledError:
        print("runner: CancelledError; children cancelled:", sorted(cancelled))

asyncio.run(main())
