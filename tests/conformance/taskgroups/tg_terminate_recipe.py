# from: the TaskGroup "terminating a task group" recipe (docs): a private exception stops the group
import asyncio

class TerminateTaskGroup(Exception):
    pass

async def force_terminate():
    raise TerminateTaskGroup()

async def job(i, d):
    try:
        await asyncio.sleep(d)
        print("job", i, "finished")
    except asyncio.CancelledError:
        print("job", i, "cancelled")
        raise

async def main():
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(job(1, 0.01))
            tg.create_task(job(2, 10))
            await asyncio.sleep(0.05)
            tg.create_task(force_terminate())
    except* TerminateTaskGroup:
        print("terminated")

asyncio.run(main())
