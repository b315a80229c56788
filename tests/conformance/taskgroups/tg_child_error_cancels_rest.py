# from: test_taskgroups.py::test_taskgroup_03 / test_taskgroup_07 (one failure cancels the siblings; ExceptionGroup)
# requires: 3.13 (3.11 and 3.12 leave the parent's cancelling() at 1 after the group's own cancel; fixed in 3.13)
import asyncio

class MyErr(Exception):
    pass

async def bad():
    await asyncio.sleep(0.01)
    raise MyErr("child failed")

async def slow(i):
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        print("info: slow", i, "cancelled (the order of the siblings' cancels is a set's)")
        raise

async def main():
    try:
        async with asyncio.TaskGroup() as tg:
            s = [tg.create_task(slow(i)) for i in range(2)]
            tg.create_task(bad())
    except* MyErr as eg:
        print("ExceptionGroup with", [type(e).__name__ for e in eg.exceptions], [str(e) for e in eg.exceptions])
    print("siblings cancelled", [t.cancelled() for t in s])
    print("main cancelling", asyncio.current_task().cancelling())

asyncio.run(main())
