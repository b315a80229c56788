# from: test_base_events.py::test_set_task_factory (a loop-wide hook on task creation)
import asyncio

created = []
def factory(loop, coro, **kw):
    created.append(1)
    return asyncio.Task(coro, loop=loop, **kw)

async def child():
    return 1

async def main():
    loop = asyncio.get_running_loop()
    print("default factory:", loop.get_task_factory())
    loop.set_task_factory(factory)
    print("factory set:", loop.get_task_factory() is factory)
    await asyncio.create_task(child())
    await asyncio.gather(child(), child())
    print("tasks made through the factory:", len(created))

asyncio.run(main())
