# from: test_timeouts.py::test_reschedule_before_enter / after expiry (RuntimeError)
import asyncio

async def main():
    loop = asyncio.get_running_loop()
    cm = asyncio.timeout(10)
    try:
        cm.reschedule(loop.time() + 1)
    except RuntimeError:
        print("reschedule before enter: RuntimeError")
    try:
        async with asyncio.timeout(0.01) as cm2:
            await asyncio.sleep(1)
    except TimeoutError:
        pass
    try:
        cm2.reschedule(loop.time() + 1)
    except RuntimeError:
        print("reschedule after expiry: RuntimeError")

asyncio.run(main())
