# from: test_base_events.py::test_run_forever_keyboard_interrupt / SystemExit from a callback (propagates out of run_forever, bypasses the handler; the loop stays usable)
import asyncio

def handler(loop, ctx):
    print("handler called (wrong)")

def cb():
    raise SystemExit(3)

loop = asyncio.new_event_loop()
loop.set_exception_handler(handler)
loop.call_soon(cb)
loop.call_soon(print, "next callback")
try:
    loop.run_forever()
except SystemExit as e:
    print("run_forever raised SystemExit", e.code)
loop.call_soon(loop.stop)
loop.run_forever()
print("loop still usable")
loop.close()
