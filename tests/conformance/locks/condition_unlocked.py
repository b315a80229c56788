# from: test_locks.py::ConditionTests::test_wait_unacquired / test_notify_unacquired
import asyncio

async def main():
    cond = asyncio.Condition()
    try:
        await cond.wait()
    except RuntimeError:
        print("wait unlocked: RuntimeError")
    try:
        cond.notify()
    except RuntimeError:
        print("notify unlocked: RuntimeError")
    try:
        cond.notify_all()
    except RuntimeError:
        print("notify_all unlocked: RuntimeError")
    lock = asyncio.Lock()
    c2 = asyncio.Condition(lock)
    async with lock:
        print("shared lock: condition locked", c2.locked())

asyncio.run(main())
