# from: test_futures.py::test_cancel_message / a waiter sees the future's cancel
import asyncio

async def main():
    loop = asyncio.get_running_loop()
    f = loop.create_future()
    async def waiter():
        try:
            await f
        except asyncio.CancelledError as e:
            print("waiter: CancelledError", e.args)
    t = asyncio.create_task(waiter())
    await asyncio.sleep(0)
    print("cancel", f.cancel("why"))
    print("cancel again", f.cancel())
    await t
    print("task itself cancelled?", t.cancelled())

asyncio.run(main())
