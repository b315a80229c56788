# from: test_locks.py::SemaphoreTests::test_acquire_cancel_before_awoken / test_acquire_hang (a woken then cancelled waiter does not lose the slot)
import asyncio

async def main():
    sem = asyncio.Semaphore(0)
    async def waiter(name):
        try:
            await sem.acquire()
            print(name, "acquired")
        except asyncio.CancelledError:
            print(name, "cancelled")
            raise
    a = asyncio.create_task(waiter("a"))
    b = asyncio.create_task(waiter("b"))
    await asyncio.sleep(0)
    sem.release()   # wakes a
    a.cancel()      # ... cancelled before it runs: the slot goes to b
    await asyncio.wait([a, b], timeout=1)
    print("b done", b.done(), "locked", sem.locked())
    if not b.done():
        b.cancel()

asyncio.run(main())
