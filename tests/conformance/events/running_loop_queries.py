# from: test_events.py::test_get_running_loop / test_get_event_loop_returns_running_loop (nested run_forever is left out: 3.13 hangs after refusing it)
import asyncio

async def main():
    loop = asyncio.get_running_loop()
    print("is_running inside:", loop.is_running())
    print("get_event_loop is running loop:", asyncio.get_event_loop() is loop)
    other = asyncio.new_event_loop()
    try:
        other.run_until_complete(other.create_future())
    except RuntimeError:
        print("second loop in this thread: RuntimeError")
    other.close()

asyncio.run(main())
