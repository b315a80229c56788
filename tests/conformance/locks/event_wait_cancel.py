# from: test_locks.py::EventTests::test_wait_cancel
import asyncio

async def main():
    ev = asyncio.Event()
    t = asyncio.create_task(ev.wait())
    await asyncio.sleep(0)
    t.cancel()
    try:
        await t
    except asyncio.CancelledError:
        print("wait: CancelledError")
    ev.set()
    print("set after cancel; is_set", ev.is_set())

asyncio.run(main())
