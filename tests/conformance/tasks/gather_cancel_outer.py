# from: test_tasks.py::test_gather_shield / GatherTestsBase::test_cancel (cancelling the gather cancels its children)
import asyncio

async def child(i):
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        print("child", i, "CancelledError")
        raise

async def main():
    ts = [asyncio.create_task(child(i)) for i in range(2)]
    g = asyncio.gather(*ts)
    await asyncio.sleep(0)
    print("cancel", g.cancel())
    try:
        await g
    except asyncio.CancelledError:
        print("gather: CancelledError")
    print("children cancelled", [t.cancelled() for t in ts])

asyncio.run(main())
