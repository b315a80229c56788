# from: test_events.py::test_create_connection / test_create_server (connection_made, data_received, eof_received, connection_lost, each end once)
import asyncio

class Server(asyncio.Protocol):
    def connection_made(self, t):
        self.t = t
        print("info: server: connection_made (its order against the client's is not specified)")
    def data_received(self, data):
        print("server: data_received", data)
        self.t.write(data.upper())
    def eof_received(self):
        print("server: eof_received")
        return False
    def connection_lost(self, exc):
        print("server: connection_lost", exc)
        done_server.set_result(None)

class Client(asyncio.Protocol):
    def connection_made(self, t):
        print("client: connection_made")
    def data_received(self, data):
        print("client: data_received", data)
        got.set_result(None)
    def eof_received(self):
        print("client: eof_received")
    def connection_lost(self, exc):
        print("client: connection_lost", exc)
        done_client.set_result(None)

async def main():
    global got, done_server, done_client
    loop = asyncio.get_running_loop()
    got, done_server, done_client = loop.create_future(), loop.create_future(), loop.create_future()
    srv = await loop.create_server(Server, "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    t, p = await loop.create_connection(Client, "127.0.0.1", port)
    print("create_connection returned")
    t.write(b"hello")
    await got
    t.write_eof()
    await done_server
    await done_client
    srv.close()
    await srv.wait_closed()

asyncio.run(main())
