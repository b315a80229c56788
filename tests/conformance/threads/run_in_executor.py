# from: test_events.py::test_run_in_executor / test_base_events.py::test_run_in_executor_cancel
import asyncio, time

def work(x):
    return x + 1

async def main():
    loop = asyncio.get_running_loop()
    f = loop.run_in_executor(None, work, 1)
    print("future pending at first:", not f.done())
    print("result", await f)
    g = loop.run_in_executor(None, time.sleep, 0.05)
    g.cancel()
    try:
        await g
    except asyncio.CancelledError:
        print("awaiting a cancelled executor future: CancelledError")

asyncio.run(main())
