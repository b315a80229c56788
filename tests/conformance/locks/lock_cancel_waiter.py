# from: test_locks.py::LockTests::test_acquire_cancel / test_cancel_race (a cancelled waiter never takes the lock; the next one does)
import asyncio

async def waiter(lock, name):
    try:
        async with lock:
            print(name, "got the lock")
    except asyncio.CancelledError:
        print(name, "cancelled, lock held by it?", False)
        raise

async def main():
    lock = asyncio.Lock()
    await lock.acquire()
    a = asyncio.create_task(waiter(lock, "a"))
    b = asyncio.create_task(waiter(lock, "b"))
    await asyncio.sleep(0)
    a.cancel()
    await asyncio.sleep(0)
    lock.release()
    await asyncio.wait([a, b])
    print("a cancelled", a.cancelled(), "locked", lock.locked())

asyncio.run(main())
