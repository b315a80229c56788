# from: test_tasks.py::GatherTestsBase::test_result_order (results in argument order, not completion order)
import asyncio

async def val(d, v):
    await asyncio.sleep(d)
    print("done", v)
    return v

async def main():
    r = await asyncio.gather(val(0.04, 1), val(0.0, 2), val(0.02, 3))
    print("results", r)
    print("empty", await asyncio.gather())

asyncio.run(main())
