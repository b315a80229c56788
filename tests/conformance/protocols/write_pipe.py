# from: test_events.py::test_write_pipe (write, close flushes, connection_lost None)
import asyncio, os

class P(asyncio.BaseProtocol):
    def connection_made(self, t):
        print("connection_made")
    def connection_lost(self, exc):
        print("connection_lost", exc)
        done.set_result(None)

async def main():
    global done
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    r, w = os.pipe()
    t, p = await loop.connect_write_pipe(P, os.fdopen(w, "wb", 0))
    print("can_write_eof", t.can_write_eof())
    t.write(b"one ")
    t.writelines([b"two ", b"three"])
    t.close()
    await done
    print("reader got", os.read(r, 100))
    os.close(r)

asyncio.run(main())
