# from: test_asyncgen.py::AsyncGenAsyncioTest::test_async_gen_asyncio_asend / _athrow (values in, errors in)
import asyncio

class MyErr(Exception):
    pass

async def gen():
    x = yield "first"
    print("generator received", x)
    try:
        yield "second"
    except MyErr:
        print("generator caught MyErr")
        yield "after throw"

async def main():
    g = gen()
    print(await g.asend(None))
    print(await g.asend("hello"))
    print(await g.athrow(MyErr()))
    await g.aclose()

asyncio.run(main())
