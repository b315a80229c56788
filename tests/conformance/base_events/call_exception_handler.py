# from: test_base_events.py::test_call_exception_handler / custom handler receives the context
import asyncio

def handler(loop, ctx):
    print("handler got:", ctx["message"], "exception" in ctx)

loop = asyncio.new_event_loop()
loop.set_exception_handler(handler)
loop.call_exception_handler({"message": "custom report"})
loop.call_exception_handler({"message": "with error", "exception": ValueError("x")})
loop.close()
