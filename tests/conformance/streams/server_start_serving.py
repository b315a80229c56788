# from: test_server.py::test_start_server_1 / test_server_start_serving (start_serving=False, then start_serving; sockets; get_loop)
import asyncio

async def handle(r, w):
    w.write(b"hi\n")
    await w.drain()
    w.close()

async def main():
    loop = asyncio.get_running_loop()
    srv = await asyncio.start_server(handle, "127.0.0.1", 0, start_serving=False)
    print("serving before:", srv.is_serving(), "sockets:", len(srv.sockets), "get_loop:", srv.get_loop() is loop)
    await srv.start_serving()
    print("serving after:", srv.is_serving())
    r, w = await asyncio.open_connection("127.0.0.1", srv.sockets[0].getsockname()[1])
    print(await r.readline())
    w.close()
    srv.close()
    await srv.wait_closed()
    print("after close: serving", srv.is_serving())

asyncio.run(main())
