# from: test_timeouts.py::test_nested_timeouts / test_nested_timeout_in_finally (only the expired scope converts)
import asyncio

async def main():
    try:
        async with asyncio.timeout(0.01) as outer:
            try:
                async with asyncio.timeout(10) as inner:
                    await asyncio.sleep(10)
            except TimeoutError:
                print("inner converted (wrong)")
            except asyncio.CancelledError:
                print("inner scope lets CancelledError through, inner expired", inner.expired())
                raise
    except TimeoutError:
        print("outer: TimeoutError, outer expired", outer.expired())
    try:
        async with asyncio.timeout(10) as outer:
            async with asyncio.timeout(0.01) as inner:
                await asyncio.sleep(10)
    except TimeoutError:
        print("inner expired", inner.expired(), "outer expired", outer.expired())

asyncio.run(main())
