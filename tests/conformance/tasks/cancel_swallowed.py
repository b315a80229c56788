# from: test_tasks.py::test_cancel_yield / test_cancelling (a task that swallows its cancel ends normally; the count stays)
import asyncio

async def child():
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        print("child caught CancelledError, cancelling", asyncio.current_task().cancelling())
    return 42

async def main():
    t = asyncio.create_task(child())
    await asyncio.sleep(0)
    print("cancel", t.cancel())
    r = await t
    print("result", r, "cancelled", t.cancelled(), "cancelling", t.cancelling())

asyncio.run(main())
