# from: test_asyncgen.py::AsyncGenAsyncioTest::test_async_gen_asyncio_gc_aclose... / a cancel of the consumer reaches the generator's await
import asyncio

async def gen():
    try:
        await asyncio.sleep(10)
        yield 1
    except asyncio.CancelledError:
        print("generator sees CancelledError")
        raise

async def consumer():
    async for v in gen():
        print("never", v)

async def main():
    t = asyncio.create_task(consumer())
    await asyncio.sleep(0)
    t.cancel()
    try:
        await t
    except asyncio.CancelledError:
        print("consumer: CancelledError")

asyncio.run(main())
