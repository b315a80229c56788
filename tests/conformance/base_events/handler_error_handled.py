# from: test_base_events.py::test_set_exc_handler_broken (a handler that itself fails goes to the default; the loop goes on)
import asyncio, logging

logging.disable(logging.CRITICAL)

def broken(loop, ctx):
    print("broken handler called")
    raise RuntimeError("handler failed")

def bad():
    raise ValueError()

loop = asyncio.new_event_loop()
loop.set_exception_handler(broken)
loop.call_soon(bad)
loop.call_soon(print, "loop goes on")
loop.call_soon(loop.stop)
loop.run_forever()
loop.close()
