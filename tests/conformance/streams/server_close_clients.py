# from: test_server.py::TestServer2::test_close_clients / test_abort_clients (3.13)
# requires: 3.13
# xfail: a read pending when the stream is closed (by close_clients or the stream's own close) returns CIO_ECLOSED; asyncio's reader sees EOF (b'') (a new finding)
import asyncio

async def handle(r, w):
    try:
        await r.read()
        print("handler: reader at EOF")
    finally:
        w.close()

async def main():
    srv = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    r, w = await asyncio.open_connection("127.0.0.1", port)
    await asyncio.sleep(0.2)
    srv.close()
    srv.close_clients()
    print("client sees EOF:", await r.read())
    await srv.wait_closed()
    print("wait_closed returned")
    w.close()

asyncio.run(main())
