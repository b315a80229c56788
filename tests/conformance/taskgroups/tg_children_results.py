# from: test_taskgroups.py::test_taskgroup_01 (the block waits for every child)
import asyncio

async def child(d, v):
    await asyncio.sleep(d)
    print("child", v, "done")
    return v

async def main():
    async with asyncio.TaskGroup() as tg:
        t1 = tg.create_task(child(0.02, 1))
        t2 = tg.create_task(child(0.01, 2))
        print("body ends")
    print("after group:", t1.result(), t2.result())

asyncio.run(main())
