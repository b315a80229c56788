# from: test_futures.py::test_future_add_done_callback / callbacks run via call_soon, in order, never inline
import asyncio

async def main():
    loop = asyncio.get_running_loop()
    f = loop.create_future()
    f.add_done_callback(lambda f: print("cb1", f.result()))
    f.add_done_callback(lambda f: print("cb2", f.result()))
    loop.call_soon(print, "plain call_soon before set_result")
    f.set_result("v")
    print("after set_result (callbacks not run yet)")
    await asyncio.sleep(0)
    print("after one iteration")
    f.add_done_callback(lambda f: print("cb3 added after done"))
    print("added cb3")
    await asyncio.sleep(0)

asyncio.run(main())
