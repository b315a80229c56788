# from: test_locks.py::ConditionTests::test_wait_for (returns the predicate's value once true)
import asyncio

async def main():
    cond = asyncio.Condition()
    state = {"n": 0}
    async def waiter():
        async with cond:
            r = await cond.wait_for(lambda: state["n"] >= 2 and state["n"])
            print("wait_for returned", r)
    t = asyncio.create_task(waiter())
    for i in range(3):
        await asyncio.sleep(0)
        async with cond:
            state["n"] += 1
            print("n =", state["n"])
            cond.notify_all()
    await t

asyncio.run(main())
