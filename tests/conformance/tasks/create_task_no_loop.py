# from: test_tasks.py::test_create_task_with_noncoroutine / no running loop: RuntimeError
import asyncio

async def child():
    pass

c = child()
try:
    asyncio.create_task(c)
except RuntimeError:
    print("create_task outside a loop: RuntimeError")
c.close()
try:
    asyncio.get_running_loop()
except RuntimeError:
    print("get_running_loop outside a loop: RuntimeError")
