# from: test_runners.py::RunTests::test_asyncio_run_sigint / RunnerTests::test_signal_install_not_supported_ok (SIGINT cancels the main task; run raises KeyboardInterrupt)
import asyncio, os, signal

async def main():
    try:
        os.kill(os.getpid(), signal.SIGINT)
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        print("main: CancelledError")
        raise

try:
    asyncio.run(main())
except KeyboardInterrupt:
    print("run: KeyboardInterrupt")
