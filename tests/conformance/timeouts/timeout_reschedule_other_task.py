# from: test_timeouts.py::test_reschedule (any task may move the deadline)
# xfail: cio_timeout_reschedule from a task other than the one that entered the scope is refused (issue 19, fixed by 19a)
import asyncio

async def main():
    loop = asyncio.get_running_loop()
    async def mover(cm):
        cm.reschedule(loop.time() + 0.01)
        print("moved by another task")
    try:
        async with asyncio.timeout(10) as cm:
            await asyncio.create_task(mover(cm))
            await asyncio.sleep(10)
    except TimeoutError:
        print("TimeoutError")

asyncio.run(main())
