# from: test_tasks.py::test_wait_first_completed
import asyncio

async def val(d, v):
    await asyncio.sleep(d)
    return v

async def main():
    a = asyncio.create_task(val(0.01, "a"))
    b = asyncio.create_task(val(10, "b"))
    done, pending = await asyncio.wait([b, a], return_when=asyncio.FIRST_COMPLETED)
    print("done", sorted(t.result() for t in done), "pending", len(pending))
    print("b cancelled by wait?", b.cancelled())
    b.cancel()
    done, pending = await asyncio.wait([a, b])
    print("all done", len(done), len(pending))

asyncio.run(main())
