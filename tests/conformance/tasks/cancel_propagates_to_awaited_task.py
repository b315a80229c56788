# from: test_tasks.py::test_cancel_task_catching / cancel chain (cancelling a task cancels the task it awaits)
import asyncio

async def inner():
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        print("inner: CancelledError")
        raise

async def outer(t):
    try:
        await t
    except asyncio.CancelledError:
        print("outer: CancelledError")
        raise

async def main():
    ti = asyncio.create_task(inner())
    to = asyncio.create_task(outer(ti))
    await asyncio.sleep(0)
    to.cancel()
    await asyncio.wait([to, ti])
    print("outer cancelled", to.cancelled(), "inner cancelled", ti.cancelled())

asyncio.run(main())
