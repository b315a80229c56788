# from: test_events.py::test_call_later / test_base_events.py::test__run_once (timers by deadline, after ready callbacks)
import asyncio

loop = asyncio.new_event_loop()
loop.call_later(0.03, print, "later 0.03")
loop.call_later(0.01, print, "later 0.01")
loop.call_later(0, print, "later 0")
loop.call_soon(print, "soon")
loop.call_later(0.05, loop.stop)
loop.run_forever()
loop.close()
