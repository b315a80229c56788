# from: test_taskgroups.py::test_taskgroup_11 / test_taskgroup_body_error (an error in the body cancels the children; it is in the group)
import asyncio

class MyErr(Exception):
    pass

async def slow():
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        print("child cancelled")
        raise

async def main():
    try:
        async with asyncio.TaskGroup() as tg:
            t = tg.create_task(slow())
            await asyncio.sleep(0)
            raise MyErr("body")
    except* MyErr as eg:
        print("ExceptionGroup:", [str(e) for e in eg.exceptions])
    print("child cancelled", t.cancelled())

asyncio.run(main())
