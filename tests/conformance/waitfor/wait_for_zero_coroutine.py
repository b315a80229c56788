# from: test_waitfor.py::test_wait_for_timeout_less_then_0_or_0_coroutine_do_not_started (3.12: timeout <= 0 never starts the coroutine)
# requires: 3.12
import asyncio

async def never():
    print("started (wrong)")

async def main():
    for timeout in (0, -1):
        try:
            await asyncio.wait_for(never(), timeout)
        except TimeoutError:
            print("timeout", timeout, "TimeoutError")

asyncio.run(main())
