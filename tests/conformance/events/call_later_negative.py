# from: test_base_events.py::test_call_later_negative_delays (a negative delay orders by its real, earlier deadline)
# xfail: cio clamps a negative call_later delay to 0, so call_later(-5) runs after an earlier call_later(0) (issue 19, fixed by 19a)
import asyncio

loop = asyncio.new_event_loop()
loop.call_later(0, print, "delay 0")
loop.call_later(-1, print, "delay -1")
loop.call_later(-5, print, "delay -5")
loop.call_later(0.01, loop.stop)
loop.run_forever()
loop.close()
