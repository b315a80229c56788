# from: test_events.py::test_call_soon / test_base_events.py::test_call_soon (FIFO; a callback scheduled by a callback runs next iteration)
import asyncio

loop = asyncio.new_event_loop()
def cb(name):
    print("cb", name)
    if name == "b":
        loop.call_soon(cb, "d (scheduled by b)")
loop.call_soon(cb, "a")
loop.call_soon(cb, "b")
loop.call_soon(cb, "c")
loop.call_soon(loop.stop)
loop.run_forever()
print("stopped")
loop.call_soon(loop.stop)
loop.run_forever()
print("stopped again")
loop.close()
