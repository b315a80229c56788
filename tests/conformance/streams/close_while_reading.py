# from: test_streams.py / closing the writer while another task reads: the reader sees EOF
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
