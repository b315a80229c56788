# from: test_tasks.py::test_as_completed (3.13's async for hands back the original tasks, in completion order)
# requires: 3.13
import asyncio

async def val(d, v):
    await asyncio.sleep(d)
    return v

async def main():
    ts = [asyncio.create_task(val(d, v)) for d, v in ((0.06, "c"), (0.02, "a"), (0.04, "b"))]
    async for t in asyncio.as_completed(ts):
        print(t.result(), "original:", t in ts)

asyncio.run(main())
