# from: test_events.py::test_call_soon_threadsafe (another thread wakes a sleeping loop; order kept)
import asyncio, threading

async def main():
    loop = asyncio.get_running_loop()
    done = asyncio.Event()
    got = []
    def cb(i):
        got.append(i)
        if i == 4:
            done.set()
    def other():
        for i in range(5):
            loop.call_soon_threadsafe(cb, i)
    th = threading.Thread(target=other)
    th.start()
    await done.wait()
    th.join()
    print("callbacks in order:", got)

asyncio.run(main())
