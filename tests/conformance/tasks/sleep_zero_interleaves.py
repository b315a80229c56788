# from: test_tasks.py::test_sleep / sleep(0) yields exactly one iteration
import asyncio

async def worker(name, n):
    for i in range(n):
        print(name, i)
        await asyncio.sleep(0)

async def main():
    await asyncio.gather(worker("a", 3), worker("b", 3), worker("c", 2))
    print("sleep(-1) returns:", await asyncio.sleep(-1))

asyncio.run(main())
