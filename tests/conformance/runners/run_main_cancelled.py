# from: test_runners.py::RunTests (the main task cancelled: run raises CancelledError)
import asyncio

async def main():
    asyncio.current_task().cancel()
    await asyncio.sleep(0)

try:
    asyncio.run(main())
except asyncio.CancelledError:
    print("run: CancelledError")
