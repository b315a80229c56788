# from: test_tasks.py::test_uncancel_resets_must_cancel (3.13: uncancel down to 0 drops a cancel not yet delivered)
# requires: 3.13
import asyncio

async def child():
    await asyncio.sleep(0)
    print("child ran to the end")
    return "ok"

async def main():
    t = asyncio.create_task(child())
    t.cancel()
    print("uncancel ->", t.uncancel())
    print("result", await t, "cancelled", t.cancelled())

asyncio.run(main())
