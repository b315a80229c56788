# from: test_events.py / Protocol.eof_received returning True keeps the transport open for writing
import asyncio, socket

class P(asyncio.Protocol):
    def connection_made(self, t):
        self.t = t
    def data_received(self, data):
        print("data_received", data)
    def eof_received(self):
        print("eof_received -> True (keep open)")
        self.t.write(b"late reply")
        self.t.close()
        return True
    def connection_lost(self, exc):
        print("connection_lost", exc)
        lost.set_result(None)

async def main():
    global lost
    loop = asyncio.get_running_loop()
    lost = loop.create_future()
    a, b = socket.socketpair()
    t, p = await loop.connect_accepted_socket(P, a)
    b.sendall(b"question")
    b.shutdown(socket.SHUT_WR)
    await lost
    print("peer got", b.recv(100))
    b.close()

asyncio.run(main())
