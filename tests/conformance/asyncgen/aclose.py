# from: test_asyncgen.py::AsyncGenAsyncioTest::test_async_gen_asyncio_aclose_06 / _aclose_10 (cleanup runs; ignoring GeneratorExit: RuntimeError)
import asyncio

async def polite():
    try:
        yield 1
        yield 2
    finally:
        await asyncio.sleep(0)
        print("polite cleanup ran")

async def stubborn():
    try:
        yield 1
    except GeneratorExit:
        yield 2

async def main():
    g = polite()
    await g.__anext__()
    await g.aclose()
    print("closed; next:", end=" ")
    try:
        await g.__anext__()
    except StopAsyncIteration:
        print("StopAsyncIteration")
    fresh = polite()
    await fresh.aclose()
    print("closing an unstarted generator runs nothing")
    s = stubborn()
    await s.__anext__()
    try:
        await s.aclose()
    except RuntimeError:
        print("ignored GeneratorExit: RuntimeError")

asyncio.run(main())
