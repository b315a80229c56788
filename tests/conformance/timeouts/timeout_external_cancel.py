# from: test_timeouts.py::test_cancel_in_timeout_after_cancellation / test_outer_task_is_not_cancelled (a real cancel is not turned into TimeoutError)
import asyncio

async def body():
    async with asyncio.timeout(10):
        await asyncio.sleep(10)

async def main():
    t = asyncio.create_task(body())
    await asyncio.sleep(0)
    t.cancel()
    try:
        await t
    except asyncio.CancelledError:
        print("external cancel stays CancelledError")
    except TimeoutError:
        print("TimeoutError (wrong)")
    async with asyncio.timeout(0.01):
        pass
    print("an unexpired scope leaves cancelling at", asyncio.current_task().cancelling())

asyncio.run(main())
