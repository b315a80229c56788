# from: test_tasks.py::test_cancel_with_message_then_future_result
import asyncio

async def child():
    await asyncio.sleep(10)

async def main():
    t = asyncio.create_task(child())
    await asyncio.sleep(0)
    t.cancel("my message")
    await asyncio.wait([t])
    try:
        t.result()
    except asyncio.CancelledError as e:
        print("result(): CancelledError", e.args)
    t2 = asyncio.create_task(child())
    await asyncio.sleep(0)
    t2.cancel("second")
    try:
        await t2
    except asyncio.CancelledError as e:
        print("await: CancelledError", e.args)

asyncio.run(main())
