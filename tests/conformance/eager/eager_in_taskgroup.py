# from: test_eager_task_factory.py::test_eager_task_factory_taskgroup / TaskGroup children started eagerly
# requires: 3.12
import asyncio

async def child(i):
    print("child", i, "started")
    await asyncio.sleep(0)
    return i

async def main():
    asyncio.get_running_loop().set_task_factory(asyncio.eager_task_factory)
    async with asyncio.TaskGroup() as tg:
        ts = [tg.create_task(child(i)) for i in range(2)]
        print("body after create_task")
    print("results", [t.result() for t in ts])

asyncio.run(main())
