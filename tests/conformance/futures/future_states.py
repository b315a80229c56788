# from: test_futures.py::test_initial_state / test_result / test_exception
import asyncio

class MyErr(Exception):
    pass

async def main():
    loop = asyncio.get_running_loop()
    f = loop.create_future()
    print("pending: done", f.done(), "cancelled", f.cancelled())
    try:
        f.result()
    except asyncio.InvalidStateError:
        print("result() pending: InvalidStateError")
    try:
        f.exception()
    except asyncio.InvalidStateError:
        print("exception() pending: InvalidStateError")
    f.set_result(42)
    print("result", f.result(), "exception", f.exception(), "done", f.done())
    g = loop.create_future()
    g.set_exception(MyErr("bad"))
    print("exception", type(g.exception()).__name__, str(g.exception()))
    try:
        g.result()
    except MyErr:
        print("result(): MyErr")
    print("get_loop is running loop", f.get_loop() is loop)

asyncio.run(main())
