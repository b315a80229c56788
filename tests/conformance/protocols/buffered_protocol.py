# from: test_buffered_proto.py::test_buffered_protocol (get_buffer / buffer_updated instead of data_received)
import asyncio, socket

class BP(asyncio.BufferedProtocol):
    def __init__(self):
        self.buf = bytearray(4)
        self.got = b""
    def get_buffer(self, sizehint):
        return self.buf
    def buffer_updated(self, n):
        self.got += bytes(self.buf[:n])
    def eof_received(self):
        print("eof_received; got", self.got, "in pieces of at most", len(self.buf))
    def connection_lost(self, exc):
        done.set_result(None)

async def main():
    global done
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    a, b = socket.socketpair()
    await loop.connect_accepted_socket(BP, a)
    b.sendall(b"0123456789")
    b.shutdown(socket.SHUT_WR)
    await done
    b.close()

asyncio.run(main())
