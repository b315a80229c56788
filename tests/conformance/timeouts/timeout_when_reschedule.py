# from: test_timeouts.py::test_timeout_when / test_reschedule / test_timeout_disabled
import asyncio

async def main():
    loop = asyncio.get_running_loop()
    async with asyncio.timeout(None) as cm:
        print("when None:", cm.when())
        cm.reschedule(loop.time() + 0.01)
        print("rescheduled is set:", cm.when() is not None)
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            print("inner sees CancelledError")
            raise

async def main2():
    loop = asyncio.get_running_loop()
    try:
        await main()
    except TimeoutError:
        print("TimeoutError")
    async with asyncio.timeout(0.01) as cm:
        cm.reschedule(None)
        print("disabled when:", cm.when())
        await asyncio.sleep(0.03)
    print("no timeout after reschedule(None)")

asyncio.run(main2())
