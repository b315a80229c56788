# from: test_timeouts.py::test_timeout_double_enter (re-entering a used Timeout: RuntimeError)
# xfail: re-entering a cio_timeout_t that was already used succeeds (issue 19, fixed by 19a)
import asyncio

async def main():
    cm = asyncio.timeout(10)
    async with cm:
        pass
    try:
        async with cm:
            pass
        print("re-enter succeeded")
    except RuntimeError:
        print("re-enter: RuntimeError")

asyncio.run(main())
