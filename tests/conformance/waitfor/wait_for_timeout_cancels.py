# from: test_waitfor.py::test_wait_for / test_wait_for_timeout_less_then_0_or_0_future_done (TimeoutError, the inner task cancelled and finished)
import asyncio

async def inner():
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        print("inner cancelled")
        raise

async def main():
    t = asyncio.create_task(inner())
    try:
        await asyncio.wait_for(t, 0.01)
    except TimeoutError:
        print("TimeoutError; inner done", t.done(), "cancelled", t.cancelled())
    t2 = asyncio.create_task(inner())
    try:
        await asyncio.wait_for(t2, 0)
    except TimeoutError:
        print("timeout 0 on pending: TimeoutError; cancelled", t2.cancelled())

asyncio.run(main())
