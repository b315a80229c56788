# from: test_subprocess.py::SubprocessMixin::test_send_signal_after_exit / ProcessLookupError once reaped
import asyncio

async def main():
    p = await asyncio.create_subprocess_exec("true")
    print("wait", await p.wait())
    await asyncio.sleep(0.01)
    for name in ("kill", "terminate"):
        try:
            getattr(p, name)()
            print(name, "after exit: no error")
        except ProcessLookupError:
            print(name, "after exit: ProcessLookupError")

asyncio.run(main())
