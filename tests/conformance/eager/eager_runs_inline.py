# from: test_eager_task_factory.py::EagerTaskFactoryLoopTests::test_eager_task_factory_set (the first step runs inside create_task)
# requires: 3.12
import asyncio

async def child():
    print("child first step (inside create_task)")
    await asyncio.sleep(0)
    print("child second step")
    return 1

async def main():
    asyncio.get_running_loop().set_task_factory(asyncio.eager_task_factory)
    print("before create_task")
    t = asyncio.create_task(child())
    print("after create_task, done", t.done())
    print("result", await t)

asyncio.run(main())
