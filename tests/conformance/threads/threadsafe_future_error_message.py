# from: test_tasks.py::RunCoroutineThreadsafeTests::test_run_coroutine_threadsafe_with_exception (the message crosses too)
import asyncio

class MyErr(Exception):
    pass

async def bad():
    raise MyErr("from the loop")

def other_thread(loop):
    f = asyncio.run_coroutine_threadsafe(bad(), loop)
    try:
        f.result(5)
    except MyErr as e:
        return "MyErr: %s" % e

async def main():
    print(await asyncio.to_thread(other_thread, asyncio.get_running_loop()))

asyncio.run(main())
