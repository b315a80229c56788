# from: test_locks.py::LockTests::test_release_not_acquired
import asyncio

async def main():
    lock = asyncio.Lock()
    try:
        lock.release()
    except RuntimeError:
        print("release unlocked: RuntimeError")
    print("acquire returns", await lock.acquire())
    lock.release()
    print("locked", lock.locked())

asyncio.run(main())
