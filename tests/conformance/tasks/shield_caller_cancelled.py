# from: test_tasks.py::test_shield_effect (cancelling the caller does not reach the shielded task)
import asyncio

async def inner():
    await asyncio.sleep(0.3)
    print("inner finished")
    return 7

async def outer(t):
    try:
        await asyncio.shield(t)
    except asyncio.CancelledError:
        print("outer: CancelledError")
        raise

async def main():
    ti = asyncio.create_task(inner())
    to = asyncio.create_task(outer(ti))
    await asyncio.sleep(0)
    to.cancel()
    await asyncio.wait([to])
    print("outer cancelled", to.cancelled(), "inner done", ti.done())
    print("inner result", await ti)

asyncio.run(main())
