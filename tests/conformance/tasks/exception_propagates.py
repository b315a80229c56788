# from: test_tasks.py::test_exception_chaining / test_task_exception (a failing task: await raises, exception() returns it)
import asyncio

class MyErr(Exception):
    pass

async def child():
    await asyncio.sleep(0)
    raise MyErr("boom")

async def main():
    t = asyncio.create_task(child())
    try:
        await t
    except MyErr as e:
        print("await:", type(e).__name__, e)
    print("exception():", type(t.exception()).__name__, "cancelled", t.cancelled())
    try:
        t.result()
    except MyErr:
        print("result(): MyErr")

asyncio.run(main())
