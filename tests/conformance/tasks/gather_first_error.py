# from: test_tasks.py::GatherTestsBase::test_one_exception (the first error is raised, siblings go on)
import asyncio

class MyErr(Exception):
    pass

async def fail():
    await asyncio.sleep(0.01)
    raise MyErr()

async def slow():
    await asyncio.sleep(0.3)
    print("slow finished")
    return "slow"

async def main():
    s = asyncio.create_task(slow())
    f = asyncio.create_task(fail())
    try:
        await asyncio.gather(f, s)
    except MyErr:
        print("gather: MyErr")
    print("slow cancelled", s.cancelled(), "done", s.done())
    print("slow result", await s)

asyncio.run(main())
