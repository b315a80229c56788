# from: test_tasks.py::test_set_result_causes_invalid_state / Task.set_result: RuntimeError
import asyncio

async def child():
    await asyncio.sleep(0)
    return 1

async def main():
    t = asyncio.create_task(child())
    try:
        t.set_result(5)
    except RuntimeError:
        print("set_result: RuntimeError")
    try:
        t.set_exception(ValueError())
    except RuntimeError:
        print("set_exception: RuntimeError")
    print("result", await t)

asyncio.run(main())
