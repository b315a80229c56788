# from: test_tasks.py::RunCoroutineThreadsafeTests::test_run_coroutine_threadsafe / _with_exception / _with_timeout
import asyncio, threading

class MyErr(Exception):
    pass

async def add(a, b):
    await asyncio.sleep(0.01)
    return a + b

async def bad():
    raise MyErr()

async def forever():
    await asyncio.sleep(10)

def other_thread(loop, out):
    f = asyncio.run_coroutine_threadsafe(add(1, 2), loop)
    out.append("result %d" % f.result(5))
    f = asyncio.run_coroutine_threadsafe(bad(), loop)
    try:
        f.result(5)
    except MyErr:
        out.append("exception MyErr")
    f = asyncio.run_coroutine_threadsafe(forever(), loop)
    try:
        f.result(0.01)
    except TimeoutError:
        out.append("result(timeout) TimeoutError, done %s" % f.done())
    f.cancel()
    try:
        f.result(5)
    except Exception as e:
        out.append("after cancel: %s" % type(e).__name__)

async def main():
    out = []
    await asyncio.to_thread(other_thread, asyncio.get_running_loop(), out)
    for line in out:
        print(line)

asyncio.run(main())
