# from: test_queues.py::QueuePutTests::test_blocking_put_wait / QueueGetTests::test_blocking_get_wait
import asyncio

async def producer(q):
    for i in range(4):
        await q.put(i)
        print("put", i, "qsize", q.qsize())

async def consumer(q):
    for _ in range(4):
        v = await q.get()
        print("got", v)

async def main():
    q = asyncio.Queue(maxsize=1)
    await asyncio.gather(producer(q), consumer(q))
    print("empty", q.empty())

asyncio.run(main())
