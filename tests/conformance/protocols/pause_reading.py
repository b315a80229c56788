# from: test_selector_events.py::test_pause_resume_reading (no data_received while paused; is_reading)
import asyncio, socket

class P(asyncio.Protocol):
    def data_received(self, data):
        print("data_received", data)
        got.set_result(None)

async def main():
    global got
    loop = asyncio.get_running_loop()
    got = loop.create_future()
    a, b = socket.socketpair()
    t, p = await loop.connect_accepted_socket(P, a)
    print("is_reading", t.is_reading())
    t.pause_reading()
    print("is_reading after pause", t.is_reading())
    b.sendall(b"held back")
    await asyncio.sleep(0.02)
    print("nothing delivered while paused:", not got.done())
    t.resume_reading()
    print("is_reading after resume", t.is_reading())
    await got
    t.close(); b.close()

asyncio.run(main())
