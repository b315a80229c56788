# from: test_streams.py / StreamWriter.can_write_eof / write_eof (half-close: the peer sees EOF, we still read)
import asyncio, socket

async def main():
    a, b = socket.socketpair()
    r, w = await asyncio.open_connection(sock=a)
    print("can_write_eof", w.can_write_eof())
    w.write(b"request")
    w.write_eof()
    await w.drain()
    got = b""
    while True:
        chunk = await asyncio.to_thread(b.recv, 100)
        if not chunk:
            break
        got += chunk
    print("peer got", got, "then EOF")
    b.sendall(b"reply")
    b.close()
    print("still readable:", await r.read())
    w.close()

asyncio.run(main())
