# from: test_futures.py::test_yield_from_twice / a waiter resumes through the ready queue, not inside set_result
import asyncio

async def waiter(f, name):
    v = await f
    print(name, "woke with", v)

async def main():
    loop = asyncio.get_running_loop()
    f = loop.create_future()
    t1 = asyncio.create_task(waiter(f, "w1"))
    t2 = asyncio.create_task(waiter(f, "w2"))
    await asyncio.sleep(0)
    f.set_result(5)
    print("set_result returned")
    await asyncio.gather(t1, t2)
    print("await done future again:", await f)

asyncio.run(main())
