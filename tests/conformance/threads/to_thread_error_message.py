# from: test_threads.py::ToThreadTests::test_to_thread_exception (the error's message crosses the thread)
# xfail: an error's message is lost across threads (to_thread keeps only the code; issue 19, fixed by 19a)
import asyncio

class MyErr(Exception):
    pass

def fail():
    raise MyErr("bad input 7")

async def main():
    try:
        await asyncio.to_thread(fail)
    except MyErr as e:
        print("to_thread raised MyErr:", e)

asyncio.run(main())
