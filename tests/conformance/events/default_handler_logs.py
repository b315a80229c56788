# from: test_base_events.py::test_default_exc_handler_callback / test_set_exc_handler_default (the default handler logs at ERROR)
import asyncio, logging

class Capture(logging.Handler):
    def emit(self, record):
        print("logged at ERROR:", record.levelno == logging.ERROR)

log = logging.getLogger("asyncio")
log.addHandler(Capture())
log.propagate = False

def delegate(loop, ctx):
    print("custom handler delegates")
    loop.default_exception_handler(ctx)

loop = asyncio.new_event_loop()
loop.set_exception_handler(delegate)
loop.call_soon(lambda: 1 / 0)
loop.call_soon(loop.stop)
loop.run_forever()
loop.close()
