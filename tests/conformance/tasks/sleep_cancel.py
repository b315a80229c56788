# from: test_tasks.py::test_sleep_cancel (a cancelled sleep ends at once, its timer dropped)
import asyncio

async def main():
    loop = asyncio.get_running_loop()
    t = asyncio.create_task(asyncio.sleep(10))
    await asyncio.sleep(0)
    t0 = loop.time()
    t.cancel()
    try:
        await t
    except asyncio.CancelledError:
        print("CancelledError")
    print("ended quickly:", loop.time() - t0 < 5)

asyncio.run(main())
