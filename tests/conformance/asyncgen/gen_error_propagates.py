# from: test_asyncgen.py::AsyncGenAsyncioTest::test_async_gen_asyncio_03 (an error in the generator reaches the consumer; then it is finished)
import asyncio

class MyErr(Exception):
    pass

async def gen():
    yield 1
    raise MyErr()

async def main():
    g = gen()
    print(await g.__anext__())
    try:
        await g.__anext__()
    except MyErr:
        print("consumer: MyErr")
    try:
        await g.__anext__()
    except StopAsyncIteration:
        print("then StopAsyncIteration")

asyncio.run(main())
