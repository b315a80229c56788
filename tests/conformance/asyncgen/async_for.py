# from: test_asyncgen.py::AsyncGenAsyncioTest::test_async_gen_asyncio_01 (async for over a generator that awaits)
import asyncio

async def count(n):
    for i in range(n):
        await asyncio.sleep(0)
        yield i
    print("generator body ends")

async def main():
    async for v in count(3):
        print("got", v)
    g = count(1)
    print(await g.__anext__())
    try:
        await g.__anext__()
    except StopAsyncIteration:
        print("StopAsyncIteration")
    try:
        await g.__anext__()
    except StopAsyncIteration:
        print("StopAsyncIteration again")

asyncio.run(main())
