# from: test_queues.py::_QueueJoinTestMixin::test_task_done / test_join_empty_queue / test_task_done_underflow
import asyncio

async def worker(q):
    while True:
        v = await q.get()
        await asyncio.sleep(0)
        print("processed", v)
        q.task_done()

async def main():
    q = asyncio.Queue()
    await q.join()
    print("join on fresh queue returns at once")
    try:
        q.task_done()
    except ValueError:
        print("task_done too many: ValueError")
    for i in range(3):
        q.put_nowait(i)
    w = asyncio.create_task(worker(q))
    await q.join()
    print("joined")
    w.cancel()

asyncio.run(main())
