# from: test_tasks.py::test_task_basics (await a task, its result and state)
import asyncio

async def child():
    print("child runs")
    return 42

async def main():
    t = asyncio.create_task(child())
    print("created, done", t.done())
    r = await t
    print("result", r, "done", t.done(), "cancelled", t.cancelled())
    print("result again", t.result())

asyncio.run(main())
