# from: test_events.py::test_read_pipe (data_received, eof_received, connection_lost on a pipe)
import asyncio, os

class P(asyncio.Protocol):
    def connection_made(self, t):
        print("connection_made")
    def data_received(self, data):
        print("data_received", data)
    def eof_received(self):
        print("eof_received")
    def connection_lost(self, exc):
        print("connection_lost", exc)
        done.set_result(None)

async def main():
    global done
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    r, w = os.pipe()
    t, p = await loop.connect_read_pipe(P, os.fdopen(r, "rb", 0))
    os.write(w, b"through the pipe")
    await asyncio.sleep(0.01)
    os.close(w)
    await done

asyncio.run(main())
