# from: test_events.py::test_call_at (absolute deadlines on loop.time(); equal deadlines in scheduling order)
import asyncio

loop = asyncio.new_event_loop()
now = loop.time()
loop.call_at(now + 0.02, print, "second (0.02)")
loop.call_at(now + 0.01, print, "first (0.01) a")
loop.call_at(now + 0.01, print, "first (0.01) b")
loop.call_at(now + 0.04, loop.stop)
loop.run_forever()
print("time advanced:", loop.time() >= now + 0.04)
loop.close()
