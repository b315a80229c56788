# from: test_streams.py::StreamTests::test_readuntil_multi_separators (3.13: a tuple of separators, the earliest match wins)
# requires: 3.13
import asyncio, socket

async def main():
    a, b = socket.socketpair()
    r, w = await asyncio.open_connection(sock=a)
    b.sendall(b"abc\r\ndef\nghi\r\n")
    b.shutdown(socket.SHUT_WR)
    for _ in range(3):
        print(await r.readuntil((b"\r\n", b"\n")))
    w.close(); b.close()

asyncio.run(main())
