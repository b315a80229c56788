# from: test_tasks.py::test_sleep_when_delay_is_nan (3.13: ValueError)
# requires: 3.13
import asyncio

async def main():
    try:
        await asyncio.sleep(float("nan"))
    except ValueError:
        print("sleep(nan): ValueError")
    await asyncio.sleep(float("-inf"))
    print("sleep(-inf) returns at once")

asyncio.run(main())
