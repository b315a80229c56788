# from: test_streams.py::StreamTests::test_writelines / drain with write buffer limits
import asyncio, socket

async def main():
    a, b = socket.socketpair()
    r, w = await asyncio.open_connection(sock=a)
    w.writelines([b"a", b"bc", b"def"])
    await w.drain()
    # cio gathers an iteration's writes and sends them when it ends (as
    # uvloop does): a blocking recv right after drain would wait for that
    # forever, so one iteration passes first.
    await asyncio.sleep(0)
    print("peer got", b.recv(100))
    w.transport.set_write_buffer_limits(high=100, low=10)
    print("limits", w.transport.get_write_buffer_limits())
    print("buffer size", w.transport.get_write_buffer_size())
    print("is_closing", w.is_closing())
    w.close()
    print("is_closing after close", w.is_closing())
    await w.wait_closed()
    print("peer sees EOF:", b.recv(100))
    b.close()

asyncio.run(main())
