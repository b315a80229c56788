# from: test_runners.py::RunnerTests::test_run_keeps_context / test_recursive_run... (one loop across runs; close; run after close)
import asyncio

async def get_loop():
    return asyncio.get_running_loop()

async def one():
    return 1

r = asyncio.Runner()
l1 = r.run(get_loop())
l2 = r.run(get_loop())
print("same loop across runs:", l1 is l2, "get_loop too:", r.get_loop() is l1)
r.close()
r.close()
print("close twice ok")
c = one()
try:
    r.run(c)
except RuntimeError:
    print("run after close: RuntimeError")
c.close()
try:
    r.get_loop()
except RuntimeError:
    print("get_loop after close: RuntimeError")
