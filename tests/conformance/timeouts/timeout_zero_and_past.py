# from: test_timeouts.py::test_timeout_zero / test_timeout_in_the_past_sleep_zero (expires at the first suspension)
import asyncio

async def main():
    loop = asyncio.get_running_loop()
    for label, cm in (("timeout(0)", asyncio.timeout(0)), ("timeout(-1)", asyncio.timeout(-1)),
                      ("timeout_at(past)", asyncio.timeout_at(loop.time() - 1))):
        ran = []
        try:
            async with cm:
                ran.append("before")
                await asyncio.sleep(0)
                ran.append("after")
        except TimeoutError:
            print(label, "TimeoutError, ran", ran, "expired", cm.expired())

asyncio.run(main())
