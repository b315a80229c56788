# from: test_events.py::test_call_soon_threadsafe_same_thread (call_soon and call_soon_threadsafe share one FIFO)
# xfail: a call_soon_threadsafe callback runs after a later same-thread call_soon (separate queue; issue 19, fixed by 19a)
import asyncio

loop = asyncio.new_event_loop()
loop.call_soon_threadsafe(print, "threadsafe 1")
loop.call_soon(print, "soon 2")
loop.call_soon_threadsafe(print, "threadsafe 3")
loop.call_soon(print, "soon 4")
loop.call_soon(loop.stop)
loop.run_forever()
loop.close()
