# from: test_events.py::test_timer_handle / TimerHandle.when() returns the deadline given
# xfail: cio_handle_when() can come back 1 ns off the value given to cio_call_at (issue 19, fixed by 19a)
import asyncio

loop = asyncio.new_event_loop()
results = []
for i in range(200):
    when = loop.time() + 0.1 + i / 7.0
    h = loop.call_at(when, print, "never")
    results.append(h.when() == when)
    h.cancel()
print("when() == given for all:", all(results))
loop.close()
