# from: test_base_events.py::test_shutdown_asyncgens / test_async_gen_aclose... (suspended generators are closed)
import asyncio

closed = []

async def gen(name):
    try:
        yield 1
        yield 2
    finally:
        print("info:", name, "closed (the order is unspecified)")
        closed.append(name)

async def main():
    loop = asyncio.get_running_loop()
    gs = [gen("g1"), gen("g2")]
    for g in gs:
        await g.__anext__()
    await loop.shutdown_asyncgens()
    print("after shutdown_asyncgens, closed:", sorted(closed))

asyncio.run(main())
