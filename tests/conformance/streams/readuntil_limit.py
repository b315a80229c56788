# from: test_streams.py::StreamTests::test_readuntil_limit_found_sep (LimitOverrunError, the data kept)
import asyncio, socket

async def main():
    a, b = socket.socketpair()
    r, w = await asyncio.open_connection(sock=a, limit=4)
    b.sendall(b"0123456789|")
    b.shutdown(socket.SHUT_WR)
    await asyncio.sleep(0.01)
    try:
        await r.readuntil(b"|")
    except asyncio.LimitOverrunError as e:
        print("LimitOverrunError")
    print("data kept:", await r.read(100))
    w.close(); b.close()

asyncio.run(main())
