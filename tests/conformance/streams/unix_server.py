# from: test_streams.py::StreamTests::test_start_unix_server / test_open_unix_connection (the socket file removed at close, 3.13)
# requires: 3.13
import asyncio, os, tempfile

async def handle(r, w):
    w.write((await r.readline()).upper())
    await w.drain()
    w.close()

async def main():
    d = tempfile.mkdtemp()
    path = os.path.join(d, "s.sock")
    srv = await asyncio.start_unix_server(handle, path)
    r, w = await asyncio.open_unix_connection(path)
    w.write(b"hello\n")
    print(await r.readline())
    w.close()
    await w.wait_closed()
    srv.close()
    await srv.wait_closed()
    print("socket file removed:", not os.path.exists(path))
    os.rmdir(d)

asyncio.run(main())
