# from: test_futures.py::test_callbacks_invoked_on_set_result / on cancel too
import asyncio

async def main():
    loop = asyncio.get_running_loop()
    f = loop.create_future()
    f.add_done_callback(lambda f: print("callback: cancelled", f.cancelled()))
    f.cancel()
    print("cancelled; callback pending")
    await asyncio.sleep(0)
    g = loop.create_future()
    g.add_done_callback(lambda g: print("callback: exception", type(g.exception()).__name__))
    g.set_exception(ValueError())
    await asyncio.sleep(0)

asyncio.run(main())
