# from: test_waitfor.py::test_wait_for_suppresses_cancellation / test_wait_for_race_condition (3.12: an inner that swallows the timeout's cancel returns its value)
# requires: 3.12
import asyncio

async def stubborn():
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        print("inner swallows the cancel")
    return "kept"

async def main():
    r = await asyncio.wait_for(stubborn(), 0.01)
    print("wait_for returned", r)

asyncio.run(main())
