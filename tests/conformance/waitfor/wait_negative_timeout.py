# from: test_tasks.py::test_wait_with_timeout / asyncio.wait with a negative timeout is already expired
# xfail: cio_wait treats a negative timeout as no limit (issue 19, fixed by 19a)
import asyncio

async def main():
    t = asyncio.create_task(asyncio.sleep(0.05))
    done, pending = await asyncio.wait([t], timeout=-1)
    print("done", len(done), "pending", len(pending))
    await t

asyncio.run(main())
