# from: test_tasks.py::test_current_task / test_all_tasks
import asyncio

async def child(ev):
    await ev.wait()

async def main():
    me = asyncio.current_task()
    print("current is a task:", me is not None)
    ev = asyncio.Event()
    ts = [asyncio.create_task(child(ev)) for _ in range(3)]
    print("all_tasks:", len(asyncio.all_tasks()))
    ev.set()
    await asyncio.gather(*ts)
    print("all_tasks after:", len(asyncio.all_tasks()))
    print("main in all_tasks:", me in asyncio.all_tasks())

print("current_task outside:", end=" ")
try:
    print(asyncio.current_task())
except RuntimeError:
    print("RuntimeError")
asyncio.run(main())
