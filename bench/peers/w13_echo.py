"""W13 fairness under a pipelining flood: bench/w13_fair.c's line-echo
streams server in CPython asyncio (the server whose probe latency cio's is
set against): each connection's coroutine loops reader.readline(),
writer.write(line), await writer.drain() until EOF.  Serves on
127.0.0.1:PORT until killed; the load is `w13_fair client PORT SECS`.
usage: w13_echo.py [--uvloop] PORT"""
import asyncio
from _common import parse, run


async def echo(reader, writer):
    try:
        while True:
            line = await reader.readline()
            if not line:
                break
            writer.write(line)
            await writer.drain()
    except (ConnectionError, ValueError):
        pass
    finally:
        writer.close()


async def main(port):
    server = await asyncio.start_server(echo, "127.0.0.1", port, backlog=128)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    _, args = parse()
    run(main, int(args[0]))
