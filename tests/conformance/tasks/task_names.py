# from: test_tasks.py::test_task_set_name / test_task_default_name
import asyncio

async def child():
    return asyncio.current_task().get_name()

async def main():
    t = asyncio.create_task(child(), name="worker")
    print("named:", await t)
    t2 = asyncio.create_task(child())
    t2.set_name("renamed")
    print("renamed:", await t2)
    t3 = asyncio.create_task(child())
    print("info: default", t3.get_name())
    print("default starts with Task-:", t3.get_name().startswith("Task-"))
    await t3

asyncio.run(main())
