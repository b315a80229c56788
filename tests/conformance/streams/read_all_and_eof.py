# from: test_streams.py::StreamTests::test_read_until_eof / test_read_zero / test_read_eof
import asyncio, socket

async def main():
    a, b = socket.socketpair()
    r, w = await asyncio.open_connection(sock=a)
    b.sendall(b"chunk1 ")
    print("read(0):", await r.read(0))
    print("read(100):", await r.read(100))
    b.sendall(b"chunk2 chunk3")
    b.shutdown(socket.SHUT_WR)
    print("read(-1):", await r.read(-1))
    print("at EOF read(100):", await r.read(100), "at_eof", r.at_eof())
    w.close(); b.close()

asyncio.run(main())
