# from: test_streams.py::StreamTests::test_start_server / test_open_connection (a client per task; echo)
import asyncio

async def handle(r, w):
    line = await r.readline()
    w.write(b"echo: " + line)
    await w.drain()
    w.close()
    await w.wait_closed()

async def main():
    srv = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    print("serving:", srv.is_serving())
    for msg in (b"one\n", b"two\n"):
        r, w = await asyncio.open_connection("127.0.0.1", port)
        w.write(msg)
        await w.drain()
        print(await r.readline())
        print("then EOF:", await r.read(), "peername is 127.0.0.1:", w.get_extra_info("peername")[0] == "127.0.0.1")
        w.close()
        await w.wait_closed()
    srv.close()
    await srv.wait_closed()
    print("serving:", srv.is_serving())

asyncio.run(main())
