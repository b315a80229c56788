# from: test_waitfor.py::test_wait_for_with_global_loop / test_wait_for_timeout_none
import asyncio

async def val(d, v):
    await asyncio.sleep(d)
    return v

async def main():
    print("within timeout:", await asyncio.wait_for(val(0.01, "a"), 10))
    print("timeout None:", await asyncio.wait_for(val(0.01, "b"), None))
    t = asyncio.create_task(val(0, "c"))
    await t
    print("done task, timeout 0:", await asyncio.wait_for(t, 0))

asyncio.run(main())
