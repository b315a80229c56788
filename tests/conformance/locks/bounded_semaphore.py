# from: test_locks.py::BoundedSemaphoreTests::test_release_not_acquired
import asyncio

async def main():
    sem = asyncio.BoundedSemaphore(1)
    try:
        sem.release()
    except ValueError:
        print("release above initial: ValueError")
    await sem.acquire()
    print("locked", sem.locked())
    sem.release()
    print("locked", sem.locked())
    s2 = asyncio.Semaphore(0)
    s2.release()
    print("plain semaphore may go above: locked", s2.locked())

asyncio.run(main())
