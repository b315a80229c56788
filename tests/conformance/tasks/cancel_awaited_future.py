# from: test_tasks.py::test_cancel_inner_future (cancelling a task cancels the future it awaits)
import asyncio

async def main():
    loop = asyncio.get_running_loop()
    fut = loop.create_future()
    async def waiter():
        try:
            await fut
        except asyncio.CancelledError:
            print("waiter: CancelledError")
            raise
    t = asyncio.create_task(waiter())
    await asyncio.sleep(0)
    t.cancel()
    print("fut cancelled right after cancel:", fut.cancelled())
    try:
        await t
    except asyncio.CancelledError:
        print("main: CancelledError")
    print("task cancelled", t.cancelled())

asyncio.run(main())
