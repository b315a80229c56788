# from: test_base_events.py::test_set_exc_handler_custom / test_default_exc_handler_callback (a failing callback goes to the handler; the loop goes on)
import asyncio

class MyErr(Exception):
    pass

def bad():
    raise MyErr("in callback")

def handler(loop, ctx):
    print("handler:", type(ctx["exception"]).__name__, str(ctx["exception"]), "has handle", "handle" in ctx)

loop = asyncio.new_event_loop()
print("default handler:", loop.get_exception_handler())
loop.set_exception_handler(handler)
print("custom handler set:", loop.get_exception_handler() is handler)
loop.call_soon(bad)
loop.call_soon(print, "next callback runs")
loop.call_soon(loop.stop)
loop.run_forever()
loop.set_exception_handler(None)
print("reset:", loop.get_exception_handler())
loop.close()
