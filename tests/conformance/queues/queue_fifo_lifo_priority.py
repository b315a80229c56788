# from: test_queues.py::QueueGetTests::test_order / LifoQueueTests / PriorityQueueTests
import asyncio

async def main():
    for q in (asyncio.Queue(), asyncio.LifoQueue(), asyncio.PriorityQueue()):
        for x in (3, 1, 2, 1):
            q.put_nowait(x)
        print(type(q).__name__, [q.get_nowait() for _ in range(4)], "empty", q.empty())

asyncio.run(main())
