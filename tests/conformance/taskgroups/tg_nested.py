# from: test_taskgroups.py::test_taskgroup_15 / nested groups (an inner failure propagates through the outer)
import asyncio

class MyErr(Exception):
    pass

async def bad():
    await asyncio.sleep(0.01)
    raise MyErr()

async def slow(name):
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        print(name, "cancelled")
        raise

async def inner_group():
    async with asyncio.TaskGroup() as tg:
        tg.create_task(slow("inner sibling"))
        tg.create_task(bad())

async def main():
    try:
        async with asyncio.TaskGroup() as outer:
            outer.create_task(slow("outer sibling"))
            outer.create_task(inner_group())
    except ExceptionGroup as eg:
        print("outer: group of", [type(e).__name__ for e in eg.exceptions])
        print("inner: group of", [type(e).__name__ for e in eg.exceptions[0].exceptions])

asyncio.run(main())
