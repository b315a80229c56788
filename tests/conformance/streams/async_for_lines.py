# from: test_streams.py::StreamTests::test___aiter__ / async for line in reader (ends at EOF; a last line without newline included)
import asyncio, socket

async def main():
    a, b = socket.socketpair()
    r, w = await asyncio.open_connection(sock=a)
    b.sendall(b"alpha\nbeta\ngamma")
    b.shutdown(socket.SHUT_WR)
    async for line in r:
        print("line", line)
    print("loop ended at EOF")
    w.close(); b.close()

asyncio.run(main())
