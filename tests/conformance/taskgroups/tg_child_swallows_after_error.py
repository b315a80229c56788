# from: test_taskgroups.py::test_taskgroup_06 (the group waits for children that clean up after the cancel)
import asyncio

class MyErr(Exception):
    pass

async def cleaner():
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        print("cleaner: cleaning up")
        await asyncio.sleep(0.01)
        print("cleaner: done cleaning")
        raise

async def bad():
    await asyncio.sleep(0)
    raise MyErr()

async def main():
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(cleaner())
            tg.create_task(bad())
    except* MyErr:
        print("group exited after the cleanup")

asyncio.run(main())
