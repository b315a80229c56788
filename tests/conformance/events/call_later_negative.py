# from: test_base_events.py::test_call_later_negative_delays (a negative delay orders by its real, earlier deadline)
import asyncio

loop = asyncio.new_event_loop()
loop.call_later(0, print, "delay 0")
loop.call_later(-1, print, "delay -1")
loop.call_later(-5, print, "delay -5")
loop.call_later(0.01, loop.stop)
loop.run_forever()
loop.close()
