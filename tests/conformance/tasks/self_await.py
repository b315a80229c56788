# from: test_tasks.py::test_await_itself (a task awaiting itself: RuntimeError)
import asyncio

async def main():
    try:
        await asyncio.current_task()
    except RuntimeError:
        print("RuntimeError")
    print("still running")

asyncio.run(main())
