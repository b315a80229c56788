# from: test_tasks.py::test_exception_traceback / test_base_events (a task's unretrieved exception reaches the handler)
import asyncio, gc

class MyErr(Exception):
    pass

def handler(loop, ctx):
    print("handler:", ctx["message"].split(" ")[0:2], type(ctx["exception"]).__name__)

async def bad():
    raise MyErr()

async def main():
    asyncio.get_running_loop().set_exception_handler(handler)
    asyncio.create_task(bad())
    await asyncio.sleep(0.01)
    print("main done")

asyncio.run(main())
gc.collect()
print("end")
