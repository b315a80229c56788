# from: test_queues.py::_QueueShutdownTestMixin::test_shutdown_immediate (3.13: items dropped, join released)
# requires: 3.13
import asyncio

async def main():
    q = asyncio.Queue()
    for i in range(3):
        q.put_nowait(i)
    j = asyncio.create_task(q.join())
    await asyncio.sleep(0)
    q.shutdown(immediate=True)
    print("qsize after immediate shutdown", q.qsize())
    await j
    print("join released")
    try:
        q.get_nowait()
    except asyncio.QueueShutDown:
        print("get_nowait: QueueShutDown")

asyncio.run(main())
