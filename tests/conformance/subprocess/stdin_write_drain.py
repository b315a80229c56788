# from: test_subprocess.py::SubprocessMixin::test_stdin_stdout / write to stdin, close it, read the echo
import asyncio

async def main():
    p = await asyncio.create_subprocess_exec("cat", stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    p.stdin.write(b"line one\n")
    await p.stdin.drain()
    print("echo:", await p.stdout.readline())
    p.stdin.write(b"line two\n")
    p.stdin.close()
    print("echo:", await p.stdout.readline())
    print("eof:", await p.stdout.read(), "rc", await p.wait())

asyncio.run(main())
