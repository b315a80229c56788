# from: test_locks.py::LockTests::test_cancel_release_race (a waiter chosen then cancelled passes the lock on)
import asyncio

async def waiter(lock, name):
    try:
        await lock.acquire()
    except asyncio.CancelledError:
        print(name, "CancelledError")
        raise
    print(name, "acquired")
    lock.release()

async def main():
    lock = asyncio.Lock()
    await lock.acquire()
    a = asyncio.create_task(waiter(lock, "a"))
    b = asyncio.create_task(waiter(lock, "b"))
    await asyncio.sleep(0)
    lock.release()   # a is chosen
    a.cancel()       # ... and cancelled before it runs
    await asyncio.wait([a, b])
    print("locked", lock.locked())

asyncio.run(main())
