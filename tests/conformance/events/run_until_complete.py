# from: test_events.py::test_run_until_complete / test_run_until_complete_stopped
import asyncio

async def val():
    await asyncio.sleep(0.01)
    return "value"

async def forever():
    await asyncio.sleep(10)

loop = asyncio.new_event_loop()
print("running before:", loop.is_running())
print("result:", loop.run_until_complete(val()))
t = loop.create_task(forever())
loop.call_soon(loop.stop)
try:
    loop.run_until_complete(t)
except RuntimeError:
    print("stopped first: RuntimeError")
t.cancel()
try:
    loop.run_until_complete(t)
except asyncio.CancelledError:
    print("cancelled task: CancelledError")
loop.close()
print("closed:", loop.is_closed())
try:
    c = asyncio.sleep(0); loop.run_until_complete(c)
except RuntimeError:
    print("closed loop: RuntimeError")
