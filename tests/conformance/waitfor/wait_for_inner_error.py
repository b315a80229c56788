# from: test_waitfor.py::test_wait_for_raises_exception (the inner's error comes out unchanged)
import asyncio

class MyErr(Exception):
    pass

async def bad():
    await asyncio.sleep(0)
    raise MyErr()

async def main():
    try:
        await asyncio.wait_for(bad(), 10)
    except MyErr:
        print("MyErr")

asyncio.run(main())
