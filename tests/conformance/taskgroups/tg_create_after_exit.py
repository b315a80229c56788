# from: test_taskgroups.py::test_taskgroup_finished / test_create_task_after_error (a finished group refuses new tasks)
import asyncio

async def noop():
    pass

async def main():
    async with asyncio.TaskGroup() as tg:
        tg.create_task(noop())
    c = noop()
    try:
        tg.create_task(c)
    except RuntimeError:
        print("create_task on finished group: RuntimeError")
    c.close()

asyncio.run(main())
