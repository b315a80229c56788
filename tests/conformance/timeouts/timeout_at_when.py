# from: test_timeouts.py::test_timeout_at / Timeout.when() returns the deadline given
import asyncio

async def main():
    loop = asyncio.get_running_loop()
    same = []
    for i in range(100):
        deadline = loop.time() + 100 + i / 7.0
        async with asyncio.timeout_at(deadline) as cm:
            same.append(cm.when() == deadline)
            cm.reschedule(deadline + 1 / 3.0)
            same.append(cm.when() == deadline + 1 / 3.0)
    print("when() == deadline given, every time:", all(same))

asyncio.run(main())
