# from: test_taskgroups.py::test_taskgroup_08 / test_children_cancel_on_error (every error that happened is listed)
import asyncio

class MyErr(Exception):
    pass

async def bad(i):
    await asyncio.sleep(0.01)
    raise MyErr(f"err {i}")

async def main():
    try:
        async with asyncio.TaskGroup() as tg:
            for i in range(3):
                tg.create_task(bad(i))
    except* MyErr as eg:
        print("errors:", sorted(str(e) for e in eg.exceptions))

asyncio.run(main())
