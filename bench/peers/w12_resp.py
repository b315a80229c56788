"""W12 pipelined request/reply: bench/w12_resp.c's Redis-protocol (RESP2)
server in CPython asyncio streams, for redis-benchmark.  Each connection's
coroutine reads one request (an array of bulk strings with readline and
readexactly, or an inline command line), executes it, writer.write()s its
reply and awaits writer.drain(); no batching of replies by hand.
Commands: PING [msg], SET, GET, INCR, LPUSH/RPUSH, LPOP/RPOP, DEL and
CONFIG GET (save: "", appendonly: "no", else an empty array), one dict of
bytes and collections.deque values; the same limits as the C server (1024
arguments, 1 MiB per argument).  Serves on 127.0.0.1:PORT until killed.
usage: w12_resp.py [--uvloop] PORT"""
import asyncio
import collections
from _common import parse, run

MAX_ARGS = 1024
MAX_BULK = 1 << 20
WRONGTYPE = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
NOTINT = b"-ERR value is not an integer or out of range\r\n"

store = {}


def bulk(v):
    return b"$%d\r\n%s\r\n" % (len(v), v)


def execute(a):
    cmd = a[0].upper()
    n = len(a)
    if cmd == b"PING":
        if n == 1:
            return b"+PONG\r\n"
        return bulk(a[1]) if n == 2 else None
    if cmd == b"SET":
        if n != 3:
            return None
        store[a[1]] = a[2]
        return b"+OK\r\n"
    if cmd == b"GET":
        if n != 2:
            return None
        v = store.get(a[1])
        if v is None:
            return b"$-1\r\n"
        return bulk(v) if isinstance(v, bytes) else WRONGTYPE
    if cmd == b"INCR":
        if n != 2:
            return None
        v = store.get(a[1], b"0")
        if not isinstance(v, bytes):
            return WRONGTYPE
        try:
            i = int(v) + 1
        except ValueError:
            return NOTINT
        if v[:1].isspace() or i >= 1 << 63:
            return NOTINT
        store[a[1]] = b"%d" % i
        return b":%d\r\n" % i
    if cmd in (b"LPUSH", b"RPUSH"):
        if n < 3:
            return None
        v = store.get(a[1])
        if v is None:
            v = store[a[1]] = collections.deque()
        elif isinstance(v, bytes):
            return WRONGTYPE
        if cmd == b"LPUSH":
            v.extendleft(a[2:])
        else:
            v.extend(a[2:])
        return b":%d\r\n" % len(v)
    if cmd in (b"LPOP", b"RPOP"):
        if n != 2:
            return None
        v = store.get(a[1])
        if v is None:
            return b"$-1\r\n"
        if isinstance(v, bytes):
            return WRONGTYPE
        x = v.popleft() if cmd == b"LPOP" else v.pop()
        if not v:
            del store[a[1]]
        return bulk(x)
    if cmd == b"DEL":
        if n < 2:
            return None
        k = 0
        for key in a[1:]:
            if store.pop(key, None) is not None:
                k += 1
        return b":%d\r\n" % k
    if cmd == b"CONFIG":
        if n == 3 and a[1].upper() == b"GET" and a[2].lower() in (b"save", b"appendonly"):
            return b"*2\r\n" + bulk(a[2]) + (bulk(b"") if a[2].lower() == b"save" else bulk(b"no"))
        return b"*0\r\n"
    return b"-ERR unknown command '%s'\r\n" % a[0][:64]


class ProtocolError(Exception):
    pass


def length(line, kind, top):
    line = line.rstrip(b"\r\n")
    if line[:1] != kind:
        raise ProtocolError
    try:
        v = int(line[1:])
    except ValueError:
        raise ProtocolError from None
    if v > top:
        raise ProtocolError
    return v


async def read_request(reader):
    """The request's arguments; None at EOF."""
    line = await reader.readline()
    if not line.endswith(b"\n"):
        return None
    if line[:1] != b"*":
        return line.split()
    args = []
    for _ in range(length(line, b"*", MAX_ARGS)):
        hdr = await reader.readline()
        if not hdr.endswith(b"\n"):
            return None
        blen = length(hdr, b"$", MAX_BULK)
        if blen < 0:
            raise ProtocolError
        data = await reader.readexactly(blen + 2)
        if data[-2:] != b"\r\n":
            raise ProtocolError
        args.append(data[:-2])
    return args


async def serve(reader, writer):
    try:
        while True:
            try:
                a = await read_request(reader)
            except (ProtocolError, asyncio.LimitOverrunError, ValueError):
                writer.write(b"-ERR Protocol error\r\n")
                break
            if a is None:
                break
            if not a:
                continue
            reply = execute(a)
            if reply is None:
                reply = b"-ERR wrong number of arguments for '%s' command\r\n" % a[0][:64]
            writer.write(reply)
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


async def main(port):
    server = await asyncio.start_server(serve, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    _, args = parse()
    run(main, int(args[0]))
