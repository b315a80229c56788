# from: test_locks.py::LockTests::test_acquire (waiters get the lock in FIFO order)
import asyncio

async def worker(lock, i):
    async with lock:
        print("worker", i, "holds the lock")
        await asyncio.sleep(0)
        print("worker", i, "releases")

async def main():
    lock = asyncio.Lock()
    print("locked", lock.locked())
    await lock.acquire()
    ts = [asyncio.create_task(worker(lock, i)) for i in range(3)]
    await asyncio.sleep(0)
    print("main releases, locked", lock.locked())
    lock.release()
    await asyncio.gather(*ts)
    print("locked", lock.locked())

asyncio.run(main())
