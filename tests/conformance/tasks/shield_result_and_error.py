# from: test_tasks.py::test_shield_result / test_shield_exception / test_shield_cancel_inner
import asyncio

class MyErr(Exception):
    pass

async def main():
    loop = asyncio.get_running_loop()
    f = loop.create_future()
    loop.call_soon(f.set_result, 42)
    print("result", await asyncio.shield(f))
    f = loop.create_future()
    loop.call_soon(f.set_exception, MyErr())
    try:
        await asyncio.shield(f)
    except MyErr:
        print("exception: MyErr")
    f = loop.create_future()
    loop.call_soon(f.cancel)
    try:
        await asyncio.shield(f)
    except asyncio.CancelledError:
        print("inner cancelled: CancelledError")

asyncio.run(main())
