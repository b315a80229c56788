# from: test_runners.py::RunTests::test_asyncio_run_closes_gens_after_hanging_tasks_errors (a suspended async generator is finalized; run returns main's result)
# xfail: cio_run with an async generator still suspended returns -EBUSY instead of main's result (issue 19, fixed by 19a)
import asyncio

async def gen():
    try:
        yield 1
        yield 2
    finally:
        print("generator finalized")

g = None
async def main():
    global g
    g = gen()
    print("first", await g.__anext__())
    return "main result"

print("run returned", asyncio.run(main()))
