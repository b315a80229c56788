# from: test_threads.py / concurrent.futures: a job cancelled while still queued never runs
# xfail: to_thread/run_in_executor: a job cancelled while still queued runs anyway (issue 19, fixed by 19a)
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
    gate.set()
    await blocker
    await loop.run_in_executor(None, lambda: None)  # one worker, FIFO: the queued job would have run by now
    print("queued job ran:", bool(ran))

asyncio.run(main())
