# from: test_waitfor.py::test_wait_for_self_cancellation / inner cancelled by someone else: CancelledError, not TimeoutError
import asyncio

async def main():
    loop = asyncio.get_running_loop()
    f = loop.create_future()
    loop.call_later(0.01, f.cancel)
    try:
        await asyncio.wait_for(f, 10)
    except asyncio.CancelledError:
        print("CancelledError")
    except TimeoutError:
        print("TimeoutError (wrong)")
    print("main cancelling", asyncio.current_task().cancelling())

asyncio.run(main())
