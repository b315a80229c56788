# from: test_futures.py::test_result / test_cancel (a done future refuses another outcome)
import asyncio

async def main():
    loop = asyncio.get_running_loop()
    f = loop.create_future()
    f.set_result(1)
    for what, call in (("set_result", lambda: f.set_result(2)),
                       ("set_exception", lambda: f.set_exception(ValueError()))):
        try:
            call()
        except asyncio.InvalidStateError:
            print(what, "on done: InvalidStateError")
    print("cancel on done", f.cancel(), "result still", f.result())
    g = loop.create_future()
    print("cancel", g.cancel(), "cancelled", g.cancelled(), "done", g.done())
    try:
        g.set_result(1)
    except asyncio.InvalidStateError:
        print("set_result on cancelled: InvalidStateError")
    try:
        g.exception()
    except asyncio.CancelledError:
        print("exception() on cancelled: CancelledError")

asyncio.run(main())
