# from: test_queues.py::QueueGetTests::test_why_are_getters_waiting / getters served in arrival order
import asyncio

async def getter(q, i):
    v = await q.get()
    print("getter", i, "got", v)

async def main():
    q = asyncio.Queue()
    ts = [asyncio.create_task(getter(q, i)) for i in range(3)]
    await asyncio.sleep(0)
    for x in "abc":
        q.put_nowait(x)
    await asyncio.gather(*ts)

asyncio.run(main())
