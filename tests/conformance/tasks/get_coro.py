# from: test_tasks.py::test_get_coro (the task's coroutine, before and after its run)
import asyncio

async def child(x):
    return x

async def main():
    c = child(7)
    t = asyncio.create_task(c)
    print("get_coro is the coroutine:", t.get_coro() is c)
    await t
    print("after: still the coroutine:", t.get_coro() is c)

asyncio.run(main())
