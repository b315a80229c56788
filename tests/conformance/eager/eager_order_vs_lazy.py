# from: test_eager_task_factory.py::test_eager_start_true / ordering of eager and lazy first steps
# requires: 3.12
import asyncio

async def child(name):
    print(name, "step 1")
    await asyncio.sleep(0)
    print(name, "step 2")

async def main():
    loop = asyncio.get_running_loop()
    lazy = asyncio.create_task(child("lazy"))
    loop.set_task_factory(asyncio.eager_task_factory)
    eager = asyncio.create_task(child("eager"))
    loop.set_task_factory(None)
    print("main continues")
    await asyncio.gather(lazy, eager)

asyncio.run(main())
