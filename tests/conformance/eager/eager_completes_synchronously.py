# from: test_eager_task_factory.py::test_eager_task_factory_completes_synchronously (never suspends: done on return)
# requires: 3.12
import asyncio

class MyErr(Exception):
    pass

async def quick():
    return "quick"

async def bad():
    raise MyErr()

async def main():
    asyncio.get_running_loop().set_task_factory(asyncio.eager_task_factory)
    t = asyncio.create_task(quick())
    print("done at once", t.done(), "result", t.result())
    t2 = asyncio.create_task(bad())
    print("failed at once", t2.done(), type(t2.exception()).__name__)
    print("all_tasks has them?", t in asyncio.all_tasks(), t2 in asyncio.all_tasks())

asyncio.run(main())
