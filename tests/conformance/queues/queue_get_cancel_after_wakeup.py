# from: test_queues.py::QueueGetTests::test_cancelled_get_loses_no_item (a getter woken then cancelled leaves the item for the next)
import asyncio

async def main():
    q = asyncio.Queue()
    g1 = asyncio.create_task(q.get())
    g2 = asyncio.create_task(q.get())
    await asyncio.sleep(0)
    q.put_nowait("item")
    g1.cancel()
    await asyncio.wait([g1, g2], timeout=1)
    print("g1 cancelled", g1.cancelled())
    print("g2 got", g2.result() if g2.done() else "nothing", "qsize", q.qsize())

asyncio.run(main())
