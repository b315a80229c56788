# from: test_tasks.py::test_cancelling / test_uncancel_structured_blocks (cancel counts, uncancel, done task refuses)
import asyncio

async def child():
    me = asyncio.current_task()
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        print("caught, cancelling", me.cancelling())
        print("uncancel ->", me.uncancel())
        print("uncancel ->", me.uncancel())
    await asyncio.sleep(0)
    print("slept again")
    return "fine"

async def main():
    t = asyncio.create_task(child())
    await asyncio.sleep(0)
    print("cancel", t.cancel(), t.cancel(), "cancelling", t.cancelling())
    print("result", await t)
    print("cancel done task", t.cancel(), "cancelling", t.cancelling())

asyncio.run(main())
