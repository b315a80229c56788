# from: test_base_events.py::test_set_debug / slow_callback_duration default
import asyncio

loop = asyncio.new_event_loop()
loop.set_debug(False)
print("debug", loop.get_debug())
loop.set_debug(True)
print("debug", loop.get_debug())
print("slow_callback_duration", loop.slow_callback_duration)
loop.slow_callback_duration = 0.5
print("slow_callback_duration", loop.slow_callback_duration)
loop.close()
