# from: test_events.py::TestCGetEventLoop / test_get_event_loop_after_set_none (set_event_loop, get_event_loop outside a running loop)
import asyncio

loop = asyncio.new_event_loop()
asyncio.set_event_loop(loop)
print("get_event_loop is the set loop:", asyncio.get_event_loop() is loop)
asyncio.set_event_loop(None)
try:
    asyncio.get_event_loop()
    print("got a loop")
except RuntimeError:
    print("after set_event_loop(None): RuntimeError")
loop.close()
