# from: test_streams.py::StreamTests::test_readline_limit / test_readline_limit_with_existing_data (over the limit: ValueError, the line dropped)
import asyncio, socket

async def main():
    a, b = socket.socketpair()
    r, w = await asyncio.open_connection(sock=a, limit=8)
    b.sendall(b"0123456789ABCDEF\nshort\n")
    b.shutdown(socket.SHUT_WR)
    await asyncio.sleep(0.01)
    try:
        await r.readline()
    except ValueError:
        print("readline over the limit: ValueError")
    print("next:", await r.readline())
    w.close(); b.close()

asyncio.run(main())
