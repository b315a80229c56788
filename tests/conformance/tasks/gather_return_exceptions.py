# from: test_tasks.py::GatherTestsBase::test_return_exceptions
import asyncio

class MyErr(Exception):
    pass

async def ok(v):
    await asyncio.sleep(0)
    return v

async def bad():
    raise MyErr()

async def cancelled_one():
    await asyncio.sleep(0)
    asyncio.current_task().cancel()
    await asyncio.sleep(0)

async def main():
    rs = await asyncio.gather(ok(1), bad(), ok(3), cancelled_one(), return_exceptions=True)
    for r in rs:
        print(type(r).__name__ if isinstance(r, BaseException) else r)

asyncio.run(main())
