# from: test_streams.py::StreamTests::test_read_cancel / a cancelled read loses no byte
import asyncio, socket

async def main():
    a, b = socket.socketpair()
    r, w = await asyncio.open_connection(sock=a)
    t = asyncio.create_task(r.readline())
    await asyncio.sleep(0.01)
    b.sendall(b"half")
    await asyncio.sleep(0.01)
    t.cancel()
    try:
        await t
    except asyncio.CancelledError:
        print("readline: CancelledError")
    b.sendall(b" line\n")
    print("next readline:", await r.readline())
    w.close(); b.close()

asyncio.run(main())
