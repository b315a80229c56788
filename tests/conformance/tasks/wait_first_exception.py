# from: test_tasks.py::test_wait_first_exception / test_wait_first_exception_in_wait
import asyncio

class MyErr(Exception):
    pass

async def bad():
    await asyncio.sleep(0.01)
    raise MyErr()

async def slow():
    await asyncio.sleep(10)

async def main():
    s = asyncio.create_task(slow())
    f = asyncio.create_task(bad())
    done, pending = await asyncio.wait([s, f], return_when=asyncio.FIRST_EXCEPTION)
    print("done", len(done), "pending", len(pending), "failed one done", f in done)
    print("wait does not raise; exception()", type(f.exception()).__name__)
    s.cancel()
    # a cancelled child does not count as an exception
    c = asyncio.create_task(slow())
    s2 = asyncio.create_task(val())
    await asyncio.sleep(0)
    c.cancel()
    done, pending = await asyncio.wait([c, s2], return_when=asyncio.FIRST_EXCEPTION)
    print("after cancel: done", len(done), "pending", len(pending))

async def val():
    await asyncio.sleep(0.05)
    return 1

asyncio.run(main())
