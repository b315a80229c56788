# from: test_streams.py::StreamTests::test_open_connection_error / connecting to a closed port
import asyncio, socket

async def main():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    try:
        await asyncio.open_connection("127.0.0.1", port)
    except ConnectionRefusedError:
        print("ConnectionRefusedError")

asyncio.run(main())
