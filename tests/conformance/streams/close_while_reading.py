# from: test_streams.py / closing the writer while another task reads: the reader sees EOF
# xfail: a read pending when the stream is closed (by close_clients or the stream's own close) returns CIO_ECLOSED; asyncio's reader sees EOF (b'') (a new finding)
import asyncio, socket

async def main():
    a, b = socket.socketpair()
    r, w = await asyncio.open_connection(sock=a)
    t = asyncio.create_task(r.read(100))
    await asyncio.sleep(0.01)
    w.close()
    print("pending read returns", await t)
    await w.wait_closed()
    b.close()

asyncio.run(main())
