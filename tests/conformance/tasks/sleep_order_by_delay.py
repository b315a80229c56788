# from: test_tasks.py::test_sleep (wake-ups in deadline order)
import asyncio

async def say(d, what):
    await asyncio.sleep(d)
    print(what)

async def main():
    await asyncio.gather(say(0.06, "third"), say(0.02, "first"), say(0.04, "second"))

asyncio.run(main())
