# from: test_runners.py::RunTests::test_asyncio_run_return / test_asyncio_run_raises
import asyncio

class MyErr(Exception):
    pass

async def ok():
    await asyncio.sleep(0)
    return 42

async def bad():
    await asyncio.sleep(0)
    raise MyErr()

print("run returned", asyncio.run(ok()))
try:
    asyncio.run(bad())
except MyErr:
    print("run raised MyErr")
