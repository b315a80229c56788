# from: test_tasks.py::test_task_repr / scheduling (first steps run in creation order, after main yields)
import asyncio

async def child(i):
    print("child", i, "step 1")
    await asyncio.sleep(0)
    print("child", i, "step 2")

async def main():
    ts = [asyncio.create_task(child(i)) for i in range(3)]
    print("main created")
    for t in ts:
        await t
    print("main done")

asyncio.run(main())
