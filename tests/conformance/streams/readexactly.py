# from: test_streams.py::StreamTests::test_readexactly / test_readexactly_eof / test_readexactly_zero_or_less
import asyncio, socket

async def main():
    a, b = socket.socketpair()
    r, w = await asyncio.open_connection(sock=a)
    b.sendall(b"0123456789abc")
    b.shutdown(socket.SHUT_WR)
    print(await r.readexactly(4))
    print(await r.readexactly(0))
    print(await r.readexactly(6))
    try:
        await r.readexactly(10)
    except asyncio.IncompleteReadError as e:
        print("IncompleteReadError partial", e.partial, "expected", e.expected)
    w.close(); b.close()

asyncio.run(main())
