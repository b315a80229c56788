# from: test_tasks.py::test_cancel (a task cancelled before its first step never runs)
import asyncio

async def child():
    print("never printed")

async def main():
    t = asyncio.create_task(child())
    print("cancel", t.cancel())
    try:
        await t
    except asyncio.CancelledError:
        print("await: CancelledError")
    print("cancelled", t.cancelled(), "done", t.done())

asyncio.run(main())
