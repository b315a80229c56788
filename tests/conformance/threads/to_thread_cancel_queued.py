# from: test_threads.py / concurrent.futures: a job cancelled while still queued never runs
import asyncio, concurrent.futures, threading, time

async def main():
    loop = asyncio.get_running_loop()
    loop.set_default_executor(concurrent.futures.ThreadPoolExecutor(max_workers=1))
    gate = threading.Event()
    ran = []
    blocker = loop.run_in_executor(None, gate.wait)
    queued = loop.run_in_executor(None, ran.append, "queued job ran")
    await asyncio.sleep(0.01)
    queued.cancel()
    # asyncio passes the cancel on to the concurrent future from a done
    # callback (the next iteration): let it, before the worker is free, or
    # the worker may take the job first.
    await asyncio.sleep(0.01)
    gate.set()
    await blocker
    await loop.run_in_executor(None, lambda: None)  # one worker, FIFO: the queued job would have run by now
    print("queued job ran:", bool(ran))

asyncio.run(main())
