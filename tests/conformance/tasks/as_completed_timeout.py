# from: test_tasks.py::test_as_completed_with_timeout (TimeoutError for the rest; nothing cancelled)
import asyncio

async def main():
    a = asyncio.create_task(asyncio.sleep(0.01, "a"))
    b = asyncio.create_task(asyncio.sleep(10, "b"))
    n = 0
    try:
        for c in asyncio.as_completed([a, b], timeout=1.0):
            print("got", await c)
            n += 1
    except asyncio.TimeoutError:
        print("TimeoutError after", n)
    print("b cancelled", b.cancelled())
    b.cancel()

asyncio.run(main())
