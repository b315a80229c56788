# from: test_queues.py::QueuePutTests::test_cancelled_puts_not_being_held_in_self_putters (a cancelled put inserts nothing)
import asyncio

async def main():
    q = asyncio.Queue(1)
    q.put_nowait("first")
    p1 = asyncio.create_task(q.put("cancelled"))
    p2 = asyncio.create_task(q.put("second"))
    await asyncio.sleep(0)
    p1.cancel()
    await asyncio.sleep(0)
    print("get", await q.get())
    await p2
    print("get", await q.get(), "empty", q.empty())

asyncio.run(main())
