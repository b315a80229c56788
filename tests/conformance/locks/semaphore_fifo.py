# from: test_locks.py::SemaphoreTests::test_acquire (value counts down; waiters in FIFO order)
import asyncio

async def worker(sem, i):
    async with sem:
        print("worker", i, "in")
        await asyncio.sleep(0)
        print("worker", i, "out")

async def main():
    sem = asyncio.Semaphore(2)
    print("locked", sem.locked())
    ts = [asyncio.create_task(worker(sem, i)) for i in range(5)]
    await asyncio.sleep(0)
    print("locked while full", sem.locked())
    await asyncio.gather(*ts)
    print("locked", sem.locked())
    try:
        asyncio.Semaphore(-1)
    except ValueError:
        print("Semaphore(-1): ValueError")

asyncio.run(main())
