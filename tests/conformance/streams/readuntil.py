# from: test_streams.py::StreamTests::test_readuntil_separator / test_readuntil_eof / test_readuntil_multi_chunks
import asyncio, socket

async def main():
    a, b = socket.socketpair()
    r, w = await asyncio.open_connection(sock=a)
    b.sendall(b"key=value;;next;;tail")
    b.shutdown(socket.SHUT_WR)
    print(await r.readuntil(b";;"))
    print(await r.readuntil(b";;"))
    try:
        await r.readuntil(b";;")
    except asyncio.IncompleteReadError as e:
        print("IncompleteReadError partial", e.partial)
    try:
        await r.readuntil(b"")
    except ValueError:
        print("empty separator: ValueError")
    w.close(); b.close()

asyncio.run(main())
