# from: test_queues.py::QueueGetTests::test_cancelled_getters_not_being_held_in_self_getters / test_get_cancelled_race
import asyncio

async def main():
    q = asyncio.Queue()
    g1 = asyncio.create_task(q.get())
    g2 = asyncio.create_task(q.get())
    await asyncio.sleep(0)
    g1.cancel()
    await asyncio.sleep(0)
    q.put_nowait("item")
    print("g2 got", await g2)
    print("g1 cancelled", g1.cancelled(), "qsize", q.qsize())

asyncio.run(main())
