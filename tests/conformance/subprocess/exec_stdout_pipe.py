# from: test_subprocess.py::SubprocessMixin::test_stdin_stdout / test_communicate (exec with a stdout pipe)
import asyncio

async def main():
    p = await asyncio.create_subprocess_exec("sh", "-c", "sleep 0.5; echo hello world", stdout=asyncio.subprocess.PIPE)
    print("pid positive:", p.pid > 0, "returncode before:", p.returncode)
    line = await p.stdout.readline()
    print("line:", line)
    print("rest:", await p.stdout.read())
    print("wait:", await p.wait(), "returncode:", p.returncode)

asyncio.run(main())
