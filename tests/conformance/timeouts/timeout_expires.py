# from: test_timeouts.py::test_timeout_basic / test_timeout_expired (TimeoutError out of the block, expired() set)
import asyncio

async def main():
    try:
        async with asyncio.timeout(0.01) as cm:
            await asyncio.sleep(10)
    except TimeoutError:
        print("TimeoutError, expired", cm.expired())
    async with asyncio.timeout(10) as cm2:
        await asyncio.sleep(0)
    print("not expired", cm2.expired())

asyncio.run(main())
