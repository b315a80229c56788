# from: test_runners.py::RunnerTests::test_debug / RunTests::test_asyncio_run_debug
import asyncio

async def dbg():
    return asyncio.get_running_loop().get_debug()

print("debug=True:", asyncio.run(dbg(), debug=True))
print("debug=False:", asyncio.run(dbg(), debug=False))
with asyncio.Runner(debug=True) as r:
    print("Runner(debug=True):", r.run(dbg()))
