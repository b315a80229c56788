# from: test_tasks.py::test_wait_with_timeout (nothing is cancelled, pending ones come back)
import asyncio

async def main():
    a = asyncio.create_task(asyncio.sleep(0.01))
    b = asyncio.create_task(asyncio.sleep(10))
    done, pending = await asyncio.wait([a, b], timeout=1.0)
    print("done", len(done), "pending", len(pending), "b cancelled", b.cancelled())
    b.cancel()
    try:
        await asyncio.wait([])
    except ValueError:
        print("empty: ValueError")

asyncio.run(main())
