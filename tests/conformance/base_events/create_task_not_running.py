# from: test_base_events.py::BaseEventLoopTests::test_create_task (a loop that is not running accepts tasks; they start with it)
import asyncio

async def child():
    print("child runs once the loop runs")
    return 3

loop = asyncio.new_event_loop()
t = loop.create_task(child())
print("created, not running:", not loop.is_running(), "done", t.done())
print("result", loop.run_until_complete(t))
loop.close()
