# from: test_sock_lowlevel.py::test_sock_client_ops / test_sock_accept (sock_connect, sock_accept, sock_sendall, sock_recv)
import asyncio, socket

async def main():
    loop = asyncio.get_running_loop()
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0)); srv.listen(); srv.setblocking(False)
    cli = socket.socket(); cli.setblocking(False)
    acc = loop.create_task(loop.sock_accept(srv))
    await loop.sock_connect(cli, srv.getsockname())
    conn, addr = await acc
    conn.setblocking(False)
    print("accepted from 127.0.0.1:", addr[0] == "127.0.0.1")
    await loop.sock_sendall(cli, b"ping")
    print("server got", await loop.sock_recv(conn, 100))
    await loop.sock_sendall(conn, b"pong")
    print("client got", await loop.sock_recv(cli, 100))
    cli.close()
    print("after peer close:", await loop.sock_recv(conn, 100))
    conn.close(); srv.close()

asyncio.run(main())
