# from: test_threads.py::ToThreadTests::test_to_thread / test_to_thread_exception
import asyncio, threading

class MyErr(Exception):
    pass

def work(x):
    return x * 2, threading.current_thread() is not threading.main_thread()

def fail():
    raise MyErr("in thread")

async def main():
    r, other = await asyncio.to_thread(work, 21)
    print("to_thread returned", r, "ran in another thread:", other)
    try:
        await asyncio.to_thread(fail)
    except MyErr as e:
        print("to_thread raised MyErr")

asyncio.run(main())
