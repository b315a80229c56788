# from: test_base_events.py::test_getaddrinfo / test_getnameinfo (resolved in the executor)
import asyncio, socket

async def main():
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo("127.0.0.1", 80, family=socket.AF_INET, type=socket.SOCK_STREAM)
    print("addresses:", sorted({i[4] for i in infos}))
    host, port = await loop.getnameinfo(("127.0.0.1", 80), socket.NI_NUMERICHOST | socket.NI_NUMERICSERV)
    print("nameinfo:", host, port)
    try:
        await loop.getaddrinfo("no-such-host.invalid", 80)
    except socket.gaierror:
        print("unknown host: gaierror")

asyncio.run(main())
