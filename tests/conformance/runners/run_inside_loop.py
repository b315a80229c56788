# from: test_runners.py::RunTests::test_asyncio_run_from_running_loop / RunnerTests::test_run_non_coro... (RuntimeError inside a running loop)
import asyncio

async def inner():
    return 1

async def main():
    c = inner()
    try:
        asyncio.run(c)
    except RuntimeError:
        print("run inside a loop: RuntimeError")
    c.close()
    r = asyncio.Runner()
    c = inner()
    try:
        r.run(c)
    except RuntimeError:
        print("Runner.run inside a loop: RuntimeError")
    c.close()
    r.close()

asyncio.run(main())
