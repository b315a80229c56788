# from: test_subprocess.py::SubprocessMixin::test_cancel_process_wait (a cancelled wait leaves the child running and waitable)
import asyncio

async def main():
    p = await asyncio.create_subprocess_exec("sleep", "10")
    t = asyncio.create_task(p.wait())
    await asyncio.sleep(0.01)
    t.cancel()
    try:
        await t
    except asyncio.CancelledError:
        print("wait: CancelledError, returncode", p.returncode)
    p.kill()
    print("then killed:", await p.wait())

asyncio.run(main())
