# from: test_runners.py::RunTests::test_asyncio_run_reports_hanging_tasks_errors (a leftover failing on cancel goes to the handler)
import asyncio

class MyErr(Exception):
    pass

async def leftover():
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        raise MyErr("during shutdown")

def handler(loop, ctx):
    print("handler:", type(ctx.get("exception")).__name__, "task given", "task" in ctx or "future" in ctx)

async def main():
    asyncio.get_running_loop().set_exception_handler(handler)
    asyncio.create_task(leftover())
    await asyncio.sleep(0)
    return 1

print("run returned", asyncio.run(main()))
