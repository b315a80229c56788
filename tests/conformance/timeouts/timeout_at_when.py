# from: test_timeouts.py::test_timeout_at / Timeout.when() returns the deadline given
# xfail: cio_timeout_when can come back 1 ns off the deadline given (truncated nanoseconds; issue 19, fixed by 19a)
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
