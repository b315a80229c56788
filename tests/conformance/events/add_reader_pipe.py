# from: test_events.py::test_add_reader / test_remove_reader (a readable fd calls back until removed)
import asyncio, os

loop = asyncio.new_event_loop()
r, w = os.pipe()
got = []
def on_readable():
    data = os.read(r, 100)
    print("read", data.decode())
    if data == b"end":
        print("remove_reader", loop.remove_reader(r))
        print("remove again", loop.remove_reader(r))
        loop.stop()
loop.add_reader(r, on_readable)
loop.call_soon(os.write, w, b"hello")
loop.call_later(0.02, os.write, w, b"end")
loop.run_forever()
os.close(r); os.close(w)
loop.close()
