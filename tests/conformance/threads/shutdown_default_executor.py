# from: test_base_events.py::test_shutdown_default_executor / a new job after it starts a new pool
import asyncio

def work():
    return "ran"

async def main():
    loop = asyncio.get_running_loop()
    print(await loop.run_in_executor(None, work))
    await loop.shutdown_default_executor()
    print("shut down")

asyncio.run(main())
