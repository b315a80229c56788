# from: test_waitfor.py::test_wait_for_cancellation_race / test_cancel_wait_for (cancelling the waiter cancels the inner)
import asyncio

async def inner():
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        print("inner cancelled")
        raise

async def main():
    t = asyncio.create_task(inner())
    w = asyncio.create_task(asyncio.wait_for(t, 10))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    w.cancel()
    try:
        await w
    except asyncio.CancelledError:
        print("waiter: CancelledError; inner cancelled", t.cancelled())

asyncio.run(main())
