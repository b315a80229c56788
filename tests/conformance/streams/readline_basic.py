# from: test_streams.py::StreamTests::test_readline / test_readline_eof / test_readline_empty_eof
import asyncio, socket

async def main():
    a, b = socket.socketpair()
    r, w = await asyncio.open_connection(sock=a)
    b.sendall(b"line1\nline2\npartial")
    b.shutdown(socket.SHUT_WR)
    print(await r.readline())
    print(await r.readline())
    print(await r.readline())
    print(await r.readline(), "at_eof", r.at_eof())
    w.close(); await w.wait_closed(); b.close()

asyncio.run(main())
