# from: test_runners.py::RunTests::test_asyncio_run_cancels_hanging_tasks / test_asyncio_run_closes_gens_after_hanging_tasks_errors
import asyncio

cancelled = []

async def leftover(i):
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        print("info: leftover", i, "cancelled at shutdown (the order is all_tasks' set's)")
        cancelled.append(i)
        raise

async def main():
    for i in range(2):
        asyncio.create_task(leftover(i))
    await asyncio.sleep(0)
    print("main returns")
    return "main"

print("run returned", asyncio.run(main()))
print("cancelled at shutdown:", sorted(cancelled))
