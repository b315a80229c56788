# from: test_futures.py::test_remove_done_callback (removes every match, returns the count)
import asyncio

def a(f): print("a")
def b(f): print("b")

async def main():
    loop = asyncio.get_running_loop()
    f = loop.create_future()
    f.add_done_callback(a)
    f.add_done_callback(b)
    f.add_done_callback(a)
    print("removed", f.remove_done_callback(a))
    print("removed again", f.remove_done_callback(a))
    f.set_result(None)
    await asyncio.sleep(0)

asyncio.run(main())
