# from: test_selector_events.py::test_write_buffer_limits / test_pause_writing / test_resume_writing / test_abort
import asyncio, socket

class P(asyncio.Protocol):
    def pause_writing(self):
        print("pause_writing")
    def resume_writing(self):
        print("resume_writing")
    def connection_lost(self, exc):
        print("connection_lost", type(exc).__name__ if exc else exc)
        done.set_result(None)

def drain_peer(b, n):
    got = 0
    while got < n:
        got += len(b.recv(1 << 16))
    return got

async def main():
    global done
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    a, b = socket.socketpair()
    t, p = await loop.connect_accepted_socket(P, a)
    t.set_write_buffer_limits(high=1000, low=100)
    print("limits", t.get_write_buffer_limits())
    print("buffered", t.get_write_buffer_size())
    big = b"x" * (4 << 20)
    t.write(big)
    print("buffered above the high mark:", t.get_write_buffer_size() > 1000)
    print("peer read all:", await asyncio.to_thread(drain_peer, b, len(big)) == len(big))
    await asyncio.sleep(0.05)
    print("buffered", t.get_write_buffer_size())
    t.write(big)
    t.abort()
    print("after abort: is_closing", t.is_closing())
    await done
    b.close()

asyncio.run(main())
