# from: test_base_events.py::test_run_forever_pre_stopped / stop() before run_forever: exactly one iteration
import asyncio

loop = asyncio.new_event_loop()
def again(n):
    print("iteration callback", n)
    loop.call_soon(again, n + 1)
loop.call_soon(again, 1)
loop.stop()
loop.run_forever()
print("returned")
loop.stop()
loop.run_forever()
print("returned again")
loop.close()
