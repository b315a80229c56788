# from: test_events.py::test_handle / test_timer_cancel (a cancelled handle never runs; cancelled() reports it)
import asyncio

loop = asyncio.new_event_loop()
h1 = loop.call_soon(print, "h1 must not run")
h2 = loop.call_later(0.01, print, "h2 must not run")
h3 = loop.call_soon(print, "h3 runs")
h1.cancel()
h2.cancel()
h1.cancel()
print("cancelled", h1.cancelled(), h2.cancelled(), h3.cancelled())
loop.call_later(0.03, loop.stop)
loop.run_forever()
loop.close()
