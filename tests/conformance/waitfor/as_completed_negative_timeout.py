# from: as_completed with a negative timeout is already expired
# xfail: cio_as_completed_new treats a negative timeout as no limit (issue 19, fixed by 19a)
import asyncio

async def main():
    t = asyncio.create_task(asyncio.sleep(0.05, "v"))
    try:
        for c in asyncio.as_completed([t], timeout=-1):
            print("got", await c)
    except TimeoutError:
        print("TimeoutError")
    await t

asyncio.run(main())
