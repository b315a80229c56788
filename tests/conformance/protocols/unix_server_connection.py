# from: test_events.py::test_create_unix_connection / test_create_unix_server
import asyncio, os, tempfile

class Echo(asyncio.Protocol):
    def connection_made(self, t):
        self.t = t
    def data_received(self, data):
        self.t.write(data[::-1])
        self.t.close()

class Client(asyncio.Protocol):
    def data_received(self, data):
        print("client got", data)
    def connection_lost(self, exc):
        print("client connection_lost", exc)
        done.set_result(None)

async def main():
    global done
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    d = tempfile.mkdtemp()
    path = os.path.join(d, "p.sock")
    srv = await loop.create_unix_server(Echo, path)
    t, _ = await loop.create_unix_connection(Client, path)
    t.write(b"stressed")
    await done
    srv.close()
    await srv.wait_closed()
    if os.path.exists(path):
        os.unlink(path)
    os.rmdir(d)

asyncio.run(main())
