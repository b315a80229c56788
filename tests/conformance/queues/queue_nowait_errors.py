# from: test_queues.py::QueueGetTests::test_nonblocking_get_exception / QueuePutTests::test_nonblocking_put_exception
import asyncio

async def main():
    q = asyncio.Queue(maxsize=2)
    print("maxsize", q.maxsize, "qsize", q.qsize(), "full", q.full())
    try:
        q.get_nowait()
    except asyncio.QueueEmpty:
        print("get_nowait on empty: QueueEmpty")
    q.put_nowait(1); q.put_nowait(2)
    print("qsize", q.qsize(), "full", q.full())
    try:
        q.put_nowait(3)
    except asyncio.QueueFull:
        print("put_nowait on full: QueueFull")
    u = asyncio.Queue(maxsize=0)
    for i in range(100):
        u.put_nowait(i)
    print("unbounded full", u.full(), "qsize", u.qsize())
    n = asyncio.Queue(maxsize=-1)
    n.put_nowait(1)
    print("negative maxsize is unbounded: full", n.full())

asyncio.run(main())
