"""W16 channel between two loops, in asyncio: two threads, each running its
own event loop, as bench/w16_chan.c runs two cio loops.  asyncio has no
thread-safe queue for coroutines, so the channel is built the way asyncio's
documentation points to: an asyncio.Queue on the receiving loop fed through
loop.call_soon_threadsafe, with the capacity (100) kept by an
asyncio.Semaphore on the sending loop that the receiver releases through
call_soon_threadsafe per item taken.  First ITEMS integers (1M) from a task
on loop A to a task on loop B, checked to arrive in order: items_per_s.
Then RTTS round trips (100k): A puts on B's queue, B puts it back on A's
queue, both through call_soon_threadsafe: rtt_ns.  Each phase is timed on A
from a start signal until its last operation.
usage: w16_chan.py [--uvloop] [ITEMS [RTTS]]   (defaults 1M, 100k)"""
import asyncio
import threading
import time
from _common import parse


def new_loop(use_uvloop):
    if use_uvloop:
        import uvloop
        return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def main():
    use_uvloop, args = parse()
    n = int(args[0]) if len(args) > 0 else 1000000
    rtts = int(args[1]) if len(args) > 1 else 100000
    loop_a, loop_b = new_loop(use_uvloop), new_loop(use_uvloop)
    ready = threading.Event()
    state = {}

    async def side_b():
        state["qb"] = asyncio.Queue()          # data and pings, on loop B
        state["bad"] = 0
        ready.set()
        qb, sem = state["qb"], state["sem"]
        release = sem.release
        call_a = loop_a.call_soon_threadsafe
        for i in range(n):
            v = await qb.get()
            if v != i:
                state["bad"] += 1
            call_a(release)                    # a slot is free again
        call_a(state["done"].set_result, None)
        qa = state["qa"]
        put_a = qa.put_nowait
        for _ in range(rtts):
            v = await qb.get()
            call_a(put_a, v)

    def thread_b():
        asyncio.set_event_loop(loop_b)
        loop_b.run_until_complete(side_b())

    async def side_a():
        state["sem"] = asyncio.Semaphore(100)  # the capacity, on loop A
        state["qa"] = asyncio.Queue()
        state["done"] = loop_a.create_future()
        th = threading.Thread(target=thread_b)
        th.start()
        await loop_a.run_in_executor(None, ready.wait)
        sem, qb = state["sem"], state["qb"]
        put_b = qb.put_nowait
        call_b = loop_b.call_soon_threadsafe
        t0 = time.perf_counter()
        for i in range(n):
            await sem.acquire()
            call_b(put_b, i)
        await state["done"]
        items = time.perf_counter() - t0
        qa = state["qa"]
        t0 = time.perf_counter()
        bad = 0
        for i in range(rtts):
            call_b(put_b, i)
            if await qa.get() != i:
                bad += 1
        rtt = time.perf_counter() - t0
        await loop_a.run_in_executor(None, th.join)
        return items, rtt, bad + state["bad"]

    asyncio.set_event_loop(loop_a)
    items, rtt, bad = loop_a.run_until_complete(side_a())
    loop_a.close()
    loop_b.close()
    if bad:
        raise SystemExit("w16_chan.py: %d values out of order" % bad)
    print("items=%d items_per_s=%.0f ns_per_item=%.1f rtts=%d rtt_ns=%.0f secs=%.3f"
          % (n, n / items if items > 0 else 0, items * 1e9 / max(n, 1), rtts,
             rtt * 1e9 / max(rtts, 1), items + rtt))


if __name__ == "__main__":
    main()
