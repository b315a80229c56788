# from: test_tasks.py::test_task_print_stack / test_get_stack (a suspended task's stack names it; a done task has none)
import asyncio, io

async def worker(ev):
    await ev.wait()

async def main():
    ev = asyncio.Event()
    t = asyncio.create_task(worker(ev), name="worker-7")
    await asyncio.sleep(0)
    buf = io.StringIO()
    t.print_stack(file=buf)
    print("a suspended task's stack names it:", "worker-7" in buf.getvalue())
    ev.set()
    await t
    print("a done task has no frames:", t.get_stack() == [])

asyncio.run(main())
