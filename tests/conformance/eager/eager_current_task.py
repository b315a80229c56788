# from: test_eager_task_factory.py::test_current_task (inside an eager first step, current_task is the new task)
# requires: 3.12
import asyncio

async def child(box):
    box.append(asyncio.current_task())

async def main():
    asyncio.get_running_loop().set_task_factory(asyncio.eager_task_factory)
    box = []
    me = asyncio.current_task()
    t = asyncio.create_task(child(box))
    print("current_task in eager step is the new task:", box[0] is t)
    print("back in main, current is main:", asyncio.current_task() is me)

asyncio.run(main())
