# from: test_queues.py::_QueueShutdownTestMixin::test_shutdown_empty / test_shutdown_nonempty (3.13)
# requires: 3.13
import asyncio

async def main():
    q = asyncio.Queue()
    getter = asyncio.create_task(q.get())
    await asyncio.sleep(0)
    q.put_nowait(1)
    q.put_nowait(2)
    print("getter got", await getter)
    q.shutdown()
    try:
        await q.put(3)
    except asyncio.QueueShutDown:
        print("put after shutdown: QueueShutDown")
    print("get drains", await q.get())
    try:
        await q.get()
    except asyncio.QueueShutDown:
        print("get on empty shut-down queue: QueueShutDown")
    q2 = asyncio.Queue()
    w = asyncio.create_task(q2.get())
    await asyncio.sleep(0)
    q2.shutdown()
    try:
        await w
    except asyncio.QueueShutDown:
        print("blocked getter woken: QueueShutDown")

asyncio.run(main())
