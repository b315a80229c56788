# from: test_events.py::test_add_writer / test_remove_writer (a writable fd calls back until removed)
import asyncio, os

loop = asyncio.new_event_loop()
r, w = os.pipe()
count = [0]
def on_writable():
    count[0] += 1
    os.write(w, b"x")
    if count[0] == 3:
        print("remove_writer", loop.remove_writer(w))
        loop.call_soon(loop.stop)
loop.add_writer(w, on_writable)
loop.run_forever()
print("called", count[0], "times; pipe holds", len(os.read(r, 100)))
print("remove again", loop.remove_writer(w))
os.close(r); os.close(w)
loop.close()
