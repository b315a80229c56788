# from: test_selector_events.py::test_write_eof / write after write_eof: RuntimeError
import asyncio, socket

async def main():
    loop = asyncio.get_running_loop()
    a, b = socket.socketpair()
    t, p = await loop.connect_accepted_socket(asyncio.Protocol, a)
    print("can_write_eof", t.can_write_eof())
    t.write(b"data")
    t.write_eof()
    try:
        t.write(b"more")
    except RuntimeError:
        print("write after write_eof: RuntimeError")
    await asyncio.sleep(0.01)
    print("peer got", b.recv(100), "then", b.recv(100))
    t.close(); b.close()

asyncio.run(main())
