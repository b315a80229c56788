# from: test_subprocess.py::SubprocessMixin::test_kill / test_terminate / test_send_signal (returncode -N)
import asyncio, signal

async def main():
    for name in ("kill", "terminate", "send_signal"):
        p = await asyncio.create_subprocess_exec("sleep", "10")
        if name == "send_signal":
            p.send_signal(signal.SIGHUP)
        else:
            getattr(p, name)()
        print(name, "->", await p.wait())

asyncio.run(main())
